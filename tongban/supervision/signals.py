"""Listens to the case lifecycle (tongban.cases.events): after the act commits, a task refreshes the summary rows
of the days and region the case counts on (only once the summary was built: before, the figures read the cases)."""

import datetime as dt

from django.db import transaction

from tongban.cases import events

SIGNALS = [events.case_accepted, events.case_returned, events.case_resumed, events.case_withdrawn, events.case_decided,
           events.case_delivered, events.case_extended, events.case_revoked]


def on_lifecycle(sender, case, actor=None, on=None, **kwargs):
    from .summary import built, days_of
    from .tasks import refresh_summary_task

    if not built():
        return
    if isinstance(on, dt.datetime):
        on = on.date()
    days = sorted(d.isoformat() for d in days_of(case) | ({on} if isinstance(on, dt.date) else set()))
    case_id = case.pk
    transaction.on_commit(lambda: refresh_summary_task.enqueue(case_id, days))


for _n, _signal in enumerate(SIGNALS):
    _signal.connect(on_lifecycle, dispatch_uid=f"supervision_summary_{_n}")
