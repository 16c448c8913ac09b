"""Licence library benchmark: 5,000,000 licences on PostgreSQL (loaded with COPY), then

- wallet by holder: `GET /api/v1/licences/wallet?holder=…` (a window clerk's token), p50/p95 over random holders,
  with the statements one read costs (token, role, the audit entry of the read, and the wallet's three reads, which
  go to PostgreSQL in one round trip) and the wallet's reads timed alone;
- verification by identifier: `GET /api/v1/licences/verify/{identifier}` (public), p50/p95 over random licences;
- issue throughput: licences created, rendered (Typst) and sealed (PAdES, pyHanko) one after another, as one
  background worker does them, per second;
- the dataset's size on disk, and a baseline measured in the same run: the same stack answering the cheapest
  operation (`GET /api/v1/identifiers/validate`) and a primary-key lookup in SQL.

Requests go through the whole Django stack in-process (middleware, authentication, the API) with Django's test
client: no network, no web server. The database is created and dropped by the benchmark.

    .venv/bin/python bench/licences.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_licences
    .venv/bin/python bench/licences.py --licences 1000000   # smaller, quicker (about 3 minutes; 5,000,000: about 8)

The last line is one JSON object."""

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import p, recreate, with_db  # noqa: E402

CHUNK = 100_000


def _rows(start: int, stop: int, type_id: int, type_code: str, issuer_id: int, issuer_code: str, holders: int):
    """Tab-separated COPY rows for licences start..stop-1 (ids are the loop index + 1)."""
    from tongban.core.identifiers import make_licence_identifier

    base = dt.date(2016, 1, 1)
    out = io.StringIO()
    for i in range(start, stop):
        year = 2016 + i % 10
        serial = f"{year}{i:07d}"[-11:]
        identifier = make_licence_identifier(type_code, issuer_code, serial, 1)
        holder = f"91370800{i % holders:010d}"
        issued = base + dt.timedelta(days=(i * 37) % 3650)
        until = issued + dt.timedelta(days=5 * 365)
        status = "valid" if i % 20 else ("revoked" if i % 40 else "cancelled")
        out.write(
            f"{identifier}\t{type_id}\t{serial}\t1\tJY370800{serial}\t001\t{holder}\t济宁市某某餐饮店{i % holders}\t{issuer_id}\t"
            f"济宁市行政审批服务局\t{issuer_code}\t{{\"经营场所\": \"济宁市任城区古槐路{i % 999}号\"}}\t热食类食品制售\t"
            f"{issued}\t{issued}\t{until}\t{status}\t\t\\N\tissued\t1\t\t\t\t2026-01-01 00:00:00+08\n"
        )
    return out.getvalue()


COLUMNS = ("identifier, licence_type_id, serial, version, number, holder_kind, holder_id, holder_name, issuer_id, issuer_name, "
           "issuer_code, face, content, issued_on, valid_from, valid_until, status, status_reason, status_changed_on, "
           "render_state, render_attempts, render_error, file, sha256, created_at")


def _load(licences: int, holders: int, licence_type, issuer) -> float:
    """COPY the licences with the table's secondary indexes and constraints dropped, then build them again."""
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                       WHERE conrelid = 'licences_licence'::regclass AND contype IN ('u', 'f')""")
        constraints = cur.fetchall()
        cur.execute("""SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'licences_licence'
                       AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'licences_licence'::regclass)""")
        indexes = cur.fetchall()
        for name, _ in constraints:
            cur.execute(f'ALTER TABLE licences_licence DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    raw = connection.connection  # psycopg 3
    for start in range(0, licences, CHUNK):
        data = _rows(start, min(licences, start + CHUNK), licence_type.pk, licence_type.code, issuer.pk, issuer.credit_code, holders)
        with raw.cursor() as cur, cur.copy(f"COPY licences_licence ({COLUMNS}) FROM STDIN") as copy:
            copy.write(data)
        print(f"  copied {min(licences, start + CHUNK):,} licences", file=sys.stderr, flush=True)
    with connection.cursor() as cur:
        for _, definition in indexes:
            cur.execute(definition)
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE licences_licence ADD CONSTRAINT "{name}" {definition}')
        cur.execute("ANALYZE licences_licence")
    return time.perf_counter() - t


def _timed(client, paths, headers=None) -> list[float]:
    out = []
    for path in paths:
        t = time.perf_counter()
        response = client.get(path, **(headers or {}))
        out.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_licences")
    ap.add_argument("--licences", type=int, default=5_000_000)
    ap.add_argument("--per-holder", type=int, default=5, help="licences per holder on average")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--issue", type=int, default=30, help="licences issued, rendered and sealed for the throughput figure")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    recreate(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    try:
        call_command("migrate", verbosity=0)
        if connection.vendor != "postgresql":
            sys.exit("the benchmark runs on PostgreSQL")
        settings.ALLOWED_HOSTS = ["testserver"]
        settings.MEDIA_ROOT = Path(settings.BASE_DIR) / "var" / "bench-media"
        from tongban.core.identifiers import make_uscc
        from tongban.licences import services
        from tongban.licences.models import Licence, LicenceType
        from tongban.org.models import ApiToken, Department, Region, Role, RoleGrant, User

        city = Region.objects.get(code="370800")
        issuer = Department.objects.create(name="济宁市行政审批服务局", function="approval", region=city, is_approval_bureau=True,
                                           credit_code=make_uscc("370800", 80000132))
        licence_type = LicenceType.objects.create(
            authority_name="国家市场监督管理总局", authority_code=make_uscc("100000", 1371, kind="1"), sequence="011",
            name="食品经营许可证", holder_kind="001", validity_years=5, number_prefix="JY", content_field="经营项目",
            face_fields=[{"name": "经营者名称", "required": True}, {"name": "经营场所"}, {"name": "经营项目"}])
        clerk = User.objects.create(username="bench_clerk", display_name="颜春梅")
        RoleGrant.objects.create(user=clerk, role=Role.WINDOW_CLERK, region=city)
        token = ApiToken.issue(clerk, "bench")[1]

        holders = max(1, args.licences // args.per_holder)
        load_s = _load(args.licences, holders, licence_type, issuer)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), pg_total_relation_size('licences_licence'), pg_relation_size('licences_licence') FROM licences_licence")
            n, total_bytes, heap_bytes = cur.fetchone()
        print(f"dataset: {n:,} licences of {holders:,} holders on PostgreSQL, {total_bytes / 2**30:.2f} GiB with indexes "
              f"({heap_bytes / 2**30:.2f} GiB table); loaded with COPY and indexed in {load_s:.0f} s")

        rng = random.Random(12)
        client = Client()
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        wallet_paths = [f"/api/v1/licences/wallet?holder=91370800{rng.randrange(holders):010d}" for _ in range(args.samples)]
        ids = [rng.randrange(1, n + 1) for _ in range(args.samples)]
        identifiers = dict(Licence.objects.filter(pk__in=ids).values_list("pk", "identifier"))
        verify_paths = [f"/api/v1/licences/verify/{identifiers[i]}" for i in ids if i in identifiers]
        baseline_paths = [f"/api/v1/identifiers/validate?kind=uscc&value={make_uscc('370800', rng.randrange(10**7))}"
                          for _ in range(args.samples)]
        _timed(client, wallet_paths[:50], auth)  # warm the connection and the caches
        _timed(client, verify_paths[:50])
        wallet_ms = _timed(client, wallet_paths, auth)
        verify_ms = _timed(client, verify_paths)
        baseline_ms = _timed(client, baseline_paths)
        pk_ms = []
        with connection.cursor() as cur:
            for i in ids:
                t = time.perf_counter()
                cur.execute("SELECT id, identifier FROM licences_licence WHERE id = %s", [i])
                cur.fetchone()
                pk_ms.append((time.perf_counter() - t) * 1000)
        from tongban.licences import selectors

        query_ms = []
        for path in wallet_paths:
            t = time.perf_counter()
            selectors.wallet(path.rsplit("=", 1)[1])
            query_ms.append((time.perf_counter() - t) * 1000)
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            _timed(client, wallet_paths[:1], auth)
        statements = len(ctx.captured_queries)
        print(f"wallet by holder (API, {len(wallet_ms)} holders; each read is also written to the audit log, {statements} statements "
              f"in all): p50 {p(wallet_ms, 50)} ms, p95 {p(wallet_ms, 95)} ms; its three queries alone p95 {p(query_ms, 95)} ms")
        print(f"verification by identifier (public API, {len(verify_ms)} licences): p50 {p(verify_ms, 50)} ms, p95 {p(verify_ms, 95)} ms")
        print(f"baseline, same stack, cheapest operation (identifier check): p50 {p(baseline_ms, 50)} ms, p95 {p(baseline_ms, 95)} ms;"
              f" SQL primary-key lookup p95 {p(pk_ms, 95)} ms")

        # issue throughput: what one background worker does per licence (create, render, seal, store)
        from django.db import transaction

        t = time.perf_counter()
        for k in range(args.issue):
            with transaction.atomic():
                licence = services.create_licence(
                    None, licence_type=licence_type, holder_kind="001", holder_id=f"91370899{k:010d}", holder_name=f"曲阜市三孔人家饭庄{k}",
                    issuer=issuer, face={"经营者名称": f"曲阜市三孔人家饭庄{k}", "经营场所": "曲阜市鼓楼北街18号", "经营项目": "热食类食品制售"},
                    content="热食类食品制售", on=dt.date(2026, 11, 30))
            assert services.render_licence(licence.pk)["state"] == "issued"
        issue_s = time.perf_counter() - t
        per_s = args.issue / issue_s
        print(f"issue throughput (create + render + seal, one worker): {per_s:.2f} licences/s ({issue_s / args.issue * 1000:.0f} ms each,"
              f" {args.issue} licences); two workers on this 2-core machine: about {2 * per_s:.1f}/s at most")
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f} during the run (other work shares the cores)")
        print(json.dumps({
            "licences": n, "holders": holders, "database": "postgresql", "dataset_bytes": total_bytes, "load_s": round(load_s, 1),
            "wallet_p50_ms": p(wallet_ms, 50), "wallet_p95_ms": p(wallet_ms, 95), "wallet_queries_p95_ms": p(query_ms, 95), "wallet_statements": statements, "verify_p50_ms": p(verify_ms, 50),
            "verify_p95_ms": p(verify_ms, 95), "baseline_p95_ms": p(baseline_ms, 95), "pk_lookup_p95_ms": p(pk_ms, 95),
            "issue_per_s": round(per_s, 2), "samples": args.samples, "load_average": round(load, 1),
        }, ensure_ascii=False))
    finally:
        connection.close()
        if not args.keep:
            import psycopg

            name = args.database_url.rsplit("/", 1)[1]
            with psycopg.connect(with_db(args.database_url, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
