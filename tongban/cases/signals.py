"""Keep the case rows' stored deadline and light in step with their clocks after each scan; an overdue
容缺 commitment turns the case red (set-based, like the scan itself)."""

from django.db import connection
from django.dispatch import receiver

from tongban.workcal.scan import lights_scanned
from tongban.workcal.services import clock_deadline_moved

SYNC = """
UPDATE cases_case SET
  light = CASE
    WHEN cases_case.gap_open AND EXISTS (
      SELECT 1 FROM cases_gapcommitment g WHERE g.case_id = cases_case.id AND g.deadline < %(today)s) THEN 'red'
    ELSE (SELECT c.light FROM workcal_clock c WHERE c.id = cases_case.clock_id) END,
  deadline = (SELECT c.deadline FROM workcal_clock c WHERE c.id = cases_case.clock_id)
WHERE cases_case.clock_id IS NOT NULL
  AND cases_case.state IN ('accepted', 'returned', 'approved', 'denied')
"""


@receiver(lights_scanned)
def sync_case_lights(sender, day, **kwargs):
    with connection.cursor() as cur:
        cur.execute(SYNC, {"today": day})


@receiver(clock_deadline_moved)
def record_moved_deadline(sender, clock, old, new, day, **kwargs):
    """A published calendar moved a case's deadline: the case row follows and its history says why."""
    from .models import Case, CaseEvent

    case = Case.objects.filter(clock=clock).first()
    if case is None:
        return
    Case.objects.filter(pk=case.pk).update(deadline=new, light=clock.light)
    CaseEvent.objects.create(case=case, action="deadline_moved", from_state=case.state, to_state=case.state,
                             reason="国务院办公厅节假日安排公布后,按正式日历重新计算办结期限",
                             data={"from": str(old), "to": str(new)})
