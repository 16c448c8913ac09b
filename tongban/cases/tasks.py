"""The cases app's daily jobs, registered with the scheduler (core.schedule) in CasesConfig.ready and enqueued
by workcal's `run_schedule`."""

import datetime as dt

from tongban.core import schedule

from .files import sweep_orphans
from .services import auto_accept_due


def sweep_uploads() -> dict:
    """Uploaded files left behind by rolled-back transactions (older than a day) are deleted."""
    return {"removed": len(sweep_orphans())}


def register_jobs() -> None:
    schedule.register("auto_accept", auto_accept_due, at=dt.time(6, 15))  # 行政许可法 art. 32: unanswered five working days
    schedule.register("sweep_uploads", sweep_uploads, at=dt.time(3, 0), every_day=True, pass_day=False)
