"""Back-office benchmark: cases run end to end through a five-step process with two parallel branches, over
HTTP against gunicorn + PostgreSQL, and the inbox page of a department with 100,000 open steps.

    .venv/bin/python bench/workflow.py
    .venv/bin/python bench/workflow.py --seconds 10 --inbox-seconds 5
    .venv/bin/python bench/workflow.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench_workflow --seconds 30

Setup: the scratch database is dropped and recreated, migrated and loaded with the demo; then
`manage.py bench_workflow_setup` seeds `--inbox-steps` open (ready) review steps in the queue of the city's
生态环境局 (one real 建设工程规划许可证核发 case accepted through the services, cloned in SQL with its case
clock, step clock and process pin; 5 % red, 15 % yellow, 80 % green), publishes from today a process for the
same item — 受理 → [消防审查 ‖ 规划审查] → 综合审查 → 审批决定 — and issues bearer tokens for the demo clerk
and one account per role (fire reviewer, planning reviewer, approval-bureau reviewer, bureau leader).
Uploaded files and the sealed decision PDFs go to a scratch TONGBAN_VAR_DIR.

Load: gunicorn (gthread, persistent database connections, DEBUG off) on loopback; a second process runs
`--clients` threads, each with its own keep-alive `http.client` connection, driving whole cases for a short
unmeasured warm-up and then `--seconds`:
  POST /api/v1/cases/ and POST /api/v1/cases/{number}/accept (clerk) — the engine opens both branches;
  for 消防审查 and 规划审查 (in a random order per case), then 综合审查 (after the join), each as its own
  department's reviewer: GET /api/v1/workflow/inbox to find the case's step (the only API that lists steps),
  POST /steps/{id}/claim, POST /steps/{id}/complete (agree, every review point answered);
  POST /api/v1/workflow/cases/{number}/decide (bureau leader: approve; answers 签发中 — the decision PDF is
  rendered (Typst), sealed and stored by `--doc-workers` db_worker processes beside the server, and the time from
  the decision's commit to the stored PDF is read back from the database: `document_p99_ms`).
Before the load, `manage.py bench_workflow_statements` runs one case in-process and prints the SQL statements of
each operation (`statements`).
A step operation is a claim, a complete or a decide (7 per case) answered 200 inside the measured window; a
case counts when its decide answers 200 inside the window, with its latency from submit to decide. `p99_ms`
is the step operations' p99. Other answers are counted by operation and status. After the run the database is
checked: cases approved on the benchmark process, each with a sealed decision document, and no case whose 综合审查
was claimed before both branches were done (the join under concurrency).

Inbox: after the load, `--inbox-clients` keep-alive clients, each logged in through /accounts/login/ as a
reviewer of the department with the seeded queue (session cookie, as a user sees it), GET /office/ for
`--inbox-seconds` (after one unmeasured round each); the page must list a full page of 30 steps. The inbox API is measured
the same way for information. `--seconds 0` skips the case load and measures the inbox only.

Baseline, in the same run and before the HTTP load: pgbench's tpcb-like TPS (scale 10, same client count,
prepared) on another scratch database. Every step operation is one write transaction, so the ratio is step
ops/s over that TPS (all writes per case: submit, accept, 3 claims, 3 completes, decide = 9).
gunicorn runs 2 workers x 2 threads by default, as bench/intake.py found best on 2 cores. The last line is
one JSON object.
"""

import argparse
import collections
import concurrent.futures
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from harness import GUNICORN, PY, ROOT, free_port, headers_for, manage, p, pgbench_tps, recreate, wait_ready, with_db  # noqa: E402

sys.path.insert(0, str(ROOT))
CSRF = "tongbanbenchworkflow0123456789ab"
LOG = "/tmp/tongban_bench_workflow_gunicorn.log"
VAR = "/tmp/tongban_bench_workflow_var"
STEP_OPS = ("claim", "complete", "decide")
BRANCHES = (("review_fire", "bench_fire"), ("review_plan", "bench_plan"))
PAGE_ROWS = 30  # the inbox page lists 30 steps a page (tongban/workflow/views.py PER_PAGE)
JOIN = ("review_joint", "bench_review")
















def applicant(serial: int) -> dict:
    from tongban.core.identifiers import make_uscc  # a pure function: no Django setup here

    return {"kind": "org", "id_number": make_uscc("370811", 40000000 + serial, authority="9", kind="1"),
            "name": f"压测建设发展有限公司{serial:05d}", "phone": "05372345678"}


def needs_csrf(port: int, token: str, code: str, materials: list[int]) -> bool:
    """One unmeasured submit with the bearer token alone: True if the API rejects it for CSRF."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = {"applicant": applicant(99999), "item": code, "channel": "window",
            "materials": [{"material": m, "status": "original_seen"} for m in materials]}
    conn.request("POST", "/api/v1/cases/", body=json.dumps(body), headers=headers_for(token, None))
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    if r.status == 403 and "CSRF" in text:
        return True
    if r.status != 201:
        sys.exit(f"probe submit answered {r.status}: {text[:300]}")
    return False


def login(port: int, username: str, password: str) -> str:
    """Log in through the staff login form; returns the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": CSRF, "next": "/office/"})
    conn.request("POST", "/accounts/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={CSRF}"})
    r = conn.getresponse()
    r.read()
    conn.close()
    jar = SimpleCookie()
    for value in r.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    if r.status != 302 or "sessionid" not in jar:
        sys.exit(f"login as {username} answered {r.status} without a session")
    return f"sessionid={jar['sessionid'].value}; csrftoken={CSRF}"


def load(port, tokens, csrf, code, materials, clients, seconds, warmup):
    """Runs in the load process: `clients` threads, each driving whole cases until the deadline."""
    headers = {user: headers_for(token, CSRF if csrf else None) for user, token in tokens.items()}
    mats = [{"material": m, "status": "original_seen"} for m in materials]
    start = time.perf_counter() + warmup
    stop = start + seconds
    lat, cases, errors, lock = collections.defaultdict(list), [], collections.Counter(), threading.Lock()

    class Failed(Exception):
        pass

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        rnd = random.Random(k)
        i = k

        def call(op, user, method, path, body=None):
            t = time.perf_counter()
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers[user])
            r = conn.getresponse()
            data = r.read()
            done = time.perf_counter()
            ok = r.status in (200, 201)
            if start <= done <= stop:
                with lock:
                    if ok:
                        lat[op].append((done - t) * 1000)
                    else:
                        errors[f"{op}:{r.status}"] += 1
            if not ok:
                raise Failed(f"{op} {r.status} {data[:200]!r}")
            return json.loads(data)

        while (t0 := time.perf_counter()) < stop:
            serial = i % 5000  # a pool of firms: one name per credit code
            i += clients
            try:
                number = call("submit", "clerk", "POST", "/api/v1/cases/",
                              {"applicant": applicant(serial), "item": code, "channel": "window", "materials": mats})["number"]
                call("accept", "clerk", "POST", f"/api/v1/cases/{number}/accept", {})
                for step, user in (*rnd.sample(BRANCHES, 2), JOIN):
                    found = [s for s in call("inbox", user, "GET", "/api/v1/workflow/inbox")
                             if s["case"] == number and s["step"] == step]
                    if not found:
                        if start <= time.perf_counter() <= stop:
                            with lock:
                                errors[f"inbox:{step}_missing"] += 1
                        raise Failed(f"{step} of {number} not in the inbox")
                    sid, points = found[0]["id"], found[0]["review_points"]
                    call("claim", user, "POST", f"/api/v1/workflow/steps/{sid}/claim")
                    call("complete", user, "POST", f"/api/v1/workflow/steps/{sid}/complete",
                         {"opinion": "agree", "answers": [{"point": p, "answer": "符合"} for p in points]})
                call("decide", "bench_leader", "POST", f"/api/v1/workflow/cases/{number}/decide",
                     {"approve": True, "note": "经审查,符合法定条件、标准,准予许可"})
                if start <= (done := time.perf_counter()) <= stop:
                    with lock:
                        cases.append((done - t0) * 1000)
            except Failed:
                pass
            except (OSError, http.client.HTTPException, ValueError) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                if start <= time.perf_counter() <= stop:
                    with lock:
                        errors[type(e).__name__] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return dict(lat), cases, dict(errors)


def inbox_load(port, cookies, paths, seconds):
    """Runs in the load process: one thread per session cookie, GET each path in turn for `seconds` each
    after one unmeasured request; the page must list a full page (30 steps)."""
    out = {}
    for path in paths:
        lat, errors, rows, lock = [], collections.Counter(), set(), threading.Lock()
        stop = [None]
        ready = threading.Barrier(len(cookies), action=lambda: stop.__setitem__(0, time.perf_counter() + seconds))

        def client(cookie):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Cookie": cookie}

            def get():
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                return r.status, r.read()

            get()
            ready.wait()
            while (t := time.perf_counter()) < stop[0]:
                try:
                    status, body = get()
                except (OSError, http.client.HTTPException) as e:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    status, body = type(e).__name__, b""
                done = time.perf_counter()
                if status != 200:
                    n = 0
                elif path.startswith("/api/"):
                    n = len(json.loads(body))
                else:
                    n = body.count(b'<td class="font-monospace')  # one per listed step
                with lock:
                    if status == 200:
                        lat.append((done - t) * 1000)
                        rows.add(n)
                    else:
                        errors[str(status)] += 1
            conn.close()

        threads = [threading.Thread(target=client, args=(c,)) for c in cookies]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        out[path] = (lat, dict(errors), sorted(rows))
    return out


CHECK = """
SELECT count(*) FILTER (WHERE k.state = 'approved'),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM workflow_casedocument d WHERE d.case_id = k.id AND d.state = 'issued')),
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM cases_caseevent j JOIN cases_caseevent b ON b.case_id = j.case_id AND b.id > j.id
           WHERE j.case_id = k.id AND j.action = 'step_claimed' AND j.data->>'step' = 'review_joint'
             AND b.action = 'step_done' AND b.data->>'step' IN ('review_fire', 'review_plan')))
FROM cases_case k JOIN workflow_caseprocess r ON r.case_id = k.id JOIN workflow_process w ON w.id = r.process_id
WHERE w.number = %s AND w.item_id = (SELECT id FROM catalog_item WHERE implementation_code = %s)"""


DOCS = """
SELECT EXTRACT(EPOCH FROM d.issued_at - d.queued_at) * 1000, d.state
FROM workflow_casedocument d JOIN workflow_caseprocess r ON r.case_id = d.case_id JOIN workflow_process w ON w.id = r.process_id
WHERE w.number = %s AND d.queued_at >= to_timestamp(%s)"""


def documents_after(url: str, process: int, since: float) -> tuple[list[float], dict]:
    """Milliseconds from the decision's commit (queued_at) to the sealed document stored (issued_at), for the
    decisions taken since `since` (epoch seconds); and how many are in each state."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(DOCS, (process, since)).fetchall()
    return [float(ms) for ms, state in rows if state == "issued"], dict(collections.Counter(state for _, state in rows))


def wait_documents(url: str, process: int, since: float, timeout: float = 120) -> None:
    """After the load: give the worker time to issue what was decided (the figure counts only what it issued)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and documents_after(url, process, since)[1].get("issuing"):
        time.sleep(1)


def db_check(url: str, process: int, code: str) -> tuple[int, int, int]:
    """Cases run on the benchmark process: approved, with a sealed decision document, and joins broken (综合审查
    claimed before both branches were done: must be 0)."""
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(CHECK, (process, code)).fetchone()




def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tongban_bench_workflow")
    ap.add_argument("--pgbench-database", default="tongban_bench_pgbench_wf")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=30, help="0: skip the case load, measure the inbox only")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--inbox-steps", type=int, default=100_000, help="open steps seeded in one department's queue")
    ap.add_argument("--inbox-clients", type=int, default=4)
    ap.add_argument("--inbox-seconds", type=int, default=10)
    ap.add_argument("--doc-workers", type=int, default=1, help="document-issuing worker processes beside the server")
    args = ap.parse_args()

    load_before = os.getloadavg()
    shutil.rmtree(VAR, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(DATABASE_URL=args.database_url, DB_CONN_MAX_AGE="600", ALLOWED_HOSTS="127.0.0.1",
               DJANGO_SETTINGS_MODULE="tongban.settings", TONGBAN_DEMO="1", LOG_LEVEL="ERROR", TONGBAN_VAR_DIR=VAR)
    t = time.perf_counter()
    recreate(args.database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    setup = json.loads(manage(env, "bench_workflow_setup", "--inbox-steps", str(args.inbox_steps)).strip().splitlines()[-1])
    code, materials, tokens = setup["item"], setup["materials"], setup["tokens"]
    print(f"dataset: demo on {urlsplit(args.database_url).path.lstrip('/')} (PostgreSQL), item {setup['item_name']} {code} "
          f"with {len(materials)} materials, 5000 applicant firms (setup {time.perf_counter() - t:.1f} s)")
    stages = {}
    for _, name, dept, after in setup["steps"]:  # steps waiting on the same steps run in parallel
        stages.setdefault(tuple(after), []).append(f"{name}({dept})")
    print(f"process (version {setup['process']}): " + " → ".join(
        parts[0] if len(parts) == 1 else "[" + " ‖ ".join(parts) + "]" for parts in stages.values()))
    print(f"inbox queue: {setup['seeded']} open steps seeded for {setup['inbox_department']} "
          f"({setup['seed_seconds']} s; 5% red, 15% yellow, 80% green), user {setup['inbox_user']}")

    statements = json.loads(manage(env, "bench_workflow_statements").strip().splitlines()[-1])
    print("SQL statements per operation (one case in-process): " + ", ".join(f"{k} {v}" for k, v in statements.items()))

    tps = pgbench_tps(with_db(args.database_url, args.pgbench_database), args.clients, args.pgbench_seconds)
    print(f"pgbench tpcb-like: scale 10, {args.clients} clients, -j 2, {args.pgbench_seconds} s, prepared: {tps:.1f} tps")

    port = args.port or free_port()
    cmd = [GUNICORN, "tongban.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--worker-class", "gthread",
           "--threads", str(args.threads), "--log-level", "warning"]
    print(f"server: gunicorn gthread, {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}, "
          f"CONN_MAX_AGE 600, DEBUG off; {os.cpu_count()} cores; load average before the run "
          f"{load_before[0]:.2f}, before the load {os.getloadavg()[0]:.2f}")
    with open(LOG, "w") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        # the document worker (django-tasks, database queue) issues the decisions' sealed PDFs beside the server
        doc_workers = [subprocess.Popen([PY, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2"], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT) for _ in range(args.doc_workers)]
        since = time.time()
        try:
            wait_ready(port, server, "/api/v1/items?q=%E5%BB%BA%E8%AE%BE")
            csrf = needs_csrf(port, tokens["clerk"], code, materials)
            if csrf:
                print("NOTE: a bearer-token POST without a CSRF cookie answers 403 'CSRF check Failed'; "
                      "measuring with a self-chosen csrftoken cookie + X-CSRFToken header")
            if args.seconds:
                print(f"load: {args.clients} clients (keep-alive, one process), {args.seconds} s after {args.warmup} s warm-up; "
                      f"per case 12 requests: submit, accept, 3 x (inbox, claim, complete), decide")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
                lat, cases, errors = pool.submit(load, port, tokens, csrf, code, materials, args.clients, args.seconds,
                                                 args.warmup).result() if args.seconds else ({}, [], {})
                cookies = [login(port, setup["inbox_user"], setup["password"]) for _ in range(args.inbox_clients)]
                print(f"inbox: {args.inbox_clients} clients logged in as {setup['inbox_user']} (session cookie), "
                      f"GET /office/ then GET /api/v1/workflow/inbox, {args.inbox_seconds} s each")
                paths = ["/office/", "/api/v1/workflow/inbox"]
                inbox = pool.submit(inbox_load, port, cookies, paths, args.inbox_seconds).result()
            wait_documents(args.database_url, setup["process"], since)
        finally:
            for proc in (server, *doc_workers):
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    load_after = os.getloadavg()
    approved, sealed, broken = db_check(args.database_url, setup["process"], code)
    doc_ms, doc_states = documents_after(args.database_url, setup["process"], since)

    seconds = args.seconds or float("inf")  # --seconds 0: the inbox only
    step_lat = [x for op in STEP_OPS for x in lat.get(op, [])]
    step_ops = len(step_lat) / seconds
    cases_s = len(cases) / seconds
    writes = sum(len(lat.get(op, [])) for op in ("submit", "accept", *STEP_OPS)) / seconds
    requests = sum(len(v) for v in lat.values()) / seconds
    if args.seconds:
        print(f"db check: {approved} cases approved on the benchmark process (warm-up and tail included), {sealed} with a sealed "
              f"decision document, {broken} where 综合审查 was claimed before both branches were done (must be 0)")
        print(f"cases: {len(cases)} decided in {args.seconds} s = {cases_s:.1f} cases/s "
              f"(latency submit→decide p50 {p(cases, 50)} ms, p95 {p(cases, 95)} ms, p99 {p(cases, 99)} ms)")
        print(f"step operations: {len(step_lat)} = {step_ops:.1f} ops/s (claim+complete+decide; target >= 250 ops/s); "
              f"p50 {p(step_lat, 50)} ms   p95 {p(step_lat, 95)} ms   p99 {p(step_lat, 99)} ms")
        print(f"all requests: {requests:.1f}/s, write transactions (submit, accept, claim, complete, decide): {writes:.1f}/s")
        for op in ("submit", "accept", "inbox", "claim", "complete", "decide"):
            v = lat.get(op, [])
            print(f"  {op:<9} n={len(v):<6} p50 {p(v, 50)} ms   p95 {p(v, 95)} ms   p99 {p(v, 99)} ms")
        print(f"decide p99 {p(lat.get('decide', []), 99)} ms (target < 300 ms: the decision answers 签发中, the document follows)")
        print(f"sealed documents: {len(doc_ms)} issued by {args.doc_workers} worker(s) during and after the load {doc_states}; "
              f"decision → stored PDF p50 {p(doc_ms, 50)} ms, p99 {p(doc_ms, 99)} ms (target p99 <= 5000 ms)")
        print(f"ratio step ops/s to pgbench tps: {step_ops / tps:.3f}; all writes/s to pgbench tps: {writes / tps:.3f}")
        if errors:
            print(f"ERRORS by operation:status: {errors} (server log: {LOG})")
    page, page_errors, page_rows = inbox["/office/"]
    api, api_errors, api_rows = inbox["/api/v1/workflow/inbox"]
    print(f"inbox page /office/ ({setup['seeded']} open steps in the queue): {len(page)} pages in {args.inbox_seconds} s, "
          f"rows per page {page_rows}; p50 {p(page, 50)} ms   p95 {p(page, 95)} ms   p99 {p(page, 99)} ms (target p95 < 40 ms)")
    print(f"inbox API /api/v1/workflow/inbox: {len(api)} calls, rows {api_rows}; p50 {p(api, 50)} ms   p95 {p(api, 95)} ms   "
          f"p99 {p(api, 99)} ms")
    if page_errors or api_errors or (page_rows != [PAGE_ROWS] and setup["seeded"] >= PAGE_ROWS):
        print(f"INBOX PROBLEMS: page errors {page_errors}, API errors {api_errors}, page rows {page_rows} (expected [{PAGE_ROWS}])")
    print(f"load average after the run: {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min) on {os.cpu_count()} cores")
    print(json.dumps({
        "step_ops_per_s": round(step_ops, 1), "cases_per_s": round(cases_s, 2), "p99_ms": p(step_lat, 99),
        "pgbench_tps": round(tps, 1), "inbox_p95_ms": p(page, 95),
        "p50_ms": p(step_lat, 50), "p95_ms": p(step_lat, 95), "case_p50_ms": p(cases, 50), "case_p99_ms": p(cases, 99),
        "op_p50_ms": {op: p(lat.get(op, []), 50) for op in ("submit", "accept", "inbox", "claim", "complete", "decide")},
        "requests_per_s": round(requests, 1), "writes_per_s": round(writes, 1),
        "ratio_to_pgbench": round(step_ops / tps, 3), "inbox_p50_ms": p(page, 50), "inbox_p99_ms": p(page, 99),
        "inbox_api_p95_ms": p(api, 95), "inbox_steps": setup["seeded"], "clients": args.clients, "seconds": args.seconds,
        "errors": errors, "csrf_workaround": csrf, "workers": args.workers, "threads": args.threads,
        "load_avg_before": round(load_before[0], 2), "load_avg_after": round(load_after[0], 2),
        "db_approved": approved, "db_sealed": sealed, "db_join_violations": broken,
        "decide_p99_ms": p(lat.get("decide", []), 99), "document_p50_ms": p(doc_ms, 50), "document_p99_ms": p(doc_ms, 99),
        "documents": doc_states, "statements": statements, "doc_workers": args.doc_workers,
    }))


if __name__ == "__main__":
    main()
