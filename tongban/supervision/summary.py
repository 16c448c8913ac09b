"""The daily summary (models.DailyFigures): built from the cases, refreshed per (day, region) after lifecycle events,
and read by `metrics.summary` for the period figures when no filter needs the cases' own rows.

Every counter is the count figure of `metrics` restricted to one day and one key, computed by the same rules
(`aggregate`); `tests/test_supervision_summary.py` checks the figures read from here equal those counted from the
cases."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongban.cases.models import Case, Channel

from .models import DailyFigures, SummaryState

FIELDS = ["accepted_on", "completed_on", "decided_on", "region_id", "item_id", "item__department_id", "channel", "visits",
          "item__delegated_from_id", "clock__stopped_on", "clock__deadline", "clock__start_date", "clock__suspended_days",
          "clock__legal_limit_days", "clock__limit_days", "window_id"]
COUNTERS = ["accepted", "online", "delegated", "accepted_completed", "completed", "full_online", "one_visit", "decided",
            "on_time", "late", "used_sum", "legal_sum", "promised_sum"]


def _blank(key) -> dict:
    day, region, department, item, channel, level, window = key
    return {"day": day, "region_id": region, "department_id": department, "item_id": item, "channel": channel, "level": level,
            "window_id": window,
            **dict.fromkeys(COUNTERS, 0), "last_completed_on": None, "completed_on_days": defaultdict(int),
            "used_hist": defaultdict(int)}


def aggregate(rows, only_day: dt.date | None = None) -> dict:
    """Summary rows (dicts by key) from case rows (`FIELDS` value tuples); `only_day`: the rows of that day only."""
    from tongban.workcal.days import get_calendar

    cal = get_calendar()
    out: dict = {}

    def rows_of(day, r):  # the item's row and the roll-up rows of levels 1 and 2 (see models.DailyFigures.level)
        got = []
        keys = [(day, r[3], r[5], r[4], r[6], 0, None), (day, r[3], r[5], None, r[6], 1, None), (day, r[3], None, None, "", 2, None)]
        if r[15] is not None:
            keys.append((day, r[3], None, None, "", 3, r[15]))
        for key in keys:
            if key not in out:
                out[key] = _blank(key)
            got.append(out[key])
        return got

    for r in rows:
        (accepted_on, completed_on, decided_on, _region, _item, _dep, channel, visits, delegated_from,
         stopped_on, deadline, start, suspended, legal, promised, _window) = r
        for s in rows_of(accepted_on, r) if accepted_on and (only_day is None or accepted_on == only_day) else ():
            # metrics.accepted / online / delegated
            s["accepted"] += 1
            s["online"] += channel == Channel.ONLINE
            s["delegated"] += delegated_from is not None
            if completed_on:  # metrics.accepted_and_completed, read with the period's end
                s["accepted_completed"] += 1
                s["completed_on_days"][completed_on.isoformat()] += 1
                s["last_completed_on"] = max(s["last_completed_on"] or completed_on, completed_on)
        for s in rows_of(completed_on, r) if completed_on and (only_day is None or completed_on == only_day) else ():
            # metrics.completed / full_online / one_visit
            s["completed"] += 1
            s["full_online"] += channel == Channel.ONLINE and visits == 0
            s["one_visit"] += visits <= 1
        decided = decided_on and stopped_on and (only_day is None or decided_on == only_day)
        used = cal.index_of(stopped_on) - cal.index_of(start) - (suspended or 0) if decided else None
        for s in rows_of(decided_on, r) if decided else ():
            # metrics.decided (+ the days figures)
            s["decided"] += 1
            if deadline is not None:
                s["on_time"] += stopped_on <= deadline
                s["late"] += stopped_on > deadline
            s["used_sum"] += used
            s["used_hist"][str(used)] += 1
            s["legal_sum"] += legal or 0
            s["promised_sum"] += promised or 0
    return out


COLUMNS = ["day", "region_id", "department_id", "item_id", "channel", "level", "window_id", *COUNTERS, "last_completed_on",
           "completed_on_days", "used_hist"]


def _objects(rows: dict):
    for s in rows.values():
        s["completed_on_days"], s["used_hist"] = dict(s["completed_on_days"]), dict(s["used_hist"])
        yield DailyFigures(**s)


def _write(rows: dict) -> int:
    """Insert summary rows: COPY on PostgreSQL (a rebuild writes hundreds of thousands), bulk_create elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return len(DailyFigures.objects.bulk_create(_objects(rows), batch_size=5000))
    import json

    with connection.cursor() as c:
        with c.cursor.copy(f"COPY {DailyFigures._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN") as cp:
            for s in rows.values():
                cp.write_row([json.dumps(s[k]) if k in ("completed_on_days", "used_hist") else s[k] for k in COLUMNS])
    return len(rows)


def rebuild(chunk: int = 20_000) -> int:
    """Rewrite the whole table from the cases (after a bulk load, or to repair). Returns the number of rows."""
    with transaction.atomic():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                c.execute(f"TRUNCATE {DailyFigures._meta.db_table}")
        else:
            DailyFigures.objects.all().delete()
        total, n, last = {}, 0, 0
        qs = Case.objects.filter(Q(accepted_on__isnull=False) | Q(completed_on__isnull=False))
        while True:  # by key, in chunks: no OFFSET, no cursor held over the whole table
            part = list(qs.filter(id__gt=last).order_by("id").values_list("id", *FIELDS)[:chunk])
            if not part:
                break
            last, n = part[-1][0], n + len(part)
            for key, s in aggregate(r[1:] for r in part).items():
                if key in total:
                    _merge(total[key], s)
                else:
                    total[key] = s
        written = _write(total)
        SummaryState.objects.all().delete()
        SummaryState.objects.create(built_at=timezone.now(), cases=n)
    return written


def _merge(into: dict, s: dict):
    for c in COUNTERS:
        into[c] += s[c]
    for d, k in s["completed_on_days"].items():
        into["completed_on_days"][d] += k
    for d, k in s["used_hist"].items():
        into["used_hist"][d] += k
    if s["last_completed_on"] and (into["last_completed_on"] is None or s["last_completed_on"] > into["last_completed_on"]):
        into["last_completed_on"] = s["last_completed_on"]


def refresh(day: dt.date, region_id: int) -> int:
    """Rewrite the rows of one day and one region from its cases (the unit a lifecycle event changes)."""
    from tongban.org.models import Region

    with transaction.atomic():
        # one refresh of a region at a time; NO KEY UPDATE lets cases referring to the region be written meanwhile
        Region.objects.select_for_update(no_key=True).filter(pk=region_id).first()
        rows = (Case.objects.filter(region_id=region_id).filter(Q(accepted_on=day) | Q(completed_on=day) | Q(decided_on=day))
                .values_list(*FIELDS))
        fresh = aggregate(rows, only_day=day)
        DailyFigures.objects.filter(day=day, region_id=region_id).delete()
        DailyFigures.objects.bulk_create(_objects(fresh))
    return len(fresh)


def built() -> bool:
    return SummaryState.objects.exists()


def days_of(case) -> set[dt.date]:
    return {d for d in (case.accepted_on, case.completed_on, case.decided_on) if d}
