"""Intake benchmark: submit+accept pairs per second over HTTP against gunicorn + PostgreSQL.

    .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_intake --seconds 30

The scratch database is dropped and recreated, migrated and loaded with the demo (window clerk `clerk`,
济宁市, region-wide scope), and a bearer token is issued for the clerk. gunicorn (gthread, persistent
database connections, DEBUG off) serves the project on loopback; a second process runs `--clients`
threads, each with its own keep-alive `http.client` connection, doing pairs for a short unmeasured
warm-up and then `--seconds`: `POST /api/v1/cases/` (食品经营许可, all materials seen in original, a
distinct applicant ID number) then `POST /api/v1/cases/{number}/accept`. A pair counts when both answer
201/200 and it completes inside the window; other answers are counted by status. The latency is the
pair's. The baseline, in the same run and before the HTTP load, is pgbench's tpcb-like TPS (scale 10,
same client count, prepared) on another scratch database; a pair is two transactional operations, so the
ratio is ops/s over that TPS.
gunicorn runs 2 workers x 2 threads by default: on 2 cores it beat 1x2..1x8, 2x1, 2x4, 2x8, 3x1..3x6,
4x1..4x4 and 8x2 (more in-flight requests only lengthen the queue on the case-number row lock and the
GIL). The last line is one JSON object.
"""

import argparse
import collections
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from harness import GUNICORN, PY, ROOT, free_port, headers_for, manage, p, pgbench_tps, recreate, wait_ready, with_db  # noqa: E402

sys.path.insert(0, str(ROOT))
CSRF = "tongbanbenchintake0123456789abcd"
LOG = "/tmp/tongban_bench_intake_gunicorn.log"
ITEM_QUERY = """import django, json; django.setup()
from tongban.catalog.models import ItemVersion
v = ItemVersion.objects.effective().filter(name="食品经营许可", item__region__code="370800").first()
print(json.dumps([v.item.implementation_code, [m.pk for m in v.materials.all()]]))"""
















def needs_csrf(port: int, token: str, code: str, materials: list[int], id_number: str) -> bool:
    """One unmeasured submit with the bearer token alone: True if the API rejects it for CSRF."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = {"applicant": {"kind": "person", "id_number": id_number, "name": "压测" + id_number[-6:], "phone": "13905371234"}, "item": code,
            "channel": "window", "materials": [{"material": m, "status": "original_seen"} for m in materials]}
    conn.request("POST", "/api/v1/cases/", body=json.dumps(body), headers=headers_for(token, None))
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    if r.status == 403 and "CSRF" in text:
        return True
    if r.status != 201:
        sys.exit(f"probe submit answered {r.status}: {text[:300]}")
    return False


def load(port, token, csrf, code, materials, ids, clients, seconds, warmup):
    """Runs in the load process: `clients` threads, each doing pairs until the deadline."""
    headers = headers_for(token, CSRF if csrf else None)
    mats = [{"material": m, "status": "original_seen"} for m in materials]
    start = time.perf_counter() + warmup
    stop = start + seconds
    lat, errors, lock = [], collections.Counter(), threading.Lock()

    def post(conn, path, body):
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        r = conn.getresponse()
        return r.status, r.read()

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = k
        while (t := time.perf_counter()) < stop:
            id_number = ids[i % len(ids)]  # one name per ID number: a number is bound to its holder's name
            applicant = {"kind": "person", "id_number": id_number, "name": "压测" + id_number[-6:], "phone": "13905371234"}
            i += clients
            try:
                status, body = post(conn, "/api/v1/cases/",
                                    {"applicant": applicant, "item": code, "channel": "window", "materials": mats})
                if status == 201:
                    status, body = post(conn, f"/api/v1/cases/{json.loads(body)['number']}/accept", {})
                    ok = status == 200
                else:
                    ok = False
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok, status = False, type(e).__name__
            if start <= (done := time.perf_counter()) <= stop:  # pairs completed inside the measured window
                with lock:
                    if ok:
                        lat.append((done - t) * 1000)
                    else:
                        errors[str(status)] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, dict(errors)




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_intake")
    ap.add_argument("--pgbench-database", default="tongban_bench_pgbench")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    args = ap.parse_args()
    from tongban.core.identifiers import make_id_card  # a pure function: no Django setup here

    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(DATABASE_URL=args.database_url, DB_CONN_MAX_AGE="600", ALLOWED_HOSTS="127.0.0.1",
               DJANGO_SETTINGS_MODULE="tongban.settings", TONGBAN_DEMO="1", LOG_LEVEL="ERROR")
    t = time.perf_counter()
    recreate(args.database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    token = manage(env, "create_api_token", "clerk", "--name", "bench").strip().splitlines()[-1]
    code, materials = json.loads(subprocess.run([PY, "-c", ITEM_QUERY], cwd=ROOT, env=env, check=True, capture_output=True,
                                                text=True).stdout.strip().splitlines()[-1])
    born = [dt.date(1960, 1, 1) + dt.timedelta(days=d) for d in range(0, 15000, 7)]
    ids = [make_id_card("370881", b, seq) for b in born for seq in (11, 12)]
    print(f"dataset: demo on {urlsplit(args.database_url).path.lstrip('/')} (PostgreSQL), item {code} with {len(materials)} "
          f"materials, {len(ids)} applicant IDs (setup {time.perf_counter() - t:.1f} s)")

    tps = pgbench_tps(with_db(args.database_url, args.pgbench_database), args.clients, args.pgbench_seconds)
    print(f"pgbench tpcb-like: scale 10, {args.clients} clients, -j 2, {args.pgbench_seconds} s, prepared: {tps:.1f} tps")

    port = args.port or free_port()
    cmd = [GUNICORN, "tongban.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--worker-class", "gthread",
           "--threads", str(args.threads), "--log-level", "warning"]
    print(f"server: gunicorn gthread, {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}, "
          f"CONN_MAX_AGE 600, DEBUG off; {os.cpu_count()} cores")
    with open(LOG, "w") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(port, server, "/api/v1/items?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF")
            csrf = needs_csrf(port, token, code, materials, ids[-1])
            if csrf:
                print("NOTE: a bearer-token POST without a CSRF cookie answers 403 'CSRF check Failed' (django_auth is "
                      "tried before TokenAuth); measuring with a self-chosen csrftoken cookie + X-CSRFToken header")
            print(f"load: {args.clients} clients (keep-alive, one process), {args.seconds} s after {args.warmup} s warm-up")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
                lat, errors = pool.submit(load, port, token, csrf, code, materials, ids, args.clients, args.seconds,
                                          args.warmup).result()
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    pairs = len(lat) / args.seconds
    ops = 2 * pairs
    print(f"pairs: {len(lat)} completed in {args.seconds} s = {pairs:.1f} pairs/s ({ops:.1f} ops/s; target >= 150 pairs/s)")
    print(f"pair latency: p50 {p(lat, 50)} ms   p95 {p(lat, 95)} ms   p99 {p(lat, 99)} ms")
    print(f"ratio ops/s to pgbench tps: {ops / tps:.3f}")
    if errors:
        print(f"ERRORS by status: {errors} (server log: {LOG})")
    print(json.dumps({
        "pairs_per_s": round(pairs, 1), "p50_ms": p(lat, 50), "p95_ms": p(lat, 95), "p99_ms": p(lat, 99),
        "pgbench_tps": round(tps, 1), "clients": args.clients, "ops_per_s": round(ops, 1),
        "ratio_to_pgbench": round(ops / tps, 3), "errors": errors, "csrf_workaround": csrf, "workers": args.workers,
        "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
