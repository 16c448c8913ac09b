"""数据上报: case events go into the outbox in the act's own transaction and reach the subscribed system at least once
— signed, retried with back-off, logged, replayable from a point in time — and the receiver keeps each event once
by its idempotency key. Driven as the province's integrator would: a bearer token over HTTP, the OpenAPI's fields."""

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests import factories
from tests.test_journeys_api import Client
from tests.test_supervision import QUFU, WENSHANG, accepted_case
from tongban.exchange import services
from tongban.exchange.models import Delivery, OutboxEvent, ReceivedEvent, Subscription
from tongban.org.models import ApiToken


def admin_of(code):
    return factories.grant(factories.UserFactory(), "system_admin", code)


@pytest.mark.django_db
def test_the_outbox_row_is_written_in_the_acts_transaction(admin):
    services.create_subscription(admin_of("370800"), name="曲阜市电子监察", url="https://dj.example.gov.cn/hook", region_code=QUFU)
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    case = accepted_case(admin, clerk, QUFU, 1)
    event = OutboxEvent.objects.get(case_number=case.number)
    assert event.kind == "case_accepted" and event.payload["region"] == QUFU and Delivery.objects.filter(event=event).count() == 1
    assert "id_number" not in json.dumps(event.payload) and case.applicant.id_number not in json.dumps(event.payload)
    with pytest.raises(RuntimeError), transaction.atomic():
        rolled = accepted_case(admin, clerk, QUFU, 2)
        raise RuntimeError("the act fails after accepting")
    assert not OutboxEvent.objects.filter(case_number=rolled.number).exists()
    other = accepted_case(admin, clerk, WENSHANG, 3)  # no subscription covers 汶上县
    assert not OutboxEvent.objects.filter(case_number=other.number).exists()


def test_backoff_doubles_and_is_capped():
    assert [services.backoff(n, jitter=0).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.backoff(30, jitter=0).total_seconds() == 6 * 3600
    assert services.backoff(1, jitter=1).total_seconds() == 36


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_province_subscribes_receives_signed_events_once_and_replays(live_server):
    catalog = factories.catalog_admin("370800")
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    api = Client(live_server.url + "/api/v1", ApiToken.issue(admin_of("370800"), "省平台对接")[1])
    with urllib.request.urlopen(live_server.url + "/api/v1/openapi.json") as r:
        spec = json.load(r)
    log_fields = set(spec["components"]["schemas"]["AttemptOut"]["properties"])
    receiver = live_server.url + "/exchange/receiver/"

    sub = api.call("POST", "/exchange/subscriptions", {"name": "山东省电子监察系统", "url": receiver, "region": "370800",
                                                        "secret": settings.EXCHANGE_RECEIVER_SECRET}, expect=201)
    bad = api.call("POST", "/exchange/subscriptions", {"name": "好差评平台(密钥不符)", "url": receiver, "region": QUFU,
                                                        "kinds": ["case_accepted"], "secret": "x" * 20}, expect=201)
    assert sub["secret"] is None and sub["secret_masked"].endswith(settings.EXCHANGE_RECEIVER_SECRET[-4:])  # never echoed
    assert settings.EXCHANGE_RECEIVER_SECRET not in json.dumps(api.call("GET", "/exchange/subscriptions"))
    generated = api.call("POST", "/exchange/subscriptions", {"name": "省政务数据平台", "url": "https://sjpt.example.gov.cn/hook",
                                                              "region": "370800", "kinds": ["case_delivered"]}, expect=201)
    assert len(generated["secret"]) >= 32 and generated["secret"] not in json.dumps(api.call("GET", "/exchange/subscriptions"))
    assert api.call("POST", "/exchange/subscriptions", {"name": "x", "url": "ftp://a", "region": "370800"}, expect=400)["field"] == "url"
    assert api.call("POST", "/exchange/subscriptions", {"name": "x", "url": receiver, "region": "370800", "kinds": ["nope"]}, expect=400)["field"] == "kinds"
    assert api.call("POST", "/exchange/subscriptions", {"name": "x", "url": receiver, "region": "110105"}, expect=403)

    before = timezone.now()
    case = accepted_case(catalog, clerk, QUFU, 7)
    result = services.deliver_due()  # the worker
    assert result == {"sent": 1, "failed": 1}
    got = ReceivedEvent.objects.get()
    assert got.case_number == case.number and got.kind == "case_accepted" and got.times == 1

    log = api.call("GET", f"/exchange/subscriptions/{sub['id']}/log")
    assert [(a["status"], a["replay"], a["delivery_state"]) for a in log] == [(200, False, "delivered")]
    assert all(set(a) <= log_fields for a in log) and log[0]["key"] == str(got.key)
    failing = api.call("GET", f"/exchange/subscriptions/{bad['id']}/log")
    assert failing[0]["status"] == 401 and failing[0]["delivery_state"] == "pending" and failing[0]["attempts"] == 1
    first_retry = dt.datetime.fromisoformat(failing[0]["next_attempt_at"])
    assert dt.timedelta(seconds=30) <= first_retry - timezone.now() <= dt.timedelta(seconds=37)
    assert services.deliver_due() == {"sent": 0, "failed": 0}  # not due yet
    services.deliver_due(now=timezone.now() + dt.timedelta(minutes=1))
    failing = api.call("GET", f"/exchange/subscriptions/{bad['id']}/log")
    assert len(failing) == 2 and failing[0]["attempts"] == 2
    assert dt.datetime.fromisoformat(failing[0]["next_attempt_at"]) - timezone.now() >= dt.timedelta(seconds=60 + 55)

    assert api.call("POST", f"/exchange/subscriptions/{sub['id']}/replay", {"since": before.isoformat()}) == {"events": 1}
    services.deliver_due()
    got.refresh_from_db()
    assert ReceivedEvent.objects.count() == 1 and got.times == 2  # the receiver kept it once by its idempotency key
    log = api.call("GET", f"/exchange/subscriptions/{sub['id']}/log")
    assert [(a["status"], a["replay"]) for a in log] == [(200, True), (200, False)]
    assert Subscription.objects.count() == 3

    tampered = urllib.request.Request(receiver, data=b'{"kind":"case_accepted"}', method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": str(got.key), "X-Tongban-Timestamp": "1", "X-Tongban-Signature": "sha256=00"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered)
    assert e.value.code == 401


@pytest.mark.django_db
def test_a_system_administrator_subscribes_and_replays_on_the_page(client):
    sysadmin = admin_of("370800")
    client.force_login(sysadmin)
    page = client.get("/exchange/").content.decode()
    assert 'id="subscribe"' in page and "数据上报" in page
    r = client.post("/exchange/subscriptions/", {"name": "山东省好差评平台", "url": "https://hcp.example.gov.cn/hook", "region": "370800",
                                                 "kinds": ["case_delivered"]}, follow=True)
    assert "已新增上报订阅" in r.content.decode()
    sub = Subscription.objects.get()
    assert sub.kinds == ["case_delivered"] and len(sub.secret) >= 32
    assert sub.secret in r.content.decode()  # a generated secret is shown once, on the page that created it
    page = client.get("/exchange/").content.decode()
    assert sub.secret not in page and sub.masked_secret in page
    r = client.post("/exchange/subscriptions/", {"name": "山东省电子监察系统", "url": "https://dzjc.example.gov.cn/hook",
                                                 "region": "370800", "secret": "typed-by-admin-0123456789"}, follow=True)
    assert "已加密保存" in r.content.decode() and "typed-by-admin-0123456789" not in r.content.decode()
    assert Subscription.objects.filter(name="山东省电子监察系统").get().secret == "typed-by-admin-0123456789"
    r = client.post(f"/exchange/subscriptions/{sub.pk}/replay/", {"since": "2025-03-01T08:00"}, follow=True)
    assert "已安排重放 0 个事件" in r.content.decode()
    r = client.post("/exchange/subscriptions/", {"name": "", "url": "https://a.example", "region": "370800"}, follow=True)
    assert "请填写接收系统名称" in r.content.decode()
    client.force_login(factories.grant(factories.UserFactory(), "supervisor", "370800"))
    assert client.get("/exchange/").status_code == 403
    assert client.post(f"/exchange/subscriptions/{sub.pk}/replay/", {"since": "2025-03-01T08:00"}).status_code == 403


@pytest.mark.django_db
def test_the_signing_secret_is_encrypted_at_rest_and_still_signs():
    from django.db import connection

    from tongban.exchange import crypto

    sub = services.create_subscription(admin_of("370800"), name="省电子监察系统", url="https://dzjc.example.gov.cn/hook",
                                       region_code="370800", secret="shared-secret-0123456789")
    with connection.cursor() as cur:
        cur.execute("SELECT secret_encrypted FROM exchange_subscription WHERE id = %s", [sub.pk])
        stored = cur.fetchone()[0]
        cur.execute("SELECT * FROM exchange_subscription WHERE id = %s", [sub.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert "shared-secret" not in row and stored.startswith("gAAAA")  # a Fernet token, nothing in clear
    fresh = Subscription.objects.get(pk=sub.pk)
    assert fresh.secret == "shared-secret-0123456789" and fresh.masked_secret == "••••••6789"
    body, ts = b'{"kind":"case_accepted"}', "1700000000"
    expected = "sha256=" + hmac.new(b"shared-secret-0123456789", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert services.sign(fresh.secret, ts, body) == expected
    with override_settings(EXCHANGE_SECRET_KEY="a-dedicated-exchange-key"):  # a dedicated key still reads the old rows
        assert Subscription.objects.get(pk=sub.pk).secret == "shared-secret-0123456789"
        assert crypto.decrypt(crypto.encrypt("x" * 16)) == "x" * 16
    with override_settings(SECRET_KEY="another-secret-key", SECRET_KEY_FALLBACKS=[]), pytest.raises(Exception):
        Subscription.objects.get(pk=sub.pk).secret  # noqa: B018 - a different key cannot read it


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_data_migration_encrypts_existing_secrets():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    region = factories.region("370800")
    admin = admin_of("370800")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("exchange", "0001_initial")])
        old = executor.loader.project_state([("exchange", "0001_initial")]).apps.get_model("exchange", "Subscription")
        old.objects.create(name="旧订阅", url="https://old.example.gov.cn/hook", region_id=region.pk, secret="plain-old-secret-0001",
                           created_by_id=admin.pk, kinds=[])
        executor = MigrationExecutor(connection)
        executor.migrate([("exchange", "0002_secret_encrypted")])
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    sub = Subscription.objects.get(name="旧订阅")
    assert sub.secret == "plain-old-secret-0001" and "plain-old-secret" not in sub.secret_encrypted
