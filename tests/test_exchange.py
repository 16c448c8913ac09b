"""数据上报: case events go into the outbox in the act's own transaction and reach the subscribed system at least once
— signed, retried with back-off, logged, replayable from a point in time — and the receiver keeps each event once
by its idempotency key. Driven as the province's integrator would: a bearer token over HTTP, the OpenAPI's fields."""

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import transaction
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
    assert Subscription.objects.count() == 2

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
    r = client.post(f"/exchange/subscriptions/{sub.pk}/replay/", {"since": "2025-03-01T08:00"}, follow=True)
    assert "已安排重放 0 个事件" in r.content.decode()
    r = client.post("/exchange/subscriptions/", {"name": "", "url": "https://a.example", "region": "370800"}, follow=True)
    assert "请填写接收系统名称" in r.content.decode()
    client.force_login(factories.grant(factories.UserFactory(), "supervisor", "370800"))
    assert client.get("/exchange/").status_code == 403
    assert client.post(f"/exchange/subscriptions/{sub.pk}/replay/", {"since": "2025-03-01T08:00"}).status_code == 403
