"""Listens to the case lifecycle (tongban.cases.events) and writes the outbox in the act's own transaction."""

from django.dispatch import receiver

from tongban.cases import events

from .services import record_event

KINDS = {
    events.case_accepted: "case_accepted", events.case_returned: "case_returned", events.case_resumed: "case_resumed",
    events.case_withdrawn: "case_withdrawn", events.case_decided: "case_decided", events.case_delivered: "case_delivered",
    events.case_extended: "case_extended", events.case_revoked: "case_revoked",
}


def _listener(kind):
    def listen(sender, case, actor=None, on=None, **kwargs):
        record_event(kind, case, on=on, **kwargs)

    listen.__name__ = f"outbox_{kind}"
    return listen


_listeners = []
for signal, kind in KINDS.items():
    fn = _listener(kind)
    _listeners.append(fn)  # signals hold weak references: keep the functions alive
    signal.connect(fn, dispatch_uid=f"exchange_{kind}")
del receiver
