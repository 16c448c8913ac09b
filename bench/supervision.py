"""电子监察 at scale: generate_load's speed, the city dashboard over a year, and a figure's drill-down list.

    .venv/bin/python bench/supervision.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_sup --cases 1000000

The database is made afresh (migrate, the demo catalogue and staff), then `generate_load --cases N` fills it with
COPY (timed: cases per second), then `rebuild_supervision_summary` builds the daily summary (timed: rows, cases per
second). Timed, in-process (no HTTP), each `--repeat` times after one warm-up:
- the dashboard's figures (metrics.summary), trend, window ranking and region breakdown for 济宁市 over the last
  twelve months, as the system administrator (p50/p95), read from the daily summary — and, as the baseline of the
  same run, the same dashboard counted from the cases (the summary switched off);
- the first page and a keyset-next page of the `accepted` drill-down for the same filters (p50/p95).
The baseline in the same run is a primary-key lookup of one case and a `count(*)` over the whole cases table
(the cost of touching every row once). Targets (issue #15, at 10,000,000): dashboard p95 < 300 ms, lists p95 < 100 ms.
The last line is one JSON object."""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat):
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return {"p50_ms": round(statistics.median(out), 1), "p95_ms": round(out[min(len(out) - 1, int(0.95 * len(out)))], 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_sup")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="reuse the database if it already has the cases")
    args = ap.parse_args()
    from bench.harness import recreate

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")
    if not args.keep:
        recreate(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM cases_case")
        have = c.fetchone()[0]
    load_s = None
    if have < args.cases:
        from tongban.demo.load import load_all

        load_all()
        t = time.perf_counter()
        call_command("generate_load", cases=args.cases - have, verbosity=0)
        load_s = time.perf_counter() - t
        print(f"generate_load: {args.cases - have:,} cases in {load_s:.1f} s ({(args.cases - have) / load_s:,.0f} cases/s)")

    from tongban.org.models import Region, User
    from tongban.supervision import metrics, params, selectors, summary
    from tongban.supervision.models import DailyFigures, SummaryState

    t = time.perf_counter()
    summary_rows = summary.rebuild()
    rebuild_s = time.perf_counter() - t
    print(f"summary rebuild: {summary_rows:,} rows from {SummaryState.objects.get().cases:,} cases in {rebuild_s:.1f} s")
    with connection.cursor() as c:
        c.execute("ANALYZE supervision_dailyfigures")

    admin = User.objects.get(username="admin")
    today = dt.date.today()
    f = params.parse(admin, {"start": (today - dt.timedelta(days=365)).isoformat(), "end": today.isoformat(), "region": "370800"})
    city = Region.objects.get(code="370800")

    def dashboard():
        metrics.summary(admin, f)
        metrics.trend(admin, f)
        metrics.ranking(admin, f, "window")
        metrics.by_region(admin, f, city)

    def period_figures():  # what the summary answers: the period counts, the days figures, trend, regions
        metrics.summarized(admin, f)
        metrics.trend(admin, f)
        metrics.by_region(admin, f, city)

    def period_figures_from_cases():
        metrics.days(admin, f)
        for k in metrics.SUMMARIZED:
            metrics.count(admin, k, f)
        metrics.trend(admin, f)
        metrics.by_region(admin, f, city)

    first = selectors.figure_cases(admin, "accepted", f)

    def lists():
        selectors.figure_cases(admin, "accepted", f)
        selectors.figure_cases(admin, "accepted", f, after=first.next_after)

    def pk_lookup():
        with connection.cursor() as c:
            c.execute("SELECT number FROM cases_case WHERE id = (SELECT max(id) FROM cases_case)")
            c.fetchone()

    def count_all():
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM cases_case")
            c.fetchone()

    base_pk, base_count = timed(pk_lookup, args.repeat), timed(count_all, max(3, args.repeat // 3))
    board, pages = timed(dashboard, args.repeat), timed(lists, args.repeat)
    assert metrics.use_summary(f)
    from unittest import mock

    period = timed(period_figures, args.repeat)
    with mock.patch.object(metrics, "use_summary", lambda f: False):  # the baseline: every figure counted from the cases
        raw_values = {k: v.value for k, v in metrics.summary(admin, f, source="cases").items() if not k.startswith("_")}
        board_raw = timed(dashboard, max(3, args.repeat // 3))
        period_raw = timed(period_figures_from_cases, max(3, args.repeat // 3))
    print(f"period figures (counts, days, trend, regions) from the summary: p50 {period['p50_ms']} ms, p95 {period['p95_ms']} ms;"
          f" from the cases: p50 {period_raw['p50_ms']} ms, p95 {period_raw['p95_ms']} ms")
    same = raw_values == {k: v.value for k, v in metrics.summary(admin, f).items() if not k.startswith("_")}
    print(f"dashboard from the cases (baseline): p50 {board_raw['p50_ms']} ms, p95 {board_raw['p95_ms']} ms; "
          f"figures equal from the summary: {same}")
    print(f"baseline: pk lookup p95 {base_pk['p95_ms']} ms; count(*) over all cases p95 {base_count['p95_ms']} ms")
    print(f"dashboard (city, 12 months): p50 {board['p50_ms']} ms, p95 {board['p95_ms']} ms "
          f"({board['p95_ms'] / base_count['p95_ms']:.2f}× a full count; target p95 < 300 ms)")
    print(f"drill-down list, two pages: p50 {pages['p50_ms']} ms, p95 {pages['p95_ms']} ms "
          f"({pages['p95_ms'] / base_pk['p95_ms']:.1f}× a pk lookup; target p95 < 100 ms)")
    print(json.dumps({"cases": max(have, args.cases), "generate_load_s": round(load_s, 1) if load_s else None,
                      "summary_rows": DailyFigures.objects.count(), "summary_rebuild_s": round(rebuild_s, 1),
                      "dashboard_from_cases": board_raw, "summary_equals_cases": same,
                      "period_figures_summary": period, "period_figures_cases": period_raw,
                      "summary_speedup": round(board_raw["p95_ms"] / board["p95_ms"], 1),
                      "cases_per_s": round((args.cases - have) / load_s) if load_s else None, "dashboard": board, "list": pages,
                      "baseline_pk": base_pk, "baseline_count": base_count,
                      "dashboard_vs_count": round(board["p95_ms"] / base_count["p95_ms"], 2), "database": connection.vendor}))


if __name__ == "__main__":
    main()
