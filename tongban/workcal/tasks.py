"""Background work (django-tasks, database backend). The worker is `manage.py db_worker`; the
scheduler `manage.py run_schedule` enqueues the daily scan each working morning."""

from django_tasks import task


@task()
def scan_clocks_task(day: str | None = None):
    import datetime as dt

    from .scan import scan_lights

    return scan_lights(dt.date.fromisoformat(day) if day else None)


@task()
def recompute_years_task(years: list[int]):
    from .services import recompute_years

    return recompute_years(years)
