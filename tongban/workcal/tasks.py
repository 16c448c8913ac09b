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


@task()
def seal_audit_task(day: str | None = None):
    """Seal yesterday's audit chain heads (runs each morning)."""
    import datetime as dt

    from django.utils import timezone

    from tongban.core.audit import seal_day

    target = dt.date.fromisoformat(day) - dt.timedelta(days=1) if day else timezone.localdate() - dt.timedelta(days=1)
    seal = seal_day(target)
    return {"day": str(seal.day), "chains": len(seal.heads)}


@task()
def auto_accept_task(day: str | None = None):
    """行政许可法 art. 32: cases left unanswered five working days are accepted from receipt."""
    import datetime as dt

    from tongban.cases.services import auto_accept_due

    return auto_accept_due(dt.date.fromisoformat(day) if day else None)


@task()
def sweep_uploads_task(day: str | None = None):
    """Uploaded files left behind by rolled-back transactions (older than a day) are deleted."""
    from tongban.cases.files import sweep_orphans

    return {"removed": len(sweep_orphans())}
