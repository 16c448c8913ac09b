"""Where expiry reminders go. The reminder row itself is the in-app message (the holder's wallet shows it);
`settings.LICENCE_REMINDER_BACKENDS` (dotted paths) adds SMS or e-mail gateways, each a class with a `name` and
`send(reminder)`. A backend that fails is logged and does not stop the others."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class InApp:
    """站内提醒: stored, shown in the wallet. Nothing to send."""

    name = "in_app"

    def send(self, reminder) -> None:
        return None


class LogBackend:
    """For development: writes the message to the log where an SMS gateway would send it."""

    name = "log"

    def send(self, reminder) -> None:
        logger.info("licence reminder to %s: %s", reminder.holder_id[:6] + "****", reminder.message)


def backends() -> list:
    paths = getattr(settings, "LICENCE_REMINDER_BACKENDS", ["tongban.licences.reminders.InApp"])
    found = []
    for path in paths:
        backend = import_string(path)()
        send = backend.send

        def safe(reminder, _send=send, _name=backend.name):
            try:
                _send(reminder)
            except Exception:  # noqa: BLE001 - one gateway down must not lose the others
                logger.exception("reminder backend %s failed", _name)

        backend.send = safe
        found.append(backend)
    return found
