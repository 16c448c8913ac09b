"""Every figure of 电子监察, defined once: what it counts, over which cases, from which recorded facts.

A figure is computed from what happened to the cases — the days the acts were recorded on (受理日 accepted_on,
决定日 decided_on, 办结日 completed_on), the clock each accepted case ran on (start, stop, suspended working days,
the deadline it had when it stopped), the visits logged at the hall, the documents' issuing state — never from
configuration such as an item's promised number of visits. Each figure's docstring below gives its formula.

A *count* figure is a filter on Case (`members`): its number is the count of the cases it selects, and its
drill-down lists exactly those cases. A *rate* figure is numerator / denominator of two count figures; its
drill-down lists the numerator's cases (and links the denominator's). A *days* figure is a statistic of the
working days used (`used_workdays`) over the cases of a count figure, and its drill-down lists those cases with
their days.

All figures are limited to the supervisor's region subtree (`selectors.supervised`) and to the filters
(`Filters`: period, region, department, hall, window, item, channel). The period bounds are inclusive.
"""

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Callable

from django.db.models import Count, DateField, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from tongban.cases.models import Case, CaseDocument, CaseState, Channel
from tongban.org.models import Region, Role
from tongban.ratings.models import BAD, Handling, Rating
from tongban.workcal.models import ClockState, WorkdayIndex
from tongban.workflow.models import CaseStep

from .selectors import supervised

DECIDED_STATES = [CaseState.APPROVED, CaseState.DENIED, CaseState.COMPLETED, CaseState.REVOKED]


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters. `start`–`end` is the period (both days included); the others narrow the cases."""

    start: dt.date
    end: dt.date
    region: Region | None = None  # a region inside the supervisor's subtree: its own subtree
    department_id: int | None = None  # the department implementing the item
    hall_id: int | None = None  # the hall of the accepting window
    window_id: int | None = None
    item_id: int | None = None
    channel: str = ""  # Channel value, "" for all
    today: dt.date = field(default_factory=timezone.localdate)

    def scope(self, summary: bool = False) -> Q:
        """The filters on Case, or (`summary`) on the daily summary, which has no hall or window."""
        from .selectors import subtree

        q = Q()
        if self.region is not None:
            q &= subtree(self.region)
        if self.department_id:
            q &= Q(department_id=self.department_id) if summary else Q(item__department_id=self.department_id)
        if summary:
            assert not (self.hall_id or self.window_id), "the summary has no hall or window: read the cases"
            return q & (Q(item_id=self.item_id) if self.item_id else Q()) & (Q(channel=self.channel) if self.channel else Q())
        if self.hall_id:
            q &= Q(window__hall_id=self.hall_id)
        if self.window_id:
            q &= Q(window_id=self.window_id)
        if self.item_id:
            q &= Q(item_id=self.item_id)
        if self.channel:
            q &= Q(channel=self.channel)
        return q

    def month(self, first: dt.date) -> "Filters":
        """The same filters over one calendar month (clipped to the period)."""
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return replace(self, start=max(first, self.start), end=min(nxt - dt.timedelta(days=1), self.end))

    def label(self) -> str:
        """The filters in words, for sheet titles and report headings."""
        parts = [f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"]
        if self.region is not None:
            parts.append(self.region.name)
        from tongban.org.models import Department, Hall, Window
        from tongban.catalog.models import Item

        for model, pk, attr in ((Department, self.department_id, "name"), (Hall, self.hall_id, "name"),
                                (Window, self.window_id, None), (Item, self.item_id, "basic_code")):
            if pk:
                obj = model.objects.filter(pk=pk).first()
                if obj is not None:
                    parts.append(getattr(obj, attr) if attr else str(obj))
        if self.channel:
            parts.append(Channel(self.channel).label)
        return " ".join(parts)


def in_period(column: str, f: Filters) -> Q:
    return Q(**{f"{column}__gte": f.start, f"{column}__lte": f.end})


# --- count figures: each a function (Filters) -> Q over Case ---------------------------------------------------

def accepted(f: Filters) -> Q:
    """受理件数 = 受理日在统计期内的办件。

    Cases whose accepted_on lies in the period."""
    return in_period("accepted_on", f)


def completed(f: Filters) -> Q:
    """办结件数 = 办结日(送达日)在统计期内的办件。

    Cases whose completed_on (the day of delivery) lies in the period."""
    return in_period("completed_on", f)


def accepted_and_completed(f: Filters) -> Q:
    """期内受理已办结 = 受理日在统计期内、且在统计期末之前已办结的办件。

    Cases accepted in the period whose completed_on is on or before the period's last day."""
    return accepted(f) & Q(completed_on__isnull=False, completed_on__lte=f.end)


def decided(f: Filters) -> Q:
    """作出决定件数 = 决定日在统计期内、法定计时已停止的受理件。

    Accepted cases whose clock stopped (decided_on) in the period."""
    return in_period("decided_on", f) & Q(clock__isnull=False, clock__stopped_on__isnull=False)


def decided_on_time(f: Filters) -> Q:
    """按期办结件数 = 作出决定件数中,计时停止日不晚于办结期限(承诺时限 + 延长 + 暂停的工作日,按官方工作日历)的办件。

    Decided cases whose clock stopped on or before the deadline it had when it stopped."""
    return decided(f) & Q(clock__stopped_on__lte=F("clock__deadline"))


def decided_late(f: Filters) -> Q:
    """超期办结件数 = 作出决定件数中,计时停止日晚于办结期限的办件。

    Decided cases whose clock stopped after its deadline."""
    return decided(f) & Q(clock__stopped_on__gt=F("clock__deadline"))


def online(f: Filters) -> Q:
    """网上申报件数 = 受理件数中通过网上申报渠道提交的办件。

    Accepted cases submitted through the online channel."""
    return accepted(f) & Q(channel=Channel.ONLINE)


def full_online(f: Filters) -> Q:
    """全程网办件数 = 办结件数中网上申报、且大厅无到现场记录(到现场次数 = 0)的办件。

    Completed cases submitted online with no visit logged at the hall (Visit rows, counted in Case.visits)."""
    return completed(f) & Q(channel=Channel.ONLINE, visits=0)


def one_visit(f: Filters) -> Q:
    """最多跑一次件数 = 办结件数中大厅到现场记录不超过一次的办件。

    Completed cases with at most one visit logged at the hall."""
    return completed(f) & Q(visits__lte=1)


def delegated(f: Filters) -> Q:
    """市县同权下放事项件数 = 受理件数中,所办事项由市级下放(市县同权)的办件。

    Accepted cases of an item delegated from the city to the county (item.delegated_from set)."""
    return accepted(f) & Q(item__delegated_from__isnull=False)


def open_light(light: str) -> Callable[[Filters], Q]:
    def members(f: Filters) -> Q:
        base = Q(clock__isnull=False) & ~Q(clock__state=ClockState.STOPPED)
        if light == "paused":
            return base & Q(clock__state=ClockState.PAUSED)
        running = base & ~Q(clock__state=ClockState.PAUSED)
        if light == "green":
            return running & (Q(light="green") | Q(light=""))
        return running & Q(light=light)

    members.__doc__ = {
        "red": "在办红灯(超期) = 计时中、已超过办结期限(亮红灯)的在办件。\n\nOpen cases, clock running, light red.",
        "yellow": "在办黄灯(预警) = 计时中、临近办结期限(亮黄灯)的在办件。\n\nOpen cases, clock running, light yellow.",
        "green": "在办绿灯(正常) = 计时中、亮绿灯的在办件。\n\nOpen cases, clock running, light green.",
        "paused": "暂停计时 = 计时暂停(补正、听证、公示等)的在办件。\n\nOpen cases whose clock is paused.",
    }[light]
    return members


def gap_overdue(f: Filters) -> Q:
    """容缺承诺逾期未补齐 = 容缺受理后承诺补交的材料至今未补齐、且补交截止日已过的办件。

    Cases with an unfulfilled 容缺 commitment whose supply deadline is before today."""
    return Q(gap_open=True, gap__fulfilled_on__isnull=True, gap__deadline__lt=f.today)


def documents_failed(f: Filters) -> Q:
    """决定文书签发失败 = 有决定文书签发失败的办件。

    Cases with a decision document whose issuing failed (CaseDocument.state = failed)."""
    return Q(Exists(CaseDocument.objects.filter(case=OuterRef("pk"), state=CaseDocument.State.FAILED)))


def outside_system(f: Filters) -> Q:
    """体外循环风险 = 决定日在统计期内、走后台审批流程的办件中,有环节无审查意见即办结,或环节尚未办理就已作出决定的办件。

    Cases decided in the period through a back-office process where a step was closed without an opinion, or the
    decision came while a step of the process was still open or never started (a decision without its steps)."""
    silent = CaseStep.objects.filter(case=OuterRef("pk"), state=CaseStep.State.DONE).filter(Q(opinion="") | Q(opinion_text=""))
    skipped = CaseStep.objects.filter(case=OuterRef("pk")).exclude(state__in=[CaseStep.State.DONE, CaseStep.State.CANCELLED])
    return in_period("decided_on", f) & Q(back_office=True) & (Q(Exists(silent)) | Q(Exists(skipped)))


def _bad_ratings(f: Filters):
    """The 差评 (level 4 不满意 or 5 非常不满意) given in the period, per case (correlated on the outer Case)."""
    return Rating.objects.filter(case=OuterRef("pk"), level__in=BAD, at__date__gte=f.start, at__date__lte=f.end)


HANDLED = [Handling.State.ANSWERED, Handling.State.CLOSED]  # answered (rectified, explained, appeal upheld) or closed


def bad_ratings(f: Filters) -> Q:
    """差评件数 = 统计期内收到差评(评价等级为“不满意”或“非常不满意”,网上或窗口评价器)的办件。

    Cases with at least one rating of level 4 or 5 (ratings.BAD) given in the period (Rating.at, local day)."""
    return Q(Exists(_bad_ratings(f)))


def bad_ratings_rectified(f: Filters) -> Q:
    """差评已整改件数 = 差评件数中,期内每一条差评的整改都已完成(立行立改、限期整改完成、解释说明、申诉复核成立后已答复,或已回访办结)的办件。

    Cases counted in 差评件数 none of whose period's 差评 has a handling still open (verifying, rectifying, under
    appeal): every one was answered (Handling.state answered or closed)."""
    open_ = _bad_ratings(f).exclude(handling__state__in=HANDLED)
    return bad_ratings(f) & ~Q(Exists(open_))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # "count" | "rate" | "days"
    members: Callable[[Filters], Q] | None = None  # count figures; days figures: the population
    numerator: str = ""  # rate figures: keys of two count figures
    denominator: str = ""
    alarm: bool = False  # a figure a supervisor acts on: shown red when not zero
    note: str = ""

    @property
    def doc(self) -> str:
        if self.kind == "rate":
            return f"{self.label} = {FIGURES[self.numerator].label} ÷ {FIGURES[self.denominator].label}"
        if self.kind == "days":
            return f"{self.label}:{self.note}"
        return (self.members.__doc__ or "").strip().split("\n\n")[0] if self.members else self.note

    @property
    def drill_key(self) -> str:
        """The count figure whose cases the drill-down lists."""
        return self.numerator if self.kind == "rate" else self.key


FIGURES: dict[str, Figure] = {f.key: f for f in [
    Figure("accepted", "受理件数", "count", accepted),
    Figure("completed", "办结件数", "count", completed),
    Figure("accepted_and_completed", "期内受理已办结", "count", accepted_and_completed),
    Figure("completion_rate", "办结率", "rate", numerator="accepted_and_completed", denominator="accepted"),
    Figure("decided", "作出决定件数", "count", decided),
    Figure("decided_on_time", "按期办结件数", "count", decided_on_time),
    Figure("decided_late", "超期办结件数", "count", decided_late, alarm=True),
    Figure("on_time_rate", "按期办结率", "rate", numerator="decided_on_time", denominator="decided"),
    Figure("online", "网上申报件数", "count", online),
    Figure("online_rate", "网上申报率", "rate", numerator="online", denominator="accepted"),
    Figure("full_online", "全程网办件数", "count", full_online),
    Figure("full_online_rate", "全程网办率", "rate", numerator="full_online", denominator="completed"),
    Figure("one_visit", "最多跑一次件数", "count", one_visit),
    Figure("one_visit_rate", "最多跑一次率", "rate", numerator="one_visit", denominator="completed"),
    Figure("delegated", "市县同权下放事项件数", "count", delegated),
    Figure("delegation_rate", "市县同权办件占比", "rate", numerator="delegated", denominator="accepted"),
    Figure("avg_days", "平均办理用时(工作日)", "days", decided,
           note="作出决定件数中每件用时的平均值;用时 = 受理日至决定日的工作日数(受理日不计)− 暂停计时的工作日数"),
    Figure("p90_days", "90%办件用时不超过(工作日)", "days", decided, note="作出决定件数中每件用时的第90百分位数(最近秩法)"),
    Figure("open_red", "在办红灯(超期)", "count", open_light("red"), alarm=True),
    Figure("open_yellow", "在办黄灯(预警)", "count", open_light("yellow")),
    Figure("open_green", "在办绿灯(正常)", "count", open_light("green")),
    Figure("open_paused", "暂停计时", "count", open_light("paused")),
    Figure("gap_overdue", "容缺承诺逾期未补齐", "count", gap_overdue, alarm=True),
    Figure("documents_failed", "决定文书签发失败", "count", documents_failed, alarm=True),
    Figure("outside_system", "体外循环风险", "count", outside_system, alarm=True),
    Figure("bad_ratings", "差评件数", "count", bad_ratings),
    Figure("bad_ratings_rectified", "差评已整改件数", "count", bad_ratings_rectified),
    Figure("rectification_rate", "差评整改率", "rate", numerator="bad_ratings_rectified", denominator="bad_ratings"),
]}

SEPARATE = ["gap_overdue", "documents_failed", "outside_system", "bad_ratings", "bad_ratings_rectified"]  # counted by their own query (see summary)


def base(user, f: Filters):
    """The supervised cases under the filters (no period): every figure starts here."""
    return Case.objects.filter(supervised(user)).filter(f.scope())


def cases(user, key: str, f: Filters):
    """The cases a figure counts (for a rate, its numerator's): the drill-down."""
    return base(user, f).filter(FIGURES[FIGURES[key].drill_key].members(f))


def count(user, key: str, f: Filters) -> int:
    return cases(user, key, f).count()


def _idx(column: str) -> Subquery:
    return Subquery(WorkdayIndex.objects.filter(day=OuterRef(column)).values("idx")[:1], output_field=IntegerField())


def with_used_workdays(qs):
    """Annotate `used_workdays`: working days from the clock's start (受理日, not counted) to the day it stopped,
    less the working days it stood suspended — the time the authority actually took on the official calendar."""
    return qs.annotate(used_workdays=_idx("clock__stopped_on") - _idx("clock__start_date")
                       - Coalesce(F("clock__suspended_days"), Value(0)))


def days(user, f: Filters) -> dict:
    """用时 figures over the decided cases: average and p90 of working days used, beside the average legal and
    promised limits those cases ran on (stamped on their clocks at acceptance), and the compression
    (1 − average used ÷ average legal limit)."""
    from tongban.workcal.days import get_calendar

    cal = get_calendar()  # the same working-day count as `with_used_workdays`, on the in-memory calendar (no per-row subquery)
    rows = list(cases(user, "decided", f).values_list("clock__start_date", "clock__stopped_on", "clock__suspended_days",
                                                      "clock__legal_limit_days", "clock__limit_days"))
    used = sorted(cal.index_of(stop) - cal.index_of(start) - (susp or 0) for start, stop, susp, _l, _p in rows)
    n = len(used)
    return _days_figures(n, used[_p90_rank(n) - 1] if n else None, sum(used), sum(r[3] for r in rows), sum(r[4] for r in rows))


def _p90_rank(n: int) -> int:
    """The nearest rank of the 90th percentile among n sorted values (1-based)."""
    return max(1, math.ceil(0.9 * n))


def _days_figures(n: int, p90, used_total, legal_total, promised_total) -> dict:
    """The 用时 figures from totals over n decided cases: the same whether counted from the cases or the summary."""
    if not n:
        return {"n": 0, "avg": None, "p90": None, "legal": None, "promised": None, "compression": None}
    avg, legal = used_total / n, legal_total / n
    return {"n": n, "avg": round(avg, 1), "p90": p90, "legal": round(legal, 1), "promised": round(promised_total / n, 1),
            "compression": round(1 - avg / legal, 3) if legal else None}


@dataclass
class Value_:
    figure: Figure
    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None

    @property
    def red(self) -> bool:
        return self.figure.alarm and bool(self.value)

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if self.figure.kind == "rate":
            return f"{self.value * 100:.1f}%"
        return str(self.value)


# --- the period figures from the daily summary (models.DailyFigures) ---------------------------------------------

SUMMARIZED = ["accepted", "completed", "accepted_and_completed", "decided", "decided_on_time", "decided_late", "online",
              "full_online", "one_visit", "delegated"]  # the count figures the summary holds, and the days figures


def use_summary(f: Filters) -> bool:
    """The summary answers when it was built and no filter needs the cases' own rows (hall, window)."""
    from .summary import built

    return not (f.hall_id or f.window_id) and built()


def summary_level(user, f: Filters) -> int:
    """The coarsest summary level that answers: items' rows under an item filter, the roll-up over items under a
    department or channel filter (or for a supervisor whose grant names a department), else the day × region roll-up."""
    from tongban.org.scopes import grants

    if f.item_id:
        return 0
    if f.department_id or f.channel:
        return 1
    if not user.is_superuser and any(g.department_id for role in (Role.SUPERVISOR, Role.SYSTEM_ADMIN) for g in grants(user, role)):
        return 1
    return 2


def summary_rows(user, f: Filters, level: int | None = None):
    """The supervised daily summary rows under the filters, over the period, at `summary_level` (or `level`)."""
    from .models import DailyFigures

    return (DailyFigures.objects.filter(supervised(user, department="department_id")).filter(f.scope(summary=True))
            .filter(day__gte=f.start, day__lte=f.end, level=summary_level(user, f) if level is None else level))


def _histogram(rows) -> dict[int, int]:
    """{working days used: cases} summed over the rows' histograms (in the database on PostgreSQL)."""
    from django.db import connection

    rows = rows.filter(decided__gt=0)
    if connection.vendor == "postgresql":
        sql, params = rows.values("used_hist").query.sql_with_params()
        with connection.cursor() as c:
            c.execute(f"SELECT h.key::int, sum(h.value::int) FROM ({sql}) s, jsonb_each_text(s.used_hist) h GROUP BY 1", params)
            return dict(c.fetchall())
    hist: dict[int, int] = {}
    for m in rows.values_list("used_hist", flat=True):
        for used, k in m.items():
            hist[int(used)] = hist.get(int(used), 0) + k
    return hist


def summarized(user, f: Filters) -> tuple[dict, dict]:
    """The SUMMARIZED count figures and the days figures, from the summary: each count is the sum of its
    counter over the period's rows, the same cases `members` selects (see summary.aggregate)."""
    rows = summary_rows(user, f)
    cols = {"accepted": "accepted", "completed": "completed", "decided": "decided", "decided_on_time": "on_time",
            "decided_late": "late", "online": "online", "full_online": "full_online", "one_visit": "one_visit",
            "delegated": "delegated", "_acc_done": "accepted_completed", "_used": "used_sum", "_legal": "legal_sum",
            "_promised": "promised_sum"}
    agg = {k: v or 0 for k, v in rows.aggregate(**{k: Sum(c) for k, c in cols.items()}).items()}
    end = f.end.isoformat()  # accepted in the period and completed, less those completed after its last day
    after = sum(n for m in rows.filter(last_completed_on__gt=f.end).values_list("completed_on_days", flat=True)
                for d, n in m.items() if d > end)
    agg["accepted_and_completed"] = agg.pop("_acc_done") - after
    n, p90 = agg["decided"], None
    if n:
        hist = _histogram(rows)
        rank, seen = _p90_rank(n), 0
        for used in sorted(hist):
            seen += hist[used]
            if seen >= rank:
                p90 = used
                break
    return {k: agg[k] for k in SUMMARIZED}, _days_figures(n, p90, agg["_used"], agg["_legal"], agg["_promised"])


def summary(user, f: Filters, source: str = "auto") -> dict[str, Value_]:
    """Every figure's value. Count figures come from one aggregate query (conditional counts over the filtered
    cases), the days figures from one more; the period figures are read from the daily summary instead when it
    can answer (`use_summary`; `source`: "auto", "cases" or "summary")."""
    from_summary = source == "summary" or (source == "auto" and use_summary(f))
    counts = [k for k, fig in FIGURES.items() if fig.kind == "count" and k not in SEPARATE
              and not (from_summary and k in SUMMARIZED)]
    # every counted case was accepted, decided or completed in the period, or is open: read only those rows
    relevant = Q(clock__state__in=[ClockState.RUNNING, ClockState.PAUSED])
    if not from_summary:
        relevant |= accepted(f) | completed(f) | in_period("decided_on", f)
    agg = base(user, f).filter(relevant).aggregate(**{k: Count("id", filter=FIGURES[k].members(f)) for k in counts})
    if from_summary:
        figures, d = summarized(user, f)
        agg.update(figures)
        counts += SUMMARIZED
    for k in SEPARATE:  # a semi-join from a small table: cheaper as its own WHERE than as a per-row FILTER
        agg[k] = count(user, k, f)
        counts.append(k)
    out = {k: Value_(FIGURES[k], agg[k]) for k in counts}
    for k, fig in FIGURES.items():
        if fig.kind == "rate":
            num, den = agg[fig.numerator], agg[fig.denominator]
            out[k] = Value_(fig, num / den if den else None, num, den)
    if not from_summary:
        d = days(user, f)
    out["avg_days"] = Value_(FIGURES["avg_days"], d["avg"], d["n"])
    out["p90_days"] = Value_(FIGURES["p90_days"], d["p90"], d["n"])
    out["_days"] = d
    return out


def trend(user, f: Filters) -> list[dict]:
    """By month of the period: 受理件数 (by 受理日) and 办结件数 (by 办结日)."""
    if use_summary(f):
        by_month = (summary_rows(user, f).annotate(m=TruncMonth("day", output_field=DateField())).values("m")
                    .annotate(a=Sum("accepted"), c=Sum("completed")).values_list("m", "a", "c"))
        acc, done = {}, {}
        for m, a, c in by_month:
            acc[m], done[m] = a or 0, c or 0
        return _months(f, acc, done)
    qs = base(user, f)
    acc = dict(qs.filter(accepted(f)).annotate(m=TruncMonth("accepted_on", output_field=DateField()))
               .values("m").annotate(n=Count("id")).values_list("m", "n"))
    done = dict(qs.filter(completed(f)).annotate(m=TruncMonth("completed_on", output_field=DateField()))
                .values("m").annotate(n=Count("id")).values_list("m", "n"))
    return _months(f, acc, done)


def _months(f: Filters, acc: dict, done: dict) -> list[dict]:
    out, month = [], f.start.replace(day=1)
    while month <= f.end:
        out.append({"month": month, "accepted": acc.get(month, 0), "completed": done.get(month, 0)})
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def ranking(user, f: Filters, by: str, limit: int = 10) -> list[dict]:
    """Windows (`by="window"`) or staff (首办负责人, `by="handler"`) ranked by 按期办结率 over the cases they decided
    in the period, then by 受理件数: the first rows are the 红旗窗口 / 红旗个人 candidates."""
    column = {"window": "window", "handler": "handler"}[by]
    if by == "window" and use_summary(f) and summary_level(user, f) == 2:  # the windows' roll-up rows (level 3)
        rows = (summary_rows(user, f, level=3).values(column).annotate(accepted=Sum("accepted"), decided=Sum("decided"),
                                                                        on_time=Sum("on_time"))
                .filter(Q(accepted__gt=0) | Q(decided__gt=0)))
        return _ranked(rows, by, column, limit)
    qs = base(user, f).filter(**{f"{column}__isnull": False})
    rows = (qs.values(column).annotate(accepted=Count("id", filter=accepted(f)), decided=Count("id", filter=decided(f)),
                                       on_time=Count("id", filter=decided_on_time(f)))
            .filter(Q(accepted__gt=0) | Q(decided__gt=0)))
    return _ranked(rows, by, column, limit)


def _ranked(rows, by: str, column: str, limit: int) -> list[dict]:
    out = []
    for r in rows:
        r["rate"] = r["on_time"] / r["decided"] if r["decided"] else None
        out.append(r)
    out.sort(key=lambda r: (-(r["rate"] or 0), -r["decided"], -r["accepted"], r[column]))
    out = out[:limit]
    names = _names(by, [r[column] for r in out])
    for r in out:
        r["id"], r["name"] = r[column], names.get(r[column], "")
    return out


def _names(by, ids):
    if by == "window":
        from tongban.org.models import Window

        return {w.pk: f"{w.hall.name} {w}" for w in Window.objects.filter(pk__in=ids).select_related("hall")}
    from tongban.org.models import User

    return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}


def by_region(user, f: Filters, parent: Region) -> list[dict]:
    """The parent's child regions (one level down), each with 受理件数, 办结件数 and 按期办结率 over its subtree."""
    out = []
    if use_summary(f):  # one grouped query: each row's region path cut to its child of `parent`
        from django.db.models.functions import Substr

        children = {c.path: c for c in parent.children.all()}
        width = len(next(iter(children))) if children and len({len(p) for p in children}) == 1 else None
        if width:
            grouped = (summary_rows(user, replace(f, region=parent)).annotate(child=Substr("region__path", 1, width))
                       .values("child").annotate(accepted=Sum("accepted"), completed=Sum("completed"), decided=Sum("decided"),
                                                 on_time=Sum("on_time")))
            got = {g.pop("child"): g for g in grouped}
            for path, child in sorted(children.items(), key=lambda pc: pc[1].code):
                agg = got.get(path)
                if agg and (agg["accepted"] or agg["completed"] or agg["decided"]):
                    agg["rate"] = agg["on_time"] / agg["decided"] if agg["decided"] else None
                    out.append({"region": child, **agg})
            return out
    for child in parent.children.order_by("code"):
        sub = replace(f, region=child)
        if use_summary(f):
            agg = {k: v or 0 for k, v in summary_rows(user, sub).aggregate(
                accepted=Sum("accepted"), completed=Sum("completed"), decided=Sum("decided"), on_time=Sum("on_time")).items()}
        else:
            agg = base(user, sub).aggregate(
                accepted=Count("id", filter=accepted(sub)), completed=Count("id", filter=completed(sub)),
                decided=Count("id", filter=decided(sub)), on_time=Count("id", filter=decided_on_time(sub)))
        if agg["accepted"] or agg["completed"] or agg["decided"]:
            agg["rate"] = agg["on_time"] / agg["decided"] if agg["decided"] else None
            out.append({"region": child, **agg})
    return out
