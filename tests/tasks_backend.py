"""The tests' task backend: tasks run in the process that enqueues them, right after the enqueuing transaction
commits (a decision's document exists when the response returns), except the calendar recompute. That one is
queued on every calendar change, and the transactional tests reload the calendar for each test: run at once, it
would recompute every year for every such test. Its own tests call it, or switch to the database backend."""

from django_tasks.backends.dummy import DummyBackend
from django_tasks.backends.immediate import ImmediateBackend

DEFERRED = {"tongban.workcal.tasks.recompute_years_task"}


class TestBackend(ImmediateBackend):
    def __init__(self, alias, params):
        super().__init__(alias, params)
        self._deferred = DummyBackend(alias, params)

    def enqueue(self, task, args, kwargs):
        if task.module_path in DEFERRED:
            return self._deferred.enqueue(task, args, kwargs)
        return super().enqueue(task, args, kwargs)
