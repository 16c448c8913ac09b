"""The daily light scan (电子监察): set-based SQL over all running clocks, using the working-day index
table, so a million clocks take seconds. Only lights that change are written, and every clock that turns
yellow or red gets a warning event (黄牌/红牌)."""

import datetime as dt

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from .days import get_calendar
from .index import index_is_current, rebuild_index

lights_scanned = Signal()  # sent inside the scan's transaction with `day`: owners of clocks update their rows

NEW_LIGHT = """
    SELECT c.id AS id, c.light AS light,
      CASE
        WHEN c.deadline < %(today)s THEN 'red'
        WHEN (d.idx - %(tidx)s) <= c.warn_days
          OR ((c.limit_days + c.extended_days) - (d.idx - %(tidx)s)) * 100 >= c.warn_percent * (c.limit_days + c.extended_days)
          THEN 'yellow'
        ELSE 'green'
      END AS new_light
    FROM workcal_clock c JOIN workcal_workdayindex d ON d.day = c.deadline
    WHERE c.state = 'running'
"""


def scan_lights(today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    cal = get_calendar()
    if not index_is_current(cal):
        rebuild_index(cal)
    params = {"today": today, "tidx": cal.index_of(today), "now": timezone.now()}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO workcal_clockevent (clock_id, kind, day, at, data)
                SELECT t.id, t.new_light, %(today)s, %(now)s, '{{}}'
                FROM ({NEW_LIGHT}) t
                WHERE t.new_light <> t.light AND t.new_light IN ('yellow', 'red')""",
            params,
        )
        warned = cur.rowcount
        cur.execute(
            f"""UPDATE workcal_clock SET light = t.new_light
                FROM ({NEW_LIGHT}) t
                WHERE workcal_clock.id = t.id AND t.new_light <> t.light""",
            params,
        )
        changed = cur.rowcount
        lights_scanned.send(sender=scan_lights, day=today)
    return {"day": today.isoformat(), "changed": changed, "warnings": warned}
