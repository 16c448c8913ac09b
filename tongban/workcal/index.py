"""The working-day index table (WorkdayIndex) that lets SQL count working days."""

import datetime as dt

from django.db import transaction

from .days import FIRST, WorkCalendar, get_calendar


def index_rows(cal: WorkCalendar, model):
    for i, idx in enumerate(cal.cum):
        d = dt.date.fromordinal(cal.base + i)
        yield model(day=d, idx=idx, working=bool(cal.working[i]), provisional=d.year not in cal.published)


def rebuild_index(cal: WorkCalendar | None = None, model=None) -> int:
    from .models import WorkdayIndex

    model = model or WorkdayIndex
    cal = cal or get_calendar()
    with transaction.atomic():
        model.objects.all().delete()
        model.objects.bulk_create(index_rows(cal, model), batch_size=5000)
    return len(cal.cum)


def index_is_current(cal: WorkCalendar | None = None) -> bool:
    """Cheap check before a scan: the table agrees with the calendar on its size, its last count and
    how many days are provisional (a publication changes at least one of these)."""
    from .models import WorkdayIndex

    cal = cal or get_calendar()
    last = dt.date.fromordinal(cal.base + len(cal.cum) - 1)
    row = WorkdayIndex.objects.filter(day=last).values_list("idx", flat=True).first()
    return (
        row == cal.cum[-1]
        and WorkdayIndex.objects.count() == len(cal.cum)
        and WorkdayIndex.objects.filter(provisional=True).count() == cal.prov[-1]
    )
