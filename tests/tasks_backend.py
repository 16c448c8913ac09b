"""The tests' task backend: tasks run in the process that enqueues them, right after the enqueuing transaction
commits (a decision's document exists when the response returns), except the calendar recompute. That one is
queued on every calendar change, and the transactional tests reload the calendar for each test: run at once, it
would recompute every year for every such test. A task given a later start (a retry's back-off) is not run either. Its own tests call it, or switch to the database backend."""

from django_tasks.backends.dummy import DummyBackend
from django_tasks.backends.immediate import ImmediateBackend

DEFERRED = {
    "tongban.workcal.tasks.recompute_years_task",
    "tongban.exchange.tasks.deliver_due_task",  # the outbox tests play the worker: they deliver, fail and replay in turn
}


class TestBackend(ImmediateBackend):
    supports_defer = True  # a task given a later start (a retry's back-off) waits, as on a real queue: never run here

    def __init__(self, alias, params):
        super().__init__(alias, params)
        self._deferred = DummyBackend(alias, params)

    def enqueue(self, task, args, kwargs):
        if task.module_path in DEFERRED or task.run_after is not None:
            return self._deferred.enqueue(task, args, kwargs)
        return super().enqueue(task, args, kwargs)
