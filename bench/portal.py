"""Portal benchmark: the applicant's pages and API under 50 concurrent applicants, over HTTP against gunicorn +
PostgreSQL (target: p95 < 100 ms).

    .venv/bin/python bench/portal.py
    .venv/bin/python bench/portal.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_portal --accounts 2000

The scratch database is dropped and recreated, migrated and loaded with the demo; then `--accounts` applicant
accounts are made, each bound to its own applicant with `--cases` cases (bulk-inserted, received over the last
weeks) and a bearer token and a signed-in session. gunicorn (gthread, persistent connections, DEBUG off) serves
on loopback; a second process runs `--clients` threads, each an applicant with a keep-alive connection, looping
over GET /my/ (page), /my/cases/<number>/ (page), /api/v1/my/cases and /api/v1/my/cases/<number>. The baseline,
in the same run and with the same clients, is the cheapest API call (GET /api/v1/identifiers/validate). The last
line is one JSON object.
"""

import argparse
import collections
import concurrent.futures
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

from harness import GUNICORN, PY, ROOT, free_port, manage, p, recreate, wait_ready  # noqa: E402

sys.path.insert(0, str(ROOT))
LOG = "/tmp/tongban_bench_portal_gunicorn.log"
SETUP = """import django, json, sys, datetime as dt, random; django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from tongban.cases.models import Applicant, ApplicantUser, Case
from tongban.catalog.models import ItemVersion
from tongban.core.identifiers import make_id_card
from tongban.org.models import ApiToken, Region
n, per = int(sys.argv[1]), int(sys.argv[2])
User = get_user_model()
v = ItemVersion.objects.effective().filter(name="食品经营许可", item__region__code="370800").select_related("item").first()
region = Region.objects.get(code="370800")
out = []
today = dt.date.today()
with transaction.atomic():
    for i in range(n):
        number = make_id_card(random.choice(["370811", "370881", "370830", "110105", "440305"]), dt.date(1960, 1, 1) + dt.timedelta(days=7 * i), 100 + i % 800)
        user = User.objects.create(username=number, display_name=f"压测{i:05d}", is_staff=False)
        a = Applicant.objects.create(kind="person", id_number=number, name=f"压测{i:05d}", phone="13905371234")
        ApplicantUser.objects.create(applicant=a, user=user, role="self")
        Case.objects.bulk_create([Case(number=f"370800-BENCH-{i:06d}-{k:02d}", region=region, item=v.item, item_version=v, applicant=a,
                                       channel="online", received_on=today - dt.timedelta(days=k), state="received") for k in range(per)])
        token = ApiToken.issue(user, "bench")[1]
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY], s[HASH_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend", user.get_session_auth_hash()
        s.create()
        out.append([token, s.session_key, f"370800-BENCH-{i:06d}-00"])
print(json.dumps({"accounts": out, "cases": Case.objects.count(), "applicants": Applicant.objects.count()}))"""

PATHS = ["page /my/", "page /my/cases/<n>/", "api /my/cases", "api /my/cases/<n>"]


def load(port, people, clients, seconds, warmup, baseline):
    start = time.perf_counter() + warmup
    stop = start + seconds
    lat, errors, lock = collections.defaultdict(list), collections.Counter(), threading.Lock()

    def client(k):
        token, session, number = people[k % len(people)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while (t := time.perf_counter()) < stop:
            if baseline:
                name, path, headers = "baseline", "/api/v1/identifiers/validate?kind=id_card&value=370881198806122130", {}
            else:
                name = PATHS[i % len(PATHS)]
                path = {0: "/my/", 1: f"/my/cases/{number}/", 2: "/api/v1/my/cases", 3: f"/api/v1/my/cases/{number}"}[i % len(PATHS)]
                headers = {"Cookie": f"sessionid={session}"} if name.startswith("page") else {"Authorization": f"Bearer {token}"}
            i += 1
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = type(e).__name__
            done = time.perf_counter()
            if start <= done <= stop:
                with lock:
                    if status == 200:
                        lat[name].append((done - t) * 1000)
                    else:
                        errors[f"{name} {status}"] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return dict(lat), dict(errors)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_portal")
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--cases", type=int, default=5, help="cases per account")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(DATABASE_URL=args.database_url, DB_CONN_MAX_AGE="600", ALLOWED_HOSTS="127.0.0.1",
               DJANGO_SETTINGS_MODULE="tongban.settings", TONGBAN_DEMO="1", LOG_LEVEL="ERROR")
    t = time.perf_counter()
    recreate(args.database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    made = json.loads(subprocess.run([PY, "-c", SETUP, str(args.accounts), str(args.cases)], cwd=ROOT, env=env, check=True,
                                     capture_output=True, text=True).stdout.strip().splitlines()[-1])
    people = made["accounts"]
    random.Random(7).shuffle(people)
    print(f"dataset: {made['applicants']} applicants, {len(people)} applicant accounts, {made['cases']} cases "
          f"(setup {time.perf_counter() - t:.1f} s)")
    port = free_port()
    cmd = [GUNICORN, "tongban.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--worker-class", "gthread",
           "--threads", str(args.threads), "--log-level", "warning"]
    print(f"server: gunicorn gthread, {args.workers} workers x {args.threads} threads, CONN_MAX_AGE 600, DEBUG off; "
          f"{os.cpu_count()} cores; load: {args.clients} clients, {args.seconds} s after {args.warmup} s warm-up")
    with open(LOG, "w") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(port, server, "/api/v1/identifiers/validate?kind=region&value=370800")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
                base, base_err = pool.submit(load, port, people, args.clients, args.seconds, args.warmup, True).result()
                lat, errors = pool.submit(load, port, people, args.clients, args.seconds, args.warmup, False).result()
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    b = base.get("baseline", [])
    print(f"baseline GET /api/v1/identifiers/validate: {len(b) / args.seconds:.0f} req/s, p50 {p(b, 50)} ms, p95 {p(b, 95)} ms")
    every = [x for name in PATHS for x in lat.get(name, [])]
    for name in PATHS:
        v = lat.get(name, [])
        print(f"{name:22s} {len(v):6d} req  p50 {p(v, 50)} ms  p95 {p(v, 95)} ms  p99 {p(v, 99)} ms")
    print(f"all applicant requests: {len(every) / args.seconds:.0f} req/s, p95 {p(every, 95)} ms (target < 100 ms); "
          f"ratio p95 to baseline p95: {round(p(every, 95) / p(b, 95), 2) if every and p(b, 95) else None}")
    if errors or base_err:
        print(f"ERRORS: {errors} {base_err} (server log: {LOG})")
    print(json.dumps({"accounts": len(people), "cases": made["cases"], "clients": args.clients, "p95_ms": p(every, 95),
                      "p50_ms": p(every, 50), "baseline_p95_ms": p(b, 95), "per_path_p95": {n: p(lat.get(n, []), 95) for n in PATHS},
                      "req_per_s": round(len(every) / args.seconds, 1), "errors": errors}))


if __name__ == "__main__":
    main()
