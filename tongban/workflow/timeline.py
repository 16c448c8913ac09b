"""A case's timeline (Gantt-like): one bar row per step, budget against time used, on a calendar-day axis
with non-working days shaded and a marker for today. Positions are percentages of the axis, rendered as
plain HTML/CSS by the page (no script)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from tongban.cases.models import Case
from tongban.cases.selectors import is_visible
from tongban.core.errors import NotFound
from tongban.org.models import RoleGrant
from tongban.workcal.clocks import status
from tongban.workcal.days import get_calendar
from tongban.workcal.models import ClockState

from .models import CaseProcess, CaseStep

DAY = dt.timedelta(days=1)


@dataclass
class Span:
    left: str  # percent of the axis, formatted for CSS
    width: str


@dataclass
class Row:
    name: str
    department: str
    state: str
    state_name: str
    light: str = ""
    claimant: str = ""
    started: dt.date | None = None
    deadline: dt.date | None = None
    done: dt.date | None = None
    budget_days: int | None = None
    used_days: int | None = None
    paused_days: int = 0
    budget: Span | None = None
    used: Span | None = None
    pauses: list[Span] = field(default_factory=list)
    milestone: str | None = None  # a step done at once (受理): a mark, not a bar
    case_step: CaseStep | None = None

    @property
    def over_days(self) -> int:
        return max(0, (self.used_days or 0) - (self.budget_days or 0))


def can_see(user, case: Case) -> bool:
    """Staff who may see the case, or whose department has a step on it (also as a joint-inspection member)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or is_visible(user, case, staff_only=True):
        return True
    mine = RoleGrant.objects.filter(user=user, department__isnull=False).values("department_id")
    return CaseStep.objects.filter(Q(department_id__in=mine) | Q(step__joint_departments__in=mine), case=case).exists()


class _Axis:
    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.days = start, (end - start).days + 1

    def pct(self, days: float) -> str:
        return f"{max(0.0, min(100.0, days * 100 / self.days)):.3f}"

    def span(self, first: dt.date, last: dt.date, min_days: float = 0, until_today: bool = False) -> Span | None:
        """Columns `first`..`last` inclusive, or up to the middle of `last` (the today marker) for what still runs;
        None when empty, unless a minimum width is asked for."""
        days = (last - first).days + (0.5 if until_today else 1)
        if days <= 0 and not min_days:
            return None
        return Span(self.pct((first - self.start).days), self.pct(max(days, min_days)))


def _planned_end(clock, st: dict, cal) -> dt.date | None:
    """The deadline, or for a paused clock the deadline it would have if resumed today."""
    if clock.deadline:
        return clock.deadline
    if clock.state == ClockState.PAUSED:
        return cal.add(clock.start_date, clock.total_days + st["suspended"]).date
    return None


def _clock_row(row: Row, clock, started: dt.date, done: dt.date | None, on: dt.date, axis: _Axis, cal) -> Row:
    st = status(clock, on)
    row.budget_days, row.used_days, row.paused_days, row.light = st["total"], st["elapsed"], st["suspended"], st["light"]
    row.deadline = _planned_end(clock, st, cal)
    if row.deadline:
        row.budget = axis.span(started + DAY, row.deadline)
    row.used = axis.span(started + DAY, done, min_days=0.5) if done else axis.span(started + DAY, on, until_today=True)
    for s in clock.suspensions.all():
        pause = axis.span(s.start + DAY, s.end, min_days=0.5) if s.end else axis.span(s.start + DAY, on, until_today=True)
        if pause:
            row.pauses.append(pause)
    return row


def timeline(case: Case, on: dt.date | None = None) -> dict:
    on = on or timezone.localdate()
    run = CaseProcess.objects.filter(case=case).first()
    if run is None:
        raise NotFound("该办件没有后台审批流程")
    cal = get_calendar()
    steps = list(case.steps.select_related("step", "department", "claimant", "clock")
                 .prefetch_related("clock__suspensions").order_by("step__order", "step_id"))
    start = run.started_on
    ends = [on]
    for clock in [case.clock] + [cs.clock for cs in steps]:
        if clock is not None:
            ends += [d for d in (clock.deadline, clock.stopped_on) if d]
            if clock.state == ClockState.PAUSED:
                ends.append(_planned_end(clock, status(clock, on), cal))
    axis = _Axis(start, max(ends) + DAY)  # one spare column after the last date
    rows = []
    if case.clock_id:
        total = Row(name="办件全程", department="承诺办结时限", state=case.clock.state, state_name=case.clock.get_state_display(),
                    started=case.clock.start_date, done=case.clock.stopped_on)
        rows.append(_clock_row(total, case.clock, case.clock.start_date, case.clock.stopped_on, on, axis, cal))
    for cs in steps:
        row = Row(name=cs.step.name, department=cs.department.name, state=cs.state, state_name=cs.get_state_display(),
                  light=cs.light, claimant=str(cs.claimant) if cs.claimant_id else "", started=cs.started_on,
                  done=cs.done_on, case_step=cs)
        if cs.clock_id and cs.started_on:
            _clock_row(row, cs.clock, cs.started_on, cs.done_on, on, axis, cal)
        elif cs.done_on:  # the start step is done by acceptance itself
            row.milestone = axis.pct((cs.done_on - start).days + 0.5)
        rows.append(row)
    off = []
    d = start
    while d < start + dt.timedelta(days=axis.days):
        if not cal.day(d).working:
            first = d
            while d + DAY < start + dt.timedelta(days=axis.days) and not cal.day(d + DAY).working:
                d += DAY
            off.append(axis.span(first, d))
        d += DAY
    every = 1 if axis.days <= 12 else 2 if axis.days <= 24 else 7 if axis.days <= 84 else 14
    ticks = [(axis.pct(i), start + dt.timedelta(days=i)) for i in range(0, axis.days, every)]
    return {"rows": rows, "off": off, "ticks": ticks, "today": axis.pct((on - start).days + 0.5), "start": start,
            "end": start + dt.timedelta(days=axis.days - 1), "on": on}
