"""The daily light scan (电子监察): one set-based UPDATE over all running clocks, using the working-day
index table, so a million clocks take seconds. Only lights that change are written, and every clock that
turns yellow or red gets a warning event (黄牌/红牌).

The new light is computed inside the UPDATE from the row's own deadline, so a clock whose deadline an
extension or a resumption moved while the scan waited for its row lock is judged on the new deadline."""

import datetime as dt

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from .days import get_calendar
from .index import ensure_index
from .models import ClockEvent

lights_scanned = Signal()  # sent inside the scan's transaction with `day`: owners of clocks update their rows

_REMAINING = "((SELECT d.idx FROM workcal_workdayindex d WHERE d.day = workcal_clock.deadline) - %(tidx)s)"
_TOTAL = "(workcal_clock.limit_days + workcal_clock.extended_days)"
NEW_LIGHT = f"""CASE
    WHEN workcal_clock.deadline < %(today)s THEN 'red'
    WHEN ({_REMAINING} <= workcal_clock.warn_days AND {_REMAINING} < {_TOTAL})
      OR ({_TOTAL} - {_REMAINING}) * 100 >= workcal_clock.warn_percent * {_TOTAL} THEN 'yellow'
    ELSE 'green' END"""


def scan_lights(today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    cal = get_calendar()
    ensure_index(cal)
    params = {"today": today, "tidx": cal.index_of(today)}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""UPDATE workcal_clock SET light = {NEW_LIGHT}
                WHERE workcal_clock.state = 'running' AND workcal_clock.deadline IS NOT NULL
                  AND workcal_clock.light <> {NEW_LIGHT}
                RETURNING workcal_clock.id, workcal_clock.light""",
            params,
        )
        changed = cur.fetchall()
        warnings = [ClockEvent(clock_id=pk, kind=light, day=today) for pk, light in changed if light in ("yellow", "red")]
        ClockEvent.objects.bulk_create(warnings, batch_size=5000)
        lights_scanned.send(sender=scan_lights, day=today)
    return {"day": today.isoformat(), "changed": len(changed), "warnings": len(warnings)}
