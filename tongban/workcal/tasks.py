"""Background work (django-tasks, database backend), run by the worker `manage.py db_worker`. The daily jobs are
registered with core.schedule by the apps that own them (workcal's: the clock scan, in WorkcalConfig.ready) and
enqueued each morning by `manage.py run_schedule`."""

from django_tasks import task

from .recompute import recompute_years


@task()
def recompute_years_task(years: list[int]):
    return recompute_years(years)
