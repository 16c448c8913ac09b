"""Clock benchmark: the daily light scan over 1,000,000 open clocks, and 1,000,000 calendar additions.

    .venv/bin/python bench/clocks.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_clocks

Clocks are inserted set-based with deadlines spread over 60 working days around the scan day. The lights
are first brought up to date for the previous working day (a catch-up, printed but not the figure), then
the timed scan is the next working morning's: it moves the clocks that crossed a threshold overnight.
The baseline in the same run is a plain `UPDATE … SET light = light` over all rows (touching every row
once). The last line is one JSON object.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_clocks")
    ap.add_argument("--clocks", type=int, default=1_000_000)
    args = ap.parse_args()
    from harness import recreate

    recreate(args.database_url)  # a fresh machine has no such database: the benchmark makes its own
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")  # the published demo keys
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tongban.workcal.days import get_calendar
    from tongban.workcal.scan import scan_lights

    call_command("migrate", verbosity=0)
    if connection.vendor != "postgresql":
        print("note: the scan target is stated for PostgreSQL; running on", connection.vendor)
    cal = get_calendar()
    start = dt.date(2025, 3, 3)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM workcal_clockevent")
        cur.execute("DELETE FROM workcal_clock")
        t = time.perf_counter()
        if connection.vendor == "postgresql":
            cur.execute(
                """INSERT INTO workcal_clock (subject_type, subject_id, label, start_date, limit_days, legal_limit_days,
                     max_extension_days, extended_days, suspended_days, allowed_suspensions, state, deadline, legal_deadline,
                     light, warn_days, warn_percent, provisional, updated_at)
                   SELECT 'bench', g::text, '', d.day, 20, 20, 10, 0, 0, '[]', 'running', d.day, d.day, 'green', 2, 80, false, now()
                   FROM generate_series(1, %s) g
                   JOIN (SELECT day, row_number() OVER (ORDER BY day) AS n FROM workcal_workdayindex
                         WHERE working AND day BETWEEN %s AND %s) d ON d.n = 1 + g %% 60""",
                [args.clocks, start, start + dt.timedelta(days=100)],
            )
            cur.execute("ANALYZE workcal_clock")
        else:
            cur.execute(
                """WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s)
                   INSERT INTO workcal_clock (subject_type, subject_id, label, start_date, limit_days, legal_limit_days,
                     max_extension_days, extended_days, suspended_days, allowed_suspensions, state, deadline, legal_deadline,
                     light, warn_days, warn_percent, provisional, updated_at)
                   SELECT 'bench', n, '', date(%s, '+' || (n %% 84) || ' days'), 20, 20, 10, 0, 0, '[]', 'running',
                          date(%s, '+' || (n %% 84) || ' days'), date(%s, '+' || (n %% 84) || ' days'), 'green', 2, 80, 0, datetime('now')
                   FROM g""",
                [args.clocks, start, start, start],
            )
        load_s = time.perf_counter() - t
        cur.execute("SELECT count(*) FROM workcal_clock WHERE state = 'running'")
        n = cur.fetchone()[0]
        t = time.perf_counter()
        cur.execute("UPDATE workcal_clock SET light = light")
        baseline_s = time.perf_counter() - t
    print(f"dataset: {n} open clocks on {connection.vendor} (inserted in {load_s:.1f} s)")

    before_day = cal.add(start, 29).date
    scan_day = cal.add(start, 30).date
    t = time.perf_counter()
    catch_up = scan_lights(before_day)
    catch_up_s = time.perf_counter() - t
    print(f"catch-up to {before_day} (all lights from green): {catch_up_s:.2f} s, {catch_up['changed']} changed")
    t = time.perf_counter()
    result = scan_lights(scan_day)
    scan_s = time.perf_counter() - t
    t = time.perf_counter()
    again = scan_lights(scan_day)
    rescan_s = time.perf_counter() - t
    print(f"daily scan on {scan_day}: {scan_s:.2f} s, {result['changed']} lights changed, {result['warnings']} warnings")
    print(f"same-day rescan (nothing to change): {rescan_s:.2f} s, {again['changed']} changed")
    print(f"baseline: touching every row once: {baseline_s:.2f} s; scan/baseline {scan_s / baseline_s:.2f}x")

    add = cal.add
    d = dt.date(2025, 3, 3)
    t = time.perf_counter()
    for _ in range(1_000_000):
        add(d, 20)
    add_s = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(1_000_000):
        d + dt.timedelta(days=20)
    naive_s = time.perf_counter() - t
    print(f"add 20 working days x 1,000,000: {add_s:.2f} s (calendar-day addition baseline {naive_s:.2f} s, {add_s / naive_s:.1f}x)")
    print(json.dumps({"open_clocks": n, "scan_s": round(scan_s, 2), "add_1m_s": round(add_s, 2), "database": connection.vendor,
                      "rescan_s": round(rescan_s, 2), "baseline_update_s": round(baseline_s, 2), "changed": result["changed"]}))


if __name__ == "__main__":
    main()
