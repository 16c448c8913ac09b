"""Oversight of the back office: the lead department chases a branch, red steps escalate to the department
head and the region's supervisors (who reassign), and a case's timeline shows budget against time used."""

import datetime as dt

import pytest

from tests import factories
from tests.test_workflow_definitions import planning, steps  # noqa: F401 - fixture and spec
from tongban.cases import services as intake
from tongban.core.audit import AuditEvent
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.identifiers import make_uscc
from tongban.workcal import days
from tongban.workcal.scan import scan_lights
from tongban.workflow import definitions, engine, oversight
from tongban.workflow.models import CaseStep, Chase
from tongban.workflow.timeline import timeline

pytestmark = pytest.mark.django_db
D = dt.date
ACCEPTED = D(2025, 3, 3)  # a Monday; five-day reviews are due on Monday 10 March


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


def _accept(item, serial):
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", serial, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.submit_case(clerk, applicant=firm, item=item, on=ACCEPTED,
                              materials=[{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()])
    return intake.accept_case(clerk, case, on=ACCEPTED)


@pytest.fixture
def led(admin, planning):  # noqa: F811
    """A 建设工程规划许可证核发 case whose parallel reviews are led by the planning bureau, with its staff."""
    item, d = planning
    definitions.publish_process(admin, definitions.define(admin, item, steps(d, review_plan={"is_lead": True})), valid_from=D(2025, 1, 1))
    case = _accept(item, 6161)
    people = {k: factories.grant(factories.UserFactory(), "reviewer", department=d[k]) for k in ("fire", "plan", "env")}
    people["fire_head"] = factories.grant(factories.UserFactory(), "bureau_leader", department=d["fire"])
    people["bureau_leader"] = factories.grant(factories.UserFactory(), "bureau_leader", department=d["bureau"])
    return case, people, d


def step(case, code):
    return CaseStep.objects.get(case=case, step__code=code)


def agree(reviewer, cs, on=D(2025, 3, 5)):
    engine.claim(reviewer, cs)
    return engine.complete(reviewer, cs, opinion="agree", text="", answers=[], on=on)


# 牵头部门 and 催办

def test_lead_department_sees_its_stage_branches_side_by_side(client, led):
    case, people, _ = led
    agree(people["env"], step(case, "review_env"))
    engine.claim(people["fire"], step(case, "review_fire"))
    rows = oversight.lead_board(people["plan"])
    assert [r["case"] for r in rows] == [case]
    branches = {b.step.code: b for b in rows[0]["branches"]}
    assert set(branches) == {"review_fire", "review_plan", "review_env"}  # the stage, not the accept or decision steps
    assert branches["review_fire"].chaseable and not branches["review_env"].chaseable  # done
    assert not branches["review_plan"].chaseable  # the lead's own branch
    assert oversight.lead_board(people["fire"]) == []  # fire does not lead this stage
    client.force_login(people["plan"])
    page = client.get("/office/lead/").content.decode()
    assert case.number in page and "济宁市消防救援支队" in page and "济宁市生态环境局" in page
    assert page.count('action="/office/steps/') == 1  # one chase form: the fire review
    client.force_login(people["fire"])
    assert case.number not in client.get("/office/lead/").content.decode()


def test_lead_chases_a_branch_and_the_chased_inbox_shows_note_and_time(client, led):
    case, people, d = led
    fire = step(case, "review_fire")
    client.force_login(people["plan"])
    r = client.post(f"/office/steps/{fire.pk}/chase/", {"note": "请于今日出具消防审查意见", "next": "/office/lead/"}, follow=True)
    assert "已催办" in r.content.decode()
    chase = Chase.objects.get()
    assert (chase.case_step, chase.by_department, chase.actor, chase.note) == (fire, d["plan"], people["plan"], "请于今日出具消防审查意见")
    event = case.events.get(action="step_chased")
    assert event.reason == "请于今日出具消防审查意见" and event.data["step"] == "review_fire" and event.data["lead"] == d["plan"].name
    assert AuditEvent.objects.filter(action="workflow.step_chased", object_id=str(case.pk)).exists()
    client.force_login(people["fire"])
    inbox = client.get("/office/").content.decode()
    assert "被催办" in inbox and "请于今日出具消防审查意见" in inbox and d["plan"].name in inbox
    api = client.get("/api/v1/workflow/inbox").json()
    assert api[0]["last_chase"]["note"] == "请于今日出具消防审查意见" and api[0]["last_chase"]["by_department"] == d["plan"].name
    assert "请于今日出具消防审查意见" in client.get(f"/office/steps/{fire.pk}/").content.decode()
    client.force_login(people["env"])  # the other branch was not chased
    assert "被催办" not in client.get("/office/").content.decode()


def test_only_the_lead_department_chases_and_only_unfinished_branches(led):
    case, people, _ = led
    fire, plan, env = step(case, "review_fire"), step(case, "review_plan"), step(case, "review_env")
    with pytest.raises(NotAllowed):
        oversight.chase(people["fire"], env, note="")  # fire is a branch, not the lead
    with pytest.raises(NotAllowed):
        oversight.chase(people["bureau_leader"], env, note="")
    with pytest.raises(DomainError) as e:
        oversight.chase(people["plan"], plan, note="")
    assert e.value.code == "chase_own_branch"
    agree(people["env"], env)
    with pytest.raises(Conflict) as e:
        oversight.chase(people["plan"], env, note="")
    assert e.value.code == "step_done"
    assert oversight.chase(people["plan"], fire).note == ""  # a note is optional
    with pytest.raises(NotAllowed):  # the decision step belongs to no led stage
        oversight.chase(people["plan"], step(case, "decide"), note="")
    assert Chase.objects.count() == 1 and case.events.filter(action="step_chased").count() == 1


def test_chase_api_refuses_out_of_scope_with_403_and_a_done_step_with_409(client, led):
    case, people, d = led
    fire, env = step(case, "review_fire"), step(case, "review_env")
    client.force_login(people["env"])
    r = client.post(f"/api/v1/workflow/steps/{fire.pk}/chase", {"note": "快"}, content_type="application/json")
    assert r.status_code == 403 and "牵头部门" in r.json()["message"]
    agree(people["env"], env)
    client.force_login(people["plan"])
    r = client.post(f"/api/v1/workflow/steps/{env.pk}/chase", {"note": "快"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "step_done"
    r = client.post(f"/api/v1/workflow/steps/{fire.pk}/chase", {"note": "请尽快办理"}, content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    assert (body["case"], body["step"], body["department"], body["by_department"], body["note"]) == (
        case.number, "review_fire", d["fire"].name, d["plan"].name, "请尽快办理")
    assert client.post("/api/v1/workflow/steps/999999/chase", {}, content_type="application/json").status_code == 404


# 超期督办

def _supervisor(region_code):
    return factories.grant(factories.UserFactory(), "supervisor", region_code)


def test_a_red_step_escalates_to_its_department_head_and_the_region_supervisor(client, led):
    case, people, _ = led
    agree(people["env"], step(case, "review_env"))  # done before it turned red
    assert oversight.escalations(_supervisor("370800")) == []  # nothing is red yet
    scan_lights(D(2025, 3, 12))  # fire and planning were due on 10 March
    on = D(2025, 3, 12)
    head = oversight.escalations(people["fire_head"], on=on)
    assert [cs.step.code for cs in head] == ["review_fire"] and head[0].overdue_workdays == 2
    city = oversight.escalations(_supervisor("370800"), on=on)
    assert {cs.step.code for cs in city} == {"review_fire", "review_plan"}
    assert oversight.escalations(_supervisor("370881"), on=on) == []  # 曲阜市's supervisor: another region
    assert oversight.escalations(people["bureau_leader"], on=on) == []  # not the head of fire or planning
    assert oversight.escalations(people["fire"], on=on) == []  # a reviewer is not a head
    client.force_login(people["fire_head"])
    api = client.get("/api/v1/workflow/escalations").json()
    assert [s["step"] for s in api] == ["review_fire"] and api[0]["light"] == "red" and api[0]["overdue_workdays"] > 2
    page = client.get("/office/escalations/").content.decode()
    assert case.number in page and "消防审查" in page and "规划审查" not in page
    client.force_login(people["fire"])
    assert client.get("/office/escalations/").status_code == 403


def test_department_head_reassigns_an_escalated_step_from_the_list(client, led):
    case, people, d = led
    fire = step(case, "review_fire")
    engine.claim(people["fire"], fire)
    other = factories.grant(factories.UserFactory(display_name="孔祥林"), "reviewer", department=d["fire"])
    scan_lights(D(2025, 3, 12))
    client.force_login(people["fire_head"])
    page = client.get("/office/escalations/").content.decode()
    assert f'value="{other.pk}"' in page and f'value="{people["fire"].pk}"' not in page  # the claimant is not offered
    r = client.post(f"/office/escalations/{fire.pk}/reassign/", {"reviewer": other.pk, "reason": ""}, follow=True)
    assert "请说明改派原因" in r.content.decode()
    r = client.post(f"/office/escalations/{fire.pk}/reassign/", {"reviewer": other.pk, "reason": "原审查人病假"}, follow=True)
    assert "已改派" in r.content.decode()
    fire.refresh_from_db()
    assert fire.claimant == other
    event = case.events.get(action="step_reassigned")
    assert event.reason == "原审查人病假" and event.data["new"] == other.pk and event.data["old"] == people["fire"].pk
    client.force_login(people["bureau_leader"])  # a head of another department cannot reassign through this page
    r = client.post(f"/office/escalations/{fire.pk}/reassign/", {"reviewer": people["fire"].pk, "reason": "试试"}, follow=True)
    assert "不在您的超期督办范围内" in r.content.decode()
    fire.refresh_from_db()
    assert fire.claimant == other


def test_a_supervisor_reassigns_only_within_the_region(led):
    case, people, d = led
    fire = step(case, "review_fire")
    other = factories.grant(factories.UserFactory(), "reviewer", department=d["fire"])
    with pytest.raises(NotAllowed):
        engine.reassign(_supervisor("370881"), fire, other, reason="跨区划改派")
    assert engine.reassign(_supervisor("370800"), fire, other, reason="原审查人出差").claimant == other


def test_the_supervisor_dashboard_lists_red_steps(client, led):
    case, people, _ = led
    scan_lights(D(2025, 3, 12))
    client.force_login(_supervisor("370800"))
    page = client.get("/supervision/").content.decode()
    section = page[page.index('id="escalated-steps"'):page.index('id="overdue-gaps"')]
    assert case.number in section and "消防审查" in section and "环保审查" in section and "/office/escalations/" in section


# 审批进度 (timeline)

def test_timeline_shows_each_step_budget_against_time_used(led):
    case, people, _ = led
    agree(people["fire"], step(case, "review_fire"), on=D(2025, 3, 5))
    data = timeline(case, on=D(2025, 3, 12))
    rows = {(r.case_step.step.code if r.case_step else "case"): r for r in data["rows"]}
    assert list(rows) == ["case", "accept", "review_fire", "review_plan", "review_env", "decide"]
    fire, plan, decide = rows["review_fire"], rows["review_plan"], rows["decide"]
    assert (fire.budget_days, fire.used_days, fire.done, fire.light) == (5, 2, D(2025, 3, 5), "green")
    assert (plan.budget_days, plan.used_days, plan.over_days, plan.deadline) == (5, 7, 2, D(2025, 3, 10))
    assert decide.state == "waiting" and decide.budget is None and decide.used is None
    assert rows["accept"].milestone is not None and rows["accept"].budget is None
    assert rows["case"].budget_days == 12 and rows["case"].deadline == D(2025, 3, 19)
    # the axis runs 3 March .. 20 March (the case deadline plus one column): 18 days
    assert data["start"] == ACCEPTED and data["end"] == D(2025, 3, 20)
    assert (fire.budget.left, fire.budget.width) == (f"{100 / 18:.3f}", f"{7 * 100 / 18:.3f}")  # 4..10 March
    assert (fire.used.left, fire.used.width) == (f"{100 / 18:.3f}", f"{2 * 100 / 18:.3f}")  # 4..5 March
    assert plan.used.width == f"{8.5 * 100 / 18:.3f}"  # 4 March up to the today marker on 12 March, past its budget
    assert data["today"] == f"{9.5 * 100 / 18:.3f}"
    assert [o.left for o in data["off"]][:2] == [f"{5 * 100 / 18:.3f}", f"{12 * 100 / 18:.3f}"]  # the weekends


def test_timeline_shows_a_returned_step_paused(led):
    case, people, _ = led
    plan = step(case, "review_plan")
    engine.claim(people["plan"], plan)
    engine.complete(people["plan"], plan, opinion="return", text="请补充建筑退让尺寸", answers=[], materials=[{"material": plan.case.item_version.materials.first().pk, "reason": "请补充建筑退让尺寸"}], on=D(2025, 3, 5))
    case.refresh_from_db()
    data = timeline(case, on=D(2025, 3, 7))
    whole, row = data["rows"][0], next(r for r in data["rows"] if r.case_step and r.case_step.step.code == "review_plan")
    assert row.state == "returned" and row.used_days == 2 and row.paused_days == 2
    assert len(row.pauses) == 1 and row.deadline == D(2025, 3, 12)  # the deadline if resumed today: 5 + 2 paused days
    assert whole.state == "paused" and whole.deadline == D(2025, 3, 21)  # the case clock stands still too: 12 + 2
    assert data["end"] == D(2025, 3, 22)  # the axis reaches past the paused case's deadline


def test_timeline_page_for_staff_of_the_case_and_its_departments_only(client, led):
    case, people, _ = led
    url = f"/office/cases/{case.number}/timeline/"
    for who in (people["fire"], people["bureau_leader"], _supervisor("370800")):
        client.force_login(who)
        page = client.get(url).content.decode()
        assert 'id="timeline"' in page and 'data-step="review_plan"' in page and "tl-today" in page, who
    client.force_login(factories.grant(factories.UserFactory(), "reviewer", department=factories.DepartmentFactory()))
    assert client.get(url).status_code == 404
    client.force_login(_supervisor("370881"))
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_step_page_and_decision_queue_link_the_timeline(client, led):
    case, people, _ = led
    url = f"/office/cases/{case.number}/timeline/"
    client.force_login(people["fire"])
    assert url in client.get(f"/office/steps/{step(case, 'review_fire').pk}/").content.decode()
    for k in ("fire", "plan", "env"):
        agree(people[k], step(case, f"review_{k}"), on=None)
    client.force_login(people["bureau_leader"])
    assert url in client.get("/office/decisions/").content.decode()
