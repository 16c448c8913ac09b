"""Keep the case rows' stored deadline and light in step with their clocks after each scan; an overdue
容缺 commitment turns the case red (set-based, like the scan itself)."""

from django.db import connection
from django.dispatch import receiver

from tongban.workcal.scan import lights_scanned

SYNC = """
UPDATE cases_case SET
  light = CASE
    WHEN cases_case.gap_open AND EXISTS (
      SELECT 1 FROM cases_gapcommitment g WHERE g.case_id = cases_case.id AND g.deadline < %(today)s) THEN 'red'
    ELSE (SELECT c.light FROM workcal_clock c WHERE c.id = cases_case.clock_id) END,
  deadline = (SELECT c.deadline FROM workcal_clock c WHERE c.id = cases_case.clock_id)
WHERE cases_case.clock_id IS NOT NULL
  AND cases_case.state IN ('accepted', 'approved', 'denied')
"""


@receiver(lights_scanned)
def sync_case_lights(sender, day, **kwargs):
    with connection.cursor() as cur:
        cur.execute(SYNC, {"today": day})
