"""Keep the case steps' stored deadline and light in step with their clocks after each scan (set-based)."""

from django.db import connection
from django.dispatch import receiver

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
