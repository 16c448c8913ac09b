"""The daily jobs: each app registers its own in its AppConfig.ready, and workcal's `run_schedule` (which knows
the working days) enqueues every job that is due, once a day, as `run_job(name, day)` for the worker.

    schedule.register("scan_clocks", scan_lights, at=dt.time(6, 30))             # working days only
    schedule.register("seal_audit", seal_yesterday, at=dt.time(6), every_day=True)

A job is a function of the day it runs for (`pass_day=False`: of nothing); what it returns is the task's result,
so it must be JSON. Core names no app: a job is a callable, or the dotted path of one."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string
from django_tasks import task


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable | str
    at: dt.time
    every_day: bool = False  # housekeeping runs on holidays too; the rest only on working days
    pass_day: bool = True

    def __call__(self, day: dt.date):
        func = import_string(self.func) if isinstance(self.func, str) else self.func
        return func(day) if self.pass_day else func()


_jobs: dict[str, Job] = {}


def register(name: str, func: Callable | str, *, at: dt.time, every_day: bool = False, pass_day: bool = True) -> Job:
    """Register (or, with the same name, replace) a daily job."""
    job = _jobs[name] = Job(name, func, at, every_day, pass_day)
    return job


def jobs() -> list[Job]:
    """Every registered job, by time of day."""
    return sorted(_jobs.values(), key=lambda j: (j.at, j.name))


def get(name: str) -> Job:
    return _jobs[name]


_ticks: dict[str, Callable] = {}


def every_tick(name: str, func: Callable) -> None:
    """Register a cheap check the scheduler runs on every tick (each minute), in its own process: e.g. putting
    back on the queue the documents whose worker died mid-task. It must be idempotent and quick."""
    _ticks[name] = func


def ticks() -> dict[str, Callable]:
    return dict(_ticks)


@task()
def run_job(name: str, day: str):
    """The worker's side: run the registered job `name` for `day` (ISO date)."""
    return get(name)(dt.date.fromisoformat(day))
