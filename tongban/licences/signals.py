"""The licence library listens to the case lifecycle (cases announces, licences never is imported by it)."""

from django.dispatch import receiver

from tongban.cases.events import case_decided, case_revoked, materials_reused


@receiver(case_decided)
def issue_on_approval(sender, case, actor, on, approve=False, **kwargs):
    """准予许可: the licence the item version names is issued in the decision's transaction."""
    if approve:
        from .services import issue_for_case

        issue_for_case(actor, case, on)


@receiver(case_revoked)
def revoke_with_the_approval(sender, case, actor, on, reason="", **kwargs):
    from .services import revoke_for_case

    revoke_for_case(actor, case, reason or "许可已撤销", on)


@receiver(materials_reused)
def record_consent_and_use(sender, case, actor, on, offers=(), mode="window", **kwargs):
    from .services import record_reuse

    record_reuse(actor, case, offers, mode, on)
