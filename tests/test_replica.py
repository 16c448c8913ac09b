"""The read-replica router against a real streaming replica (scripts/replica.sh: pg_basebackup -R on port 5433).

Runs on PostgreSQL with DATABASE_REPLICA_URL set (scripts/test.sh sets it in CI after building the replica); in CI a
missing replica is a failure, elsewhere the test is skipped. A write on the primary is read back through the router
from the replica (which says it is in recovery); after a user's own write, their next page reads the primary."""

import os
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests import factories
from tongban.core import replica

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"] if "replica" in settings.DATABASES else ["default"])


@pytest.fixture
def real_replica():
    if "replica" not in settings.DATABASES or connections["default"].vendor != "postgresql":
        if os.environ.get("CI") == "true" and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("CI: DATABASE_REPLICA_URL is not set for the PostgreSQL run (scripts/replica.sh)")
        pytest.skip("no read replica configured (DATABASE_REPLICA_URL, PostgreSQL)")
    import dj_database_url

    conn = connections["replica"]
    saved = conn.settings_dict
    target = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
    conn.close()
    # the test runner mirrored the alias onto the test database; point it at that same database on the replica
    conn.settings_dict = {**saved, "HOST": target["HOST"], "PORT": target["PORT"], "NAME": connections["default"].settings_dict["NAME"]}
    try:
        with conn.cursor() as c:
            c.execute("select pg_is_in_recovery()")
            assert c.fetchone()[0] is True, "DATABASE_REPLICA_URL is not a standby"
        yield conn
    finally:
        conn.close()
        conn.settings_dict = saved


def wait_replayed(conn, timeout=20):
    with connections["default"].cursor() as c:
        c.execute("select pg_current_wal_lsn()")
        lsn = c.fetchone()[0]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with conn.cursor() as c:
            c.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if c.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail("the replica did not replay the primary's write in time")


def test_a_write_on_the_primary_is_read_through_the_router_from_the_replica(real_replica, client):
    from tongban.org.models import Region

    sup = factories.grant(factories.UserFactory(), "supervisor", "370800")
    Region.objects.filter(code="370881").update(note="经国务院批准撤县设市(复制测试)")  # a write on the primary
    wait_replayed(real_replica)

    @replica.replica_reads
    def view(request):
        return Region.objects.get(code="370881").note

    request = type("R", (), {"method": "GET", "COOKIES": {}})()
    with CaptureQueriesContext(real_replica) as on_replica:
        assert view(request) == "经国务院批准撤县设市(复制测试)"
    assert len(on_replica) == 1  # it came from the replica

    client.force_login(sup)
    with CaptureQueriesContext(real_replica) as on_replica:
        assert client.get("/supervision/").status_code == 200
    assert len(on_replica) > 5  # the dashboard's figures were read on the replica

    # a user writes (here a system administrator, who also supervises, subscribes a platform): their next page
    # reads the primary, whatever the replica's lag
    admin = factories.grant(factories.UserFactory(), "system_admin", "370800")
    client.force_login(admin)
    with CaptureQueriesContext(real_replica) as on_replica:
        assert client.get("/supervision/").status_code == 200
    assert len(on_replica) > 5
    r = client.post("/exchange/subscriptions/", {"name": "山东省电子监察系统", "url": "https://dj.example.gov.cn/hook", "region": "370800"})
    assert r.status_code == 302 and client.cookies[replica.PIN_COOKIE].value
    with CaptureQueriesContext(real_replica) as on_replica:
        page = client.get("/supervision/")
    assert page.status_code == 200 and len(on_replica) == 0
