import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from tests import factories
from tongban.cases import services
from tongban.cases.models import Case, CaseEvent
from tongban.core.errors import Conflict
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.org.models import ApiToken

import datetime as dt

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db):
    return factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")


@pytest.fixture
def food(admin):
    return factories.make_item(admin)


def body(item, **kw):
    return {
        "applicant": {"kind": "org", "id_number": make_uscc("370811", 555, authority="9", kind="2"), "name": "济宁市任城区鲁味轩餐饮店", "phone": "13905371234"},
        "item": item.implementation_code,
        "materials": [{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()],
        **kw,
    }


def post(client, url, data, **headers):
    return client.post(url, data, content_type="application/json", headers=headers)


def test_clerk_submits_and_accepts_over_the_api_with_masked_personal_data(client, clerk, food):
    client.force_login(clerk)
    r = post(client, "/api/v1/cases/", body(food))
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert r.json()["applicant_phone"] == "139****1234" and "*" in r.json()["applicant_id"]
    r = post(client, f"/api/v1/cases/{number}/accept", {})
    assert r.status_code == 200 and r.json()["state"] == "accepted" and r.json()["deadline"]
    assert r.json()["handler"] == "颜春梅"


def test_idempotency_key_makes_a_retried_submit_and_accept_a_no_op(client, clerk, food):
    client.force_login(clerk)
    first = post(client, "/api/v1/cases/", body(food), **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/cases/", body(food), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json()["number"] == again.json()["number"]
    assert Case.objects.count() == 1
    number = first.json()["number"]
    a1 = post(client, f"/api/v1/cases/{number}/accept", {}, **{"Idempotency-Key": "a-1"})
    a2 = post(client, f"/api/v1/cases/{number}/accept", {}, **{"Idempotency-Key": "a-1"})
    assert a1.status_code == a2.status_code == 200 and a1.json() == a2.json()
    assert CaseEvent.objects.filter(case__number=number, action="accepted").count() == 1
    a3 = post(client, f"/api/v1/cases/{number}/accept", {})
    assert a3.status_code == 409 and "已受理" in a3.json()["message"]


def test_out_of_scope_answers_like_nonexistent_and_no_login_is_401_in_chinese(client, clerk, food):
    client.force_login(clerk)
    number = post(client, "/api/v1/cases/", body(food)).json()["number"]
    outsider = factories.grant(factories.UserFactory(), "window_clerk", "370830")
    client.force_login(outsider)
    r = post(client, f"/api/v1/cases/{number}/accept", {})
    missing = post(client, "/api/v1/cases/370800-20260101-999999/accept", {})
    assert r.status_code == missing.status_code == 404 and r.json() == missing.json()
    client.logout()
    r = post(client, f"/api/v1/cases/{number}/accept", {})
    assert r.status_code == 401 and "登录" in r.json()["message"]


def test_bearer_token_authenticates_machine_clients(client, clerk, food):
    _, key = ApiToken.issue(clerk, "大厅自助终端")
    r = client.post("/api/v1/cases/", body(food, channel="kiosk"), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 201 and r.json()["channel"] == "kiosk"
    r = client.post("/api/v1/cases/", body(food), content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong")
    assert r.status_code == 401


def test_bad_identifier_in_an_api_submit_is_a_chinese_400(client, clerk, food):
    client.force_login(clerk)
    data = body(food)
    data["applicant"] = {"kind": "person", "id_number": "370881199001011234", "name": "孔祥东"}
    r = post(client, "/api/v1/cases/", data)
    assert r.status_code == 400 and "校验位错误" in r.json()["message"]


# --- real concurrency on PostgreSQL ------------------------------------------------------------

def _in_thread(fn):
    try:
        return fn()
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_accepting_the_same_case_exactly_one_wins(needs_postgres):
    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    clerks = [factories.grant(factories.UserFactory(), "window_clerk") for _ in range(2)]
    shop = services.register_applicant(clerks[0], kind="org", id_number=make_uscc("370811", 777, authority="9", kind="2"), name="鲁味轩")
    case = services.submit_case(clerks[0], applicant=shop, item=food,
                                materials=[{"material": m.pk, "status": "original_seen"} for m in food.versions.get().materials.all()])
    barrier = threading.Barrier(2)

    def accept(clerk):
        def run():
            barrier.wait()
            try:
                services.accept_case(clerk, Case.objects.get(pk=case.pk))
                return "won"
            except Conflict:
                return "409"
        return _in_thread(run)

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(accept, clerks))
    assert results == ["409", "won"]
    assert CaseEvent.objects.filter(case=case, action="accepted").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_concurrent_submits_get_200_distinct_numbers(needs_postgres):
    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    people = [services.register_applicant(clerk, kind="person", id_number=make_id_card("370881", dt.date(1980, 1, 1) + dt.timedelta(days=i), i),
                                          name=f"申请人{i}") for i in range(200)]
    start = threading.Barrier(16)

    def submit(i):
        def run():
            if i < 16:
                start.wait()
            return services.submit_case(clerk, applicant=people[i], item=food).number
        return _in_thread(run)

    with ThreadPoolExecutor(16) as pool:
        numbers = list(pool.map(submit, range(200)))
    assert len(set(numbers)) == 200
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 201))
    assert connection.vendor == "postgresql"


def test_agent_applies_for_the_enterprise_under_a_recorded_mandate(client, food):
    agent = factories.grant(factories.UserFactory(display_name="冉晓东"), "agent")
    client.force_login(agent)
    data = body(food, channel="agent")
    r = post(client, "/api/v1/cases/", data)
    assert r.status_code == 400 and "委托书" in r.json()["message"]
    data["mandate"] = {"agent_name": "冉晓东", "agent_id_number": make_id_card("370811", dt.date(1986, 7, 1), 55), "scope": "食品经营许可申请"}
    r = post(client, "/api/v1/cases/", data)
    assert r.status_code == 201, r.content
    case = Case.objects.get(number=r.json()["number"])
    assert case.mandate.agent_user == agent and case.channel == "agent"
    valid = data["mandate"]["agent_id_number"]
    data["mandate"]["agent_id_number"] = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    assert "校验位错误" in post(client, "/api/v1/cases/", data).json()["message"]


def test_a_bearer_token_posts_without_a_csrf_cookie_but_a_session_needs_one(clerk, food):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    _, key = ApiToken.issue(clerk, "叫号机")
    r = strict.post("/api/v1/cases/", body(food, channel="kiosk"), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 201, r.content
    strict.force_login(clerk)
    assert strict.post("/api/v1/cases/", body(food), content_type="application/json").status_code == 403  # no CSRF token


def test_a_refused_accept_leaves_nothing_behind(client, clerk, food):
    """The API's transaction takes no savepoints inside: an error after the first writes must still roll
    back every one of them (here the 容缺 rows written before the missing main material is found)."""
    from tongban.catalog.models import Material
    from tongban.core.models import AuditEvent

    client.force_login(clerk)
    materials = list(food.versions.get().materials.all())
    main = next(m for m in materials if m.role == Material.Role.MAIN)
    aux = next(m for m in materials if m.role == Material.Role.AUXILIARY)
    given = [{"material": m.pk, "status": "original_seen"} for m in materials if m.pk not in (main.pk, aux.pk)]
    number = post(client, "/api/v1/cases/", body(food, materials=given)).json()["number"]
    case = Case.objects.get(number=number)
    before = (set(case.materials.values_list("material_id", "status")), AuditEvent.objects.count(), CaseEvent.objects.count())
    r = post(client, f"/api/v1/cases/{number}/accept", {"gaps": [aux.pk], "gap_days": 5})
    assert r.status_code == 400 and main.name in r.json()["message"]
    case.refresh_from_db()
    assert case.state == "received" and case.clock_id is None
    assert (set(case.materials.values_list("material_id", "status")), AuditEvent.objects.count(), CaseEvent.objects.count()) == before
