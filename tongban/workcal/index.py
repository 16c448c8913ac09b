"""The working-day index table (WorkdayIndex) that lets SQL count working days."""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, Sum

from .days import WorkCalendar, get_calendar


def index_rows(cal: WorkCalendar, model):
    for i, idx in enumerate(cal.cum):
        d = dt.date.fromordinal(cal.base + i)
        yield model(day=d, idx=idx, working=bool(cal.working[i]), provisional=d.year not in cal.published)


def fingerprint(cal: WorkCalendar) -> tuple[int, int, int]:
    """Row count, sum of the working-day counts, provisional days: moving any holiday changes the sum."""
    return len(cal.cum), sum(cal.cum), cal.prov[-1]


def rebuild_index(cal: WorkCalendar | None = None, model=None) -> int:
    from .models import CalendarYear, WorkdayIndex

    model = model or WorkdayIndex
    cal = cal or get_calendar()
    with transaction.atomic():
        if model is WorkdayIndex:  # one rebuild at a time: the scan and a publication may both find it stale
            list(CalendarYear.objects.select_for_update().order_by("year")[:1])
        model.objects.all().delete()
        model.objects.bulk_create(index_rows(cal, model), batch_size=5000)
    return len(cal.cum)


def index_is_current(cal: WorkCalendar | None = None) -> bool:
    from .models import WorkdayIndex

    cal = cal or get_calendar()
    agg = WorkdayIndex.objects.aggregate(n=Count("day"), s=Sum("idx"), p=Count("day", filter=Q(provisional=True)))
    return (agg["n"], agg["s"] or 0, agg["p"]) == fingerprint(cal)


def ensure_index(cal: WorkCalendar | None = None) -> None:
    cal = cal or get_calendar()
    if not index_is_current(cal):
        rebuild_index(cal)
