import os
import shutil

import pytest
from django.db import connection

from tests import factories

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

