"""Clocks: start, suspend, resume, extend, stop. A clock is a ledger (suspensions and extensions are
rows); after every change its deadline and light are recomputed on the official calendar and stored.

Elapsed time on day `d` = working days in (start, d] minus working days suspended.
Deadline = add_working_days(start, limit + extensions + suspended working days).
"""

import datetime as dt

from django.db.models import Sum
from django.utils import timezone

from tongban.core import memo, tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError
from tongban.org.models import Role
from tongban.org.scopes import has_role

from .days import get_calendar
from .models import (
    ITEM_DEPENDENT_REASONS, Clock, ClockEvent, ClockState, Extension, LevelBudget, Light, Suspension, SuspendReason,
    WarningPolicy,
)

SINGLE_AUTHORITY_EXTENSION = 10  # 行政许可法 art. 42: 20 working days, extendable by 10
JOINT_EXTENSION = 15  # art. 42 para. 2: joint or centralised handling, 45 extendable by 15


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def light_for(clock: Clock, on: dt.date) -> str:
    """The light of a running clock on day `on`, from its stored deadline. A clock no longer than the warning
    window (a one- or two-day step) is not yellow before a working day of it has passed."""
    if on > clock.deadline:
        return Light.RED
    remaining = get_calendar().between(on, clock.deadline).days
    total = clock.total_days
    if (remaining <= clock.warn_days and remaining < total) or (total - remaining) * 100 >= clock.warn_percent * total:
        return Light.YELLOW
    return Light.GREEN


def recompute(clock: Clock, on: dt.date | None = None) -> None:
    """Set deadline, legal deadline, light and provisional from the ledger (the caller saves).

    Suspended working days are recounted from the suspension rows on the current calendar, so a newly
    published or corrected year changes them too."""
    on = _today(on)
    cal = get_calendar()
    if clock.pk:
        clock.suspended_days = sum(
            cal.between(s.start, s.end).days for s in clock.suspensions.filter(end__isnull=False)
        )
    if clock.state == ClockState.PAUSED:
        clock.deadline = None  # no deadline while the clock stands still; the light stays as it was
        legal = cal.add(clock.start_date, clock.legal_limit_days + clock.extended_days + clock.suspended_days)
        clock.legal_deadline, clock.provisional = None, legal.provisional
        return
    due = cal.add(clock.start_date, clock.total_days + clock.suspended_days)
    legal = cal.add(clock.start_date, clock.legal_limit_days + clock.extended_days + clock.suspended_days)
    clock.deadline, clock.legal_deadline = due.date, legal.date
    clock.provisional = due.provisional or legal.provisional
    if clock.state == ClockState.RUNNING:
        clock.light = light_for(clock, on)
    elif clock.stopped_on:
        clock.light = Light.RED if clock.stopped_on > clock.deadline else Light.GREEN


def save_with_warning(clock: Clock, before: str | None, on: dt.date, actor=None) -> None:
    """Save, and record a yellow or red card when the light just turned so outside the daily scan."""
    clock.save()
    if clock.light != before and clock.light in (Light.YELLOW, Light.RED) and clock.state != ClockState.STOPPED:
        ClockEvent.objects.create(clock=clock, kind=clock.light, day=on, actor=actor if getattr(actor, "pk", None) else None)


def status(clock: Clock, on: dt.date | None = None) -> dict:
    """Elapsed and remaining working days on `on`, for pages and the API."""
    on = _today(on)
    cal = get_calendar()
    end = min(on, clock.stopped_on) if clock.stopped_on else on
    suspended = clock.suspended_days
    # read through .all() so a list that prefetched the suspensions asks nothing more
    open_s = next((s for s in clock.suspensions.all() if s.end is None), None) if clock.state == ClockState.PAUSED else None
    if open_s and end > open_s.start:
        suspended += cal.between(open_s.start, end).days
    elapsed = cal.between(clock.start_date, end).days - suspended if end > clock.start_date else 0
    return {
        "state": clock.state, "light": clock.light, "deadline": clock.deadline, "legal_deadline": clock.legal_deadline,
        "elapsed": elapsed, "remaining": clock.total_days - elapsed, "total": clock.total_days,
        "suspended": suspended, "extended": clock.extended_days, "provisional": clock.provisional,
    }


def _event(clock: Clock, kind: str, on: dt.date, actor=None, **data) -> None:
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    ClockEvent.objects.create(clock=clock, kind=kind, day=on, actor=actor if getattr(actor, "pk", None) else None, data=data)
    record(actor, f"clock.{kind}", clock, data={"day": on, **data}, new=kind == ClockEvent.Kind.START)


def warning_policy(item_id: int | None) -> WarningPolicy:
    """The item's own policy, else the global one, else 2 days / 80 %."""
    def load():
        from django.db.models import Q

        rows = sorted(WarningPolicy.objects.filter(Q(item__isnull=True) | Q(item_id=item_id)), key=lambda p: p.item_id is None)
        return rows[0] if rows else WarningPolicy(days=2, percent=80)

    return memo.settled(("warning_policy", item_id), load)


def _max_extension(item_version, joint: bool) -> int:
    if item_version is None or not item_version.extension_allowed:
        return 0
    cap = JOINT_EXTENSION if joint else SINGLE_AUTHORITY_EXTENSION
    stated = item_version.extension_days or cap
    return stated if item_version.extension_basis else min(stated, cap)


def _check_budget(parent: Clock, level: int | None, limit_days: int) -> None:
    """"最多跑一个月": the steps of one level inside a case may not take more than the level's budget."""
    if level is None:
        return
    for budget in memo.settled(("level_budget",), lambda: list(LevelBudget.objects.all())):
        if level not in budget.levels:
            continue
        used = parent.children.filter(level__in=budget.levels).aggregate(s=Sum("limit_days"))["s"] or 0
        if used + limit_days > budget.max_days:
            raise DomainError(
                "level_budget_exceeded",
                f"{budget.name}合计{used + limit_days}个工作日,超过“最多跑一个月”规定的{budget.max_days}个工作日",
                field="limit_days",
            )


def start_clock(
    actor, *, subject_type: str, subject_id, start_date: dt.date, item_version=None, limit_days: int | None = None,
    legal_limit_days: int | None = None, parent: Clock | None = None, level: int | None = None, joint: bool = False,
    label: str = "", on: dt.date | None = None, parent_locked: bool = False, check_budget: bool = True,
) -> Clock:
    """Start counting from `start_date` (the day of acceptance, itself not counted). `parent_locked`: the
    caller already holds the parent clock's row lock (it created the parent in this transaction)."""
    if limit_days is None:
        if item_version is None:
            raise DomainError("limit_required", "缺少办理时限")
        limit_days = item_version.promised_limit
    if legal_limit_days is None:
        legal_limit_days = item_version.legal_limit if item_version else limit_days
    if limit_days > legal_limit_days:
        raise DomainError("limit_over_legal", f"办理时限({limit_days}个工作日)不得超过法定时限({legal_limit_days}个工作日)")
    allowed = [r for r in SuspendReason.values if r not in ITEM_DEPENDENT_REASONS]
    if item_version is not None:
        allowed += [r for r in item_version.uncounted_procedures or [] if r in ITEM_DEPENDENT_REASONS]
    policy = warning_policy(item_version.item_id if item_version is not None else None)
    with tx.atomic():
        if parent is not None:
            if not parent_locked:
                parent = Clock.objects.select_for_update().get(pk=parent.pk)
            if check_budget:
                _check_budget(parent, level, limit_days)
        clock = Clock(
            subject_type=subject_type, subject_id=str(subject_id), label=label, parent=parent, level=level,
            item_version=item_version, start_date=start_date, limit_days=limit_days, legal_limit_days=legal_limit_days,
            max_extension_days=_max_extension(item_version, joint), allowed_suspensions=allowed,
            warn_days=policy.days, warn_percent=policy.percent,
        )
        recompute(clock, on)
        save_with_warning(clock, Light.GREEN, on, actor)
        _event(clock, ClockEvent.Kind.START, start_date, actor, limit=limit_days, deadline=clock.deadline)
    return clock


def _locked(clock: Clock) -> Clock:
    return Clock.objects.select_for_update().get(pk=clock.pk)


def suspend_clock(actor, clock: Clock, reason: str, *, on: dt.date | None = None, note: str = "") -> Clock:
    on = _today(on)
    with tx.atomic():
        clock = _locked(clock)
        if clock.state != ClockState.RUNNING:
            raise Conflict("clock_not_running", f"当前{clock.get_state_display()},不能暂停计时")
        if reason not in clock.allowed_suspensions:
            label = dict(SuspendReason.choices).get(reason, reason)
            raise DomainError("suspend_reason", f"“{label}”不是本事项可暂停计时的情形", field="reason")
        if on < clock.start_date:
            raise DomainError("suspend_before_start", "暂停日期不得早于起算日", field="on")
        last = clock.suspensions.filter(end__isnull=False).order_by("-end").first()
        if last and on < last.end:
            raise DomainError("suspend_overlap", f"暂停日期不得早于上次恢复计时日({last.end:%Y-%m-%d})", field="on")
        Suspension.objects.create(clock=clock, reason=reason, note=note, start=on)
        status_now = status(clock, on)
        clock.state, clock.paused_since, clock.remaining_at_pause = ClockState.PAUSED, on, status_now["remaining"]
        recompute(clock, on)
        clock.save()
        _event(clock, ClockEvent.Kind.SUSPEND, on, actor, reason=reason, note=note)
    return clock


def resume_clock(actor, clock: Clock, *, on: dt.date | None = None) -> Clock:
    on = _today(on)
    with tx.atomic():
        clock = _locked(clock)
        if clock.state != ClockState.PAUSED:
            raise Conflict("clock_not_paused", "时钟未暂停,无需恢复计时")
        s = clock.suspensions.get(end__isnull=True)
        if on < s.start:
            raise DomainError("resume_before_suspend", "恢复日期不得早于暂停日期", field="on")
        s.end = on
        s.save()
        paused = get_calendar().between(s.start, on).days
        before = clock.light
        clock.state, clock.paused_since, clock.remaining_at_pause = ClockState.RUNNING, None, None
        recompute(clock, on)
        save_with_warning(clock, before, on, actor)
        _event(clock, ClockEvent.Kind.RESUME, on, actor, paused_days=paused, deadline=clock.deadline)
    return clock


def extend_clock(actor, clock: Clock, days: int, reason: str, *, approver, on: dt.date | None = None) -> Clock:
    """特别程序/延长审批: only where the item allows it, never beyond the legal maximum."""
    on = _today(on)
    authority = clock.item_version.item.department if clock.item_version_id else None
    if not has_role(approver, Role.BUREAU_LEADER, department=authority):
        raise DomainError("extension_approver", "延长审批期限须经本机关负责人批准", field="approver")
    if days < 1:
        raise DomainError("extension_days", "延长天数至少为1个工作日", field="days")
    if not reason.strip():
        raise DomainError("extension_reason", "请填写延长理由", field="reason")
    with tx.atomic():
        clock = _locked(clock)
        if clock.state == ClockState.STOPPED:
            raise Conflict("clock_stopped", "已办结,不能延长期限")
        if clock.max_extension_days == 0:
            raise DomainError("extension_not_allowed", "该事项不允许延长审批期限", field="days")
        if clock.extended_days + days > clock.max_extension_days:
            raise DomainError(
                "extension_over_limit",
                f"延长后合计{clock.extended_days + days}个工作日,超过可延长上限{clock.max_extension_days}个工作日",
                field="days",
            )
        Extension.objects.create(clock=clock, days=days, reason=reason, approver=approver, approved_on=on)
        clock.extended_days += days
        before = clock.light
        recompute(clock, on)
        save_with_warning(clock, before, on, actor)
        _event(clock, ClockEvent.Kind.EXTEND, on, actor, days=days, reason=reason, approver=approver.pk, deadline=clock.deadline)
    return clock


def stop_clock(actor, clock: Clock, *, on: dt.date | None = None) -> Clock:
    on = _today(on)
    with tx.atomic():
        clock = _locked(clock)
        if clock.state == ClockState.STOPPED:
            raise Conflict("clock_stopped", "时钟已停止")
        if on < clock.start_date:
            raise DomainError("stop_before_start", "办结日期不得早于起算日", field="on")
        if clock.state == ClockState.PAUSED:
            s = clock.suspensions.get(end__isnull=True)
            if on < s.start:
                raise DomainError("stop_before_suspend", f"办结日期不得早于暂停计时日({s.start:%Y-%m-%d})", field="on")
            s.end = on
            s.save()
        clock.state, clock.stopped_on, clock.paused_since = ClockState.STOPPED, on, None
        recompute(clock, on)
        clock.save()
        _event(clock, ClockEvent.Kind.STOP, on, actor, overdue=clock.light == Light.RED)
    return clock
