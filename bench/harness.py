"""What the HTTP benchmarks share: scratch databases, the pgbench baseline, a gunicorn on a free port, and
percentiles. Pure functions of the standard library (and psycopg): the load processes import them too."""

import glob
import http.client
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate(url: str):
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def pgbench_tps(url: str, clients: int, seconds: int) -> float:
    exe = shutil.which("pgbench") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    if exe is None:
        sys.exit("pgbench not found (Debian: apt-get install postgresql-client-15)")
    recreate(url)
    subprocess.run([exe, "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    out = subprocess.run([exe, "-c", str(clients), "-j", "2", "-T", str(seconds), "-M", "prepared", url],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)", out) \
        or re.search(r"tps = ([\d.]+)", out)
    return float(m.group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc, probe: str, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", probe)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer in time")


def headers_for(token: str, csrf: str | None) -> dict:
    """Bearer token; `csrf`: a self-chosen double-submit token that passes Django's CSRF check for a cookie-less client."""
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if csrf:
        h.update({"Cookie": f"csrftoken={csrf}", "X-CSRFToken": csrf})
    return h


def p(values, q):
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) > 1 else None
