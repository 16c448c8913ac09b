"""Recomputing the clocks after the official calendar changed (run by `tasks.recompute_years_task`)."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from . import days
from .clocks import recompute, save_with_warning
from .index import ensure_index
from .models import Clock, ClockEvent, ClockState

clock_deadline_moved = Signal()  # (clock, old, new, day): owners of clocks record it in their history


def affected_clocks(years):
    """Clocks whose stored dates may depend on `years`: provisional ones, and any whose period touches them."""
    touches = Q(provisional=True)
    for y in years:
        start, end = dt.date(y, 1, 1), dt.date(y, 12, 31)
        touches |= Q(start_date__lte=end) & (
            Q(deadline__gte=start) | Q(legal_deadline__gte=start) | Q(deadline__isnull=True, state=ClockState.PAUSED)
        )
    return Clock.objects.filter(touches)


def recompute_years(years, today: dt.date | None = None) -> dict:
    """Recompute every clock the changed years may affect; record an event where a deadline moved."""
    days.invalidate()
    ensure_index()  # queued twice per change: the second run finds the index current
    today = today or timezone.localdate()
    moved = checked = 0
    for pk in list(affected_clocks(years).values_list("id", flat=True)):
        with transaction.atomic():
            clock = Clock.objects.select_for_update().get(pk=pk)
            before = (clock.deadline, clock.legal_deadline)
            light = clock.light
            recompute(clock, today)
            save_with_warning(clock, light, today)
            checked += 1
            if (clock.deadline, clock.legal_deadline) != before:
                moved += 1
                ClockEvent.objects.create(
                    clock=clock, kind=ClockEvent.Kind.DEADLINE_MOVED, day=today,
                    data={"from": str(before[0]), "to": str(clock.deadline), "legal_from": str(before[1]), "legal_to": str(clock.legal_deadline)},
                )
                clock_deadline_moved.send(sender=Clock, clock=clock, old=before[0], new=clock.deadline, day=today)
    return {"checked": checked, "moved": moved}

