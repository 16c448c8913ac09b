"""Background work on a real queue: django-tasks' RQ backend on Redis (TASKS_BACKEND=rq), with several workers.

Every task enqueued through django-tasks runs exactly once though two `manage.py rqworker` processes drain the
queue together; the outbox worker task runs there too. Needs redis-server at REDIS_URL (127.0.0.1:6379): in CI
(CI=true) a missing Redis is a failure, elsewhere the test is skipped."""

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.fixture
def redis_conn():
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    conn = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: Redis does not answer at {url}; the RQ test is required in CI")
        pytest.skip(f"no Redis at {url}")
    return conn


def test_several_rq_workers_run_each_task_once(redis_conn, settings):
    from django_tasks import task_backends

    from tests.rq_probe import probe

    key = f"tongban-test-{uuid.uuid4().hex}"
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    with override_settings(TASKS=RQ_TASKS):
        assert type(task_backends["default"]).__name__ == "RQBackend"
        results = [probe.enqueue(n, key) for n in range(60)]
    env = {**os.environ, "TASKS_BACKEND": "rq", "TONGBAN_DEMO": "1", "DJANGO_SETTINGS_MODULE": "tongban.settings"}
    env.setdefault("DATABASE_URL", "sqlite:///" + str(ROOT / "var" / "rq-worker.sqlite3"))
    logs = [tempfile.TemporaryFile() for _ in range(2)]  # files, not pipes: a full pipe would stall the worker
    workers = [subprocess.Popen([sys.executable, "manage.py", "rqworker", "default", "--burst", "--job-class", "django_tasks_rq.backend.Job"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT) for log in logs]
    for w, log in zip(workers, logs):
        try:
            code = w.wait(timeout=180)
        except subprocess.TimeoutExpired:
            w.kill()
            code = "timeout"
        log.seek(0)
        assert code == 0, log.read().decode()[-2000:]
    runs = [v.decode() for v in redis_conn.lrange(key, 0, -1)]
    redis_conn.delete(key)
    assert sorted(int(r.split(":")[0]) for r in runs) == list(range(60))  # each task once, none twice
    assert len({r.split(":")[1] for r in runs}) >= 1
    with override_settings(TASKS=RQ_TASKS):
        results[0].refresh()
        assert results[0].status == "SUCCESSFUL" and results[0].return_value == 0
