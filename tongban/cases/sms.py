"""Messages to applicants: a row on the applicant's page (`Message`) and a copy by SMS through a pluggable
backend (`settings.SMS_BACKEND`, a dotted path to a class with `send(phone, text)`), sent only after the act
commits. The demo backend stores what it would have sent (`SmsRecord`); production calls the SMS gateway."""

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from tongban.core.identifiers import mask_phone

from .models import Message, SmsRecord


class StoredSms:
    """The demo backend: what would leave for the phone is kept in a table."""

    def send(self, phone: str, text: str) -> None:
        SmsRecord.objects.create(phone=phone, text=text[:500])


def backend():
    return import_string(getattr(settings, "SMS_BACKEND", "tongban.cases.sms.StoredSms"))()


def tell(applicant, text: str, *, case=None, kind: str = "notice") -> Message:
    """A message on the applicant's page now and, on commit, by SMS to the applicant's phone."""
    message = Message.objects.create(applicant=applicant, case=case, kind=kind, text=text[:500])
    phone = applicant.phone
    if phone:
        def send():
            try:
                backend().send(phone, f"【通办】{text}"[:500])
            except Exception:  # noqa: BLE001 - a gateway failure must not undo the act; the page still shows it
                import logging

                logging.getLogger(__name__).warning("SMS to %s failed", mask_phone(phone))
        transaction.on_commit(send)
    return message
