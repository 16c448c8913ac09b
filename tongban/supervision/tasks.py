"""The summary's refresh as a task (django-tasks: the database backend by default, RQ when configured)."""

import datetime as dt

from django_tasks import task


@task()
def refresh_summary_task(case_id: int, days: list[str]) -> int:
    """Rewrite the summary rows of the case's region on the days it was accepted, decided and completed (read now,
    after the act committed) and on the `days` given (the act's own day, a day it no longer has)."""
    from tongban.cases.models import Case

    from .summary import days_of, refresh

    case = Case.objects.filter(pk=case_id).only("region_id", "accepted_on", "completed_on", "decided_on").first()
    if case is None:
        return 0
    n = 0
    for day in sorted(days_of(case) | {dt.date.fromisoformat(d) for d in days}):
        n += refresh(day, case.region_id)
    return n
