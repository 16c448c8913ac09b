"""What a supervisor (督查人员) sees: counts and lists of the cases in the regions their grants cover.

Everything here is scoped in one place, `supervised`: a supervisor's (or system administrator's) grant covers
the cases whose region lies in the grant's region subtree — narrowed to one department's items when the grant
names one. Counts and lists filter on the cases' stored, indexed columns (region path, light, deadline), and the
lists page by keyset (after the last key seen), not by OFFSET."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DateField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tongban.cases.models import Case, Channel
from tongban.org.models import Role
from tongban.org.scopes import grants
from tongban.workcal.models import ClockEvent, ClockState

PAGE = 50
LIGHTS = {"red": "红灯(超期)", "yellow": "黄灯(预警)", "green": "绿灯(正常)", "paused": "暂停计时"}
NO_DEADLINE = dt.date(9999, 12, 31)  # a paused clock has none: such cases come last


def subtree(region) -> Q:
    """The rows (cases, summary rows) of `region`'s subtree, by the subtree's region ids: a literal list the
    planner counts right (a join on the path prefix is estimated at a few rows and scans every case)."""
    from tongban.org.models import Region

    return Q(region_id__in=list(Region.objects.filter(path__startswith=region.path).values_list("id", flat=True)))


def supervised(user, department: str = "item__department_id") -> Q:
    """The cases `user` supervises, as a filter on Case (or on the daily summary, whose department column is
    `department="department_id"`)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for role in (Role.SUPERVISOR, Role.SYSTEM_ADMIN):
        for g in grants(user, role):
            within = subtree(g.region)
            q |= within & Q(**{department: g.department_id}) if g.department_id else within
    return q


def open_cases(user):
    """Supervised cases whose clock runs or is paused (accepted and not yet decided)."""
    return Case.objects.filter(supervised(user), clock__isnull=False).exclude(clock__state=ClockState.STOPPED)


def light_counts(user) -> dict[str, int]:
    """How many open supervised cases show each light; a paused clock counts as 暂停计时 whatever its light."""
    out = dict.fromkeys(LIGHTS, 0)
    for row in open_cases(user).values("clock__state", "light").annotate(n=Count("id")):
        key = "paused" if row["clock__state"] == ClockState.PAUSED else (row["light"] or "green")
        out[key] += row["n"]
    return out


@dataclass
class Page:
    rows: list
    next_after: str | None  # the key to ask for the next page with (?after=…), None on the last page


def cases_by_light(user, light: str, *, after: str | None = None, limit: int | None = None) -> Page:
    """One page (`limit`, default PAGE) of the open supervised cases behind a light card, nearest deadline first."""
    limit = limit or PAGE
    qs = open_cases(user)
    if light == "paused":
        qs = qs.filter(clock__state=ClockState.PAUSED)
    elif light == "green":
        qs = qs.filter(Q(light="green") | Q(light="")).exclude(clock__state=ClockState.PAUSED)
    else:
        qs = qs.filter(light=light).exclude(clock__state=ClockState.PAUSED)
    qs = qs.annotate(due=Coalesce("deadline", Value(NO_DEADLINE, output_field=DateField())))
    if after:
        due, last_id = _key(after)
        qs = qs.filter(Q(due__gt=due) | Q(due=due, id__gt=last_id))
    rows = list(qs.select_related("item_version", "applicant", "handler", "region", "bundle", "clock").order_by("due", "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, f"{rows[-1].due.isoformat()}.{rows[-1].id}" if more else None)


def _key(after: str) -> tuple[dt.date, int]:
    try:
        day, last_id = after.split(".")
        return dt.date.fromisoformat(day), int(last_id)
    except ValueError:
        return dt.date.min, 0  # a mangled key starts from the beginning


def overdue_commitments(user, today: dt.date | None = None, limit: int = 50):
    """容缺 cases whose promised supply date has passed, most overdue first."""
    today = today or timezone.localdate()
    return (Case.objects.filter(supervised(user), gap_open=True, gap__deadline__lt=today)
            .select_related("gap", "item_version", "applicant", "handler", "bundle").order_by("gap__deadline", "id")[:limit])


def recent_warnings(user, limit: int = 20):
    """The latest yellow and red cards of the supervised cases' clocks and of their steps' clocks."""
    clocks = Case.objects.filter(supervised(user), clock__isnull=False).values("clock_id")
    events = list(ClockEvent.objects.filter(Q(clock_id__in=clocks) | Q(clock__parent_id__in=clocks),
                                            kind__in=[ClockEvent.Kind.YELLOW, ClockEvent.Kind.RED])
                  .select_related("clock__case", "clock__parent__case").order_by("-at", "-id")[:limit])
    for e in events:
        e.case = _case_of(e.clock) or (_case_of(e.clock.parent) if e.clock.parent_id else None)
    return events


def _case_of(clock):
    try:
        return clock.case
    except Case.DoesNotExist:
        return None


def breaches(user, limit: int = 50):
    """告知承诺不实: post-checks that found a false commitment (the approval revoked, a 失信记录 made), newest first."""
    from tongban.cases.models import Breach

    return (Breach.objects.filter(case__in=Case.objects.filter(supervised(user)).values("pk"))
            .select_related("case__item_version", "case__bundle", "applicant").order_by("-on", "-id")[:limit])


# --- the dashboard under filters (figures from `metrics`) -------------------------------------------------------

CHANNELS = [("", "全部渠道")] + [(c.value, c.label) for c in Channel]

GROUPS = [  # the dashboard's cards, in the order a supervisor reads them
    ("受理与办结", ["accepted", "completed", "completion_rate", "decided", "on_time_rate", "decided_late"]),
    ("网上办与跑动", ["online_rate", "full_online_rate", "one_visit_rate", "delegation_rate"]),
    ("办理用时", ["avg_days", "p90_days"]),
    ("在办与预警", ["open_red", "open_yellow", "open_green", "open_paused", "gap_overdue", "documents_failed", "outside_system"]),
    ("好差评", ["bad_ratings", "bad_ratings_rectified", "rectification_rate"]),
]


def board(user, f) -> dict:
    """Everything the dashboard shows under the filters `f`."""
    from . import metrics, params

    values = metrics.summary(user, f)
    parent = f.region
    if parent is None:
        tops = params.roots(user)
        parent = tops[0] if len(tops) == 1 else None
    return {
        "values": values, "days": values["_days"],
        "groups": [(title, [values[k] for k in keys]) for title, keys in GROUPS],
        "trend": metrics.trend(user, f),
        "windows": metrics.ranking(user, f, "window"), "staff": metrics.ranking(user, f, "handler"),
        "regions": metrics.by_region(user, f, parent) if parent is not None else [], "parent": parent,
    }


def filter_choices(user, f) -> dict:
    """The options of the filter form: regions down to county level in the user's subtrees, the departments and
    halls of the chosen region, the windows of the chosen hall, the items of the chosen department."""
    from tongban.catalog.models import Item
    from tongban.org.models import Department, Hall, Region, Window

    from . import params

    tops = params.roots(user)
    under = Q(pk__in=[])
    for r in tops:
        under |= Q(path__startswith=r.path)
    regions = list(Region.objects.filter(under, level__lte=3).order_by("path")[:400])
    scope = f.region.path if f.region else None
    dep_q = Q(region__path__startswith=scope) if scope else _paths("region__path", tops)
    departments = list(Department.objects.filter(dep_q).select_related("region").order_by("region__code", "order", "name")[:300])
    halls = list(Hall.objects.filter(dep_q).order_by("name")[:100])
    windows = list(Window.objects.filter(hall_id=f.hall_id).order_by("number")) if f.hall_id else []
    items = list(Item.objects.filter(department_id=f.department_id).order_by("basic_code")[:300]) if f.department_id else []
    return {"regions": regions, "departments": departments, "halls": halls, "windows": windows, "items": items,
            "names": {i.pk: i.versions.order_by("-number").values_list("name", flat=True).first() or i.basic_code for i in items}}


def _paths(column: str, tops) -> Q:
    q = Q(pk__in=[])
    for r in tops:
        q |= Q(**{column + "__startswith": r.path})
    return q


def figure_cases(user, key: str, f, *, after: str | None = None, limit: int | None = None) -> Page:
    """One page of the cases behind a figure, newest first (by id), after the key `after`."""
    from . import metrics

    limit = limit or PAGE
    qs = metrics.cases(user, key, f)
    if metrics.FIGURES[key].kind == "days":
        qs = metrics.with_used_workdays(qs)
    if after:
        try:
            qs = qs.filter(id__lt=int(after))
        except ValueError:
            pass  # a mangled key starts from the beginning
    rows = list(qs.select_related("item_version", "applicant", "handler", "region", "bundle", "clock", "window")
                .order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].id) if more else None)


def led(user) -> Q:
    """The cases a department head (审批局负责人) answers for: their department's items (or their region's,
    when the grant names no department)."""
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for g in grants(user, Role.BUREAU_LEADER):
        within = Q(region__path__startswith=g.region.path)
        q |= Q(item__department_id=g.department_id) if g.department_id else within
    return q


def warning_lists(user, light: str, limit: int = 100) -> dict:
    """预警名单: open cases and open back-office steps on `light` (yellow or red) in the user's charge."""
    from tongban.workflow.models import CaseStep

    charge = supervised(user) | led(user)
    cases = (Case.objects.filter(charge, clock__isnull=False, light=light).exclude(clock__state=ClockState.STOPPED)
             .select_related("item_version", "applicant", "handler", "region", "bundle").order_by("deadline", "id")[:limit])
    steps = (CaseStep.objects.filter(case__in=Case.objects.filter(charge).values("pk"), light=light,
                                     state__in=[CaseStep.State.READY, CaseStep.State.CLAIMED])
             .select_related("case__item_version", "case__bundle", "step", "department", "claimant").order_by("deadline", "id")[:limit])
    counts = {k: Case.objects.filter(charge, clock__isnull=False, light=k).exclude(clock__state=ClockState.STOPPED).count()
              for k in ("red", "yellow")}
    return {"cases": list(cases), "steps": list(steps), "counts": counts}
