import os
import shutil

import pytest
from django.db import connection

from tests import bulk_rollback, factories

bulk_rollback.install()

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _seal_journal(settings, tmp_path):
    """Each test anchors its audit seals in a journal of its own."""
    settings.AUDIT_SEAL_JOURNAL = tmp_path / "audit-seals.jsonl"


@pytest.fixture(autouse=True)
def _fresh_memo():
    """Test databases reuse primary keys after a rollback: nothing remembered may outlive its test."""
    from tongban.core import memo

    memo.forget()
    yield
    memo.forget()


@pytest.fixture
def admin(db):
    """A catalogue administrator for the whole of 济宁市."""
    return factories.catalog_admin("370800")


@pytest.fixture
def food_item(admin):
    return factories.make_item(admin)


@pytest.fixture
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: this run is on SQLite (the PostgreSQL run covers it)")


@pytest.fixture(scope="session")
def chromium_path():
    if os.path.exists(CHROMIUM) and shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI: {CHROMIUM} is missing; browser tests must run in CI")
    pytest.skip(f"browser test skipped: {CHROMIUM} not installed (make test installs it where it can)")



CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture
def browser(chromium_path):
    """Debian's chromium through playwright. Every page opened in it renders under the Content-Security-Policy:
    a violation reported on any page's console fails the test."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's loop runs in this thread; the server has its own
    violations = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        original = b.new_context

        def new_context(**kw):
            context = original(**kw)
            context.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            return context

        b.new_context = new_context
        yield b
        b.close()
    assert violations == [], violations


@pytest.fixture(autouse=True)
def _each_request_commits(monkeypatch):
    """In a `db` test every request runs inside the test's transaction, which never commits, so what a request queues
    for after its commit (a document to issue, an event to deliver) would never run. Each request made through the
    test client runs what it queued when it returns, as it runs after the request's own commit in production."""
    from django.test import Client, TestCase

    original = Client.request

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def _reads_on_the_primary(request, monkeypatch):
    """With DATABASE_REPLICA_URL set (the PostgreSQL run), reads go to the primary in every test but the replica's own
    (tests/test_replica.py declares the alias and points it at the real standby); elsewhere the alias would only mirror
    the test database, and pytest-django refuses a connection the test did not declare."""
    if "real_replica" not in request.fixturenames:
        from tongban.core import replica

        monkeypatch.setattr(replica, "configured", lambda: False)
