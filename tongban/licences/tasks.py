"""Background work of the licence library (django-tasks, database backend; the worker is `manage.py db_worker`):
rendering and sealing a licence after the decision that issued it committed, and the daily jobs registered with
core.schedule in LicencesConfig.ready (expiry reminders, the sweep of licences still waiting for their face)."""

import datetime as dt

from django_tasks import task

from tongban.core import schedule

from . import services


@task()
def render_licence_task(licence_id: int):
    """Idempotent: a licence already rendered is left as it is (a retried or duplicated task changes nothing)."""
    return services.render_licence(licence_id)


def register_jobs() -> None:
    schedule.register("licence_reminders", services.send_reminders, at=dt.time(7, 0), every_day=True)  # 到期提醒 90/30 days
    schedule.register("licence_render_sweep", services.render_pending, at=dt.time(3, 30), every_day=True, pass_day=False)
