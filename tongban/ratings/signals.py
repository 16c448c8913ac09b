"""Invitations to rate: at 收件 and at 办结, announced by cases."""

from django.dispatch import receiver

from tongban.cases import events
from tongban.cases.models import Case


@receiver(events.case_received, sender=Case, dispatch_uid="ratings_invite_received")
def invite_at_receipt(sender, case, on, **kwargs):
    from .services import invite

    invite(case, "received", on)


@receiver(events.case_delivered, sender=Case, dispatch_uid="ratings_invite_completed")
def invite_at_completion(sender, case, on, **kwargs):
    from .services import invite

    invite(case, "completed", on)
