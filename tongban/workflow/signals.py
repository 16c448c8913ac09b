"""Keep the case steps' stored deadline and light in step with their clocks after each scan (set-based)."""

from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver

from tongban.cases.events import case_accepted, case_resumed, case_withdrawn
from tongban.cases.models import Notice
from tongban.workcal.scan import lights_scanned

SYNC = """
UPDATE workflow_casestep SET
  light = (SELECT c.light FROM workcal_clock c WHERE c.id = workflow_casestep.clock_id),
  deadline = (SELECT c.deadline FROM workcal_clock c WHERE c.id = workflow_casestep.clock_id)
WHERE workflow_casestep.clock_id IS NOT NULL AND workflow_casestep.state IN ('ready', 'claimed')
"""


@receiver(lights_scanned)
def sync_step_lights(sender, day, **kwargs):
    with connection.cursor() as cur:
        cur.execute(SYNC)


# The case lifecycle (cases announces, the back office listens; cases never imports workflow).

@receiver(case_accepted)
def start_process_on_acceptance(sender, case, actor, on, **kwargs):
    """A promised item's process starts with the acceptance, in its transaction; True tells cases the
    decision now belongs to the process's decision step."""
    from .engine import start

    return start(case, on, actor=actor) is not None


@receiver(case_withdrawn)
def cancel_steps_on_withdrawal(sender, case, actor, on, reason="", **kwargs):
    from .engine import cancel_open_steps

    cancel_open_steps(actor, case, on, reason)


@receiver(case_resumed)
def resume_steps_after_correction(sender, case, actor, on, **kwargs):
    from .engine import resume_after_correction

    resume_after_correction(actor, case, on)


@receiver(post_save, sender=Notice)
def issue_new_notice(sender, instance, created, **kwargs):
    """Every notice recorded by an act is issued (rendered, sealed, stored) after that act commits."""
    if created and instance.state == "issuing":
        from .issuing import queue

        queue("notice", instance.pk)
