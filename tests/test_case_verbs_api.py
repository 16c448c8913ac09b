"""The verbs that had no door: extension (art. 42), 首办 hand-over and the 告知承诺 post-check, each through the
API with bearer tokens and through the case page; answers show the state after the act."""

import datetime as dt

import pytest

from tests import factories
from tongban.cases import services
from tongban.cases.models import Breach, Case, CaseState
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.org.models import ApiToken
from tongban.workcal import days

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(admin):
    food = factories.make_item(admin, informed_commitment=True)
    dept = food.department
    clerk = factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")
    other_clerk = factories.grant(factories.UserFactory(display_name="孟凡强"), "window_clerk")
    county_clerk = factories.grant(factories.UserFactory(display_name="仲昭阳"), "window_clerk", "370830")
    leader = factories.grant(factories.UserFactory(display_name="闵建国"), "bureau_leader", department=dept)
    reviewer = factories.grant(factories.UserFactory(display_name="曾庆伟"), "reviewer", department=dept)
    return {"food": food, "clerk": clerk, "other_clerk": other_clerk, "county_clerk": county_clerk, "leader": leader, "reviewer": reviewer}


def token(user):
    return {"Authorization": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


def call(client, method, url, auth, data=None):
    if method == "GET":
        return client.get(url, headers=auth)
    return client.post(url, data or {}, content_type="application/json", headers=auth)


def accepted(people, **accept):
    food, clerk = people["food"], people["clerk"]
    firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 8801, authority="9", kind="2"), name="济宁市任城区鲁味轩餐饮店")
    case = services.submit_case(clerk, applicant=firm, item=food,
                                materials=[{"material": m.pk, "status": "original_seen"} for m in food.versions.get().materials.all()])
    return services.accept_case(clerk, case, **accept)


def test_the_leader_extends_the_time_limit_with_a_notice_to_the_applicant(client, people):
    case = accepted(people)
    before = case.deadline
    clerk, leader = token(people["clerk"]), token(people["leader"])
    r = call(client, "POST", f"/api/v1/cases/{case.number}/extend", clerk, {"days": 3, "reason": "需组织现场核查"})
    assert r.status_code == 403  # only the authority's leader
    assert "extend" in call(client, "GET", f"/api/v1/cases/{case.number}", leader).json()["actions"]
    r = call(client, "POST", f"/api/v1/cases/{case.number}/extend", leader, {"days": 3, "reason": "需组织现场核查,情况复杂"})
    assert r.status_code == 200, r.content
    assert dt.date.fromisoformat(r.json()["deadline"]) == days.add_working_days(before, 3).date
    notices = call(client, "GET", f"/api/v1/cases/{case.number}/notices", clerk).json()
    extension = [n for n in notices if n["kind"] == "extension"]
    assert len(extension) == 1
    pdf = call(client, "GET", extension[0]["pdf"], clerk)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    r = call(client, "POST", f"/api/v1/cases/{case.number}/extend", leader, {"days": 3, "reason": "再次延长"})
    assert r.status_code == 400 and r.json()["code"] == "extension_over_limit"  # 5 days at most for this item
    r = call(client, "POST", f"/api/v1/cases/{case.number}/extend", leader, {"days": 0, "reason": "x"})
    assert r.status_code == 422


def test_the_first_handler_is_handed_over_to_another_clerk_of_the_region(client, people):
    case = accepted(people)
    clerk = token(people["clerk"])
    other = people["other_clerk"]
    r = call(client, "POST", f"/api/v1/cases/{case.number}/handler", clerk, {"handler": other.username, "reason": "原经办人轮岗"})
    assert r.status_code == 200 and r.json()["handler"] == "孟凡强"
    unknown = call(client, "POST", f"/api/v1/cases/{case.number}/handler", clerk, {"handler": "nobody", "reason": "x"})
    outside = call(client, "POST", f"/api/v1/cases/{case.number}/handler", clerk, {"handler": people["county_clerk"].username, "reason": "x"})
    assert unknown.status_code == outside.status_code == 400 and unknown.json() == outside.json()  # no oracle on user names
    assert Case.objects.get(pk=case.pk).events.filter(action="handler_reassigned").count() == 1


def test_a_false_informed_commitment_revokes_the_approval_and_is_recorded(client, people):
    food = people["food"]
    aux = [m for m in food.versions.get().materials.all() if m.role == "auxiliary"][0]
    case = accepted(people, informed=[aux.pk])
    leader, clerk, reviewer = token(people["leader"]), token(people["clerk"]), token(people["reviewer"])
    assert case.back_office is False  # no process for this item: the leader decides on the case itself
    r = call(client, "POST", f"/api/v1/workflow/cases/{case.number}/decide", leader, {"approve": True, "note": "符合条件"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = call(client, "POST", f"/api/v1/cases/{case.number}/deliver", clerk, {"method": "electronic"})
    assert r.status_code == 200 and r.json()["state"] == "completed"
    r = call(client, "POST", f"/api/v1/cases/{case.number}/post-check", clerk, {"passed": False, "note": "x"})
    assert r.status_code == 403  # a reviewer of the item's department checks
    assert "post_check" in call(client, "GET", f"/api/v1/cases/{case.number}", reviewer).json()["actions"]
    r = call(client, "POST", f"/api/v1/cases/{case.number}/post-check", reviewer, {"passed": False, "note": "现场核查:食品安全管理制度未建立,承诺不实"})
    assert r.status_code == 200 and r.json()["state"] == "revoked" and r.json()["actions"] == []
    assert Breach.objects.filter(case=case).count() == 1
    again = call(client, "POST", f"/api/v1/cases/{case.number}/post-check", reviewer, {"passed": True})
    assert again.status_code == 409
    supervisor = factories.grant(factories.UserFactory(), "supervisor")
    client.force_login(supervisor)
    board = client.get("/supervision/").content.decode()
    assert case.number in board.split('id="breaches"')[1] and "承诺不实" in board


def test_withdraw_answers_the_state_after_the_act_and_the_checklist_can_be_saved(client, people):
    food, clerk = people["food"], people["clerk"]
    firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 8802, authority="9", kind="2"), name="济宁市任城区老街坊饭庄")
    case = services.submit_case(clerk, applicant=firm, item=food)
    auth = token(clerk)
    first = food.versions.get().materials.first()
    r = call(client, "POST", f"/api/v1/cases/{case.number}/materials", auth, {"materials": [{"material": first.pk, "status": "shared"}]})
    assert r.status_code == 200 and r.json()["materials"][0]["status"] == "shared"
    r = call(client, "POST", f"/api/v1/cases/{case.number}/withdraw", auth, {"reason": "申请人暂不办理"})
    assert r.status_code == 200 and r.json()["state"] == CaseState.WITHDRAWN and r.json()["actions"] == []


def test_the_case_page_offers_each_role_only_what_it_may_do(client, people):
    case = accepted(people)
    client.force_login(people["clerk"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="extend"' not in page and 'id="decide"' not in page and 'id="handover"' in page and 'id="withdraw"' in page
    client.force_login(people["leader"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="extend"' in page, page
    assert 'id="decide"' in page
    assert 'id="withdraw"' not in page
    r = client.post(f"/hall/cases/{case.number}/act/", {"action": "extend", "days": "2", "reason": "需补充专家意见"}, follow=True)
    assert "已延长审批期限" in r.content.decode()
    assert Case.objects.get(pk=case.pk).notices.filter(kind="extension").exists()


def test_the_registry_answers_nobody_outside_the_window_and_keeps_its_data(client, people):
    """No oracle: an account that may not submit learns nothing about who is registered; a submission with a new
    phone number keeps it on the case and leaves the registered applicant alone."""
    food, clerk = people["food"], people["clerk"]
    firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 8803, authority="9", kind="2"),
                                       name="济宁市任城区鲁味轩餐饮店", phone="0537-2231234")
    body = {"applicant": {"kind": "org", "id_number": firm.id_number, "name": "别的名字"}, "item": food.implementation_code}
    for outsider in (people["reviewer"], people["leader"], factories.UserFactory()):
        r = call(client, "POST", "/api/v1/cases/", token(outsider), body)
        assert r.status_code == 403 and "name" not in r.json().get("field", ""), r.content
    body["applicant"] = {"kind": "org", "id_number": firm.id_number, "name": firm.name, "phone": "13905379999"}
    r = call(client, "POST", "/api/v1/cases/", token(clerk), body)
    assert r.status_code == 201
    firm.refresh_from_db()
    assert firm.phone == "0537-2231234"
    assert Case.objects.get(number=r.json()["number"]).form_data["申请时联系方式"] == {"phone": "13905379999"}
    far = {**body, "mandate": {"agent_name": "王立新", "agent_id_number": make_id_card("370881", dt.date(1990, 1, 1), 17), "scope": "食品经营许可",
                               "valid_until": "9999-12-31"}}
    r = call(client, "POST", "/api/v1/cases/", token(clerk), far)
    assert r.status_code == 400 and r.json()["field"] == "valid_until" and "三年" in r.json()["message"]
