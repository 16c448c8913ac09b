"""Investment projects, rule by rule: the project code, one case per item in parallel, stage completion,
pre-approval conversion, the forecast moving with a correction pause, joint acceptance, and the 0+N agency
service (agreement and team, hand-off to a county office, roadmap, ledger, statistics, the enterprise's page).

The demo city's construction items and processes, the calendar pinned to March 2025 (the clock of the case
acts is passed explicitly, as the demo does)."""

import datetime as dt
import io

import pytest
from hypothesis import given, settings, strategies as st

from tongban.cases import services as intake
from tongban.cases.models import CaseState
from tongban.catalog import demo as catalog_demo
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.org import demo as org_demo
from tongban.org.models import RoleGrant, User
from tongban.projects import agency, forecast, services
from tongban.projects import demo as projects_demo
from tongban.projects.codes import describe, make_project_code, validate_project_code
from tongban.projects.models import AgencyOffice, PreApproval, Stage, TeamRole
from tongban.workcal import days
from tongban.workflow import engine
from tongban.workflow.models import CaseStep

D = dt.date
MON = D(2025, 3, 3)


def load_city(monkeypatch, today=MON):
    """The demo organisation, only the construction items of the catalogue, their processes, the offices."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    data = catalog_demo.read_data()
    org_demo.load_towns()
    org_demo.load_departments(data["departments"])
    org_demo.load_halls(data["zones"])
    org_demo.load_staff()
    admin = User.objects.get(username="admin")
    names = {name for _, name, _ in projects_demo.STAGE_ITEMS}
    catalog_demo.load_catalogue(admin, {**data, "items": [i for i in data["items"] if i["name"] in names], "bundles": []})
    from tongban.workflow.demo import load_processes

    load_processes(admin)
    projects_demo.load_setup(admin)
    days.invalidate()
    return admin


@pytest.fixture
def city(db, monkeypatch):
    load_city(monkeypatch)
    yield
    days.invalidate()


def u(name):
    return User.objects.get(username=name)


def firm(serial=45000099, name="山东曲阜圣源新材料科技有限公司"):
    return intake.register_applicant(u("clerk"), kind="org", id_number=make_uscc("370881", serial, authority="9", kind="1"), name=name)


def new_project(code=None, major=True, region="370881"):
    return services.register_project(u("agent"), code=code or make_project_code(region, D(2025, 2, 10), 31207), name="年产2万吨高性能复合材料项目",
                                     owner=firm(), site="曲阜市经济开发区春秋西路以南", kind="industrial", investment="68000",
                                     land_area="86667", floor_area="62400", major=major, on=MON)


def form(project, stage):
    return [{"material": m["id"], "status": "provided"} for m in services.merged_materials(project, stage)]


def case_of(project, title):
    return next(lk.case for lk in project.links.select_related("case__item_version") if lk.case.title == title)


def review(case, code, username, on, opinion="agree", text=""):
    user = u(username)
    cs = CaseStep.objects.get(case=case, step__code=code)
    if cs.state == CaseStep.State.READY:
        cs = engine.claim(user, cs)
    materials = []
    if opinion == "return":
        materials = [{"material": case.item_version.materials.order_by("order").first().pk, "status": "defective", "reason": text}]
    engine.complete(user, cs, opinion=opinion, text=text, answers=[{"point": p, "answer": "符合"} for p in cs.step.review_points]
                    if opinion != "return" else [], materials=materials, on=on)


def joint(case, code, on):
    cs = CaseStep.objects.get(case=case, step__code=code)
    for username in ("reviewer_fire", "reviewer_housing", "reviewer_plan"):
        grant = RoleGrant.objects.filter(user=u(username), role="reviewer").select_related("department").first()
        if cs.step.joint_departments.filter(pk=grant.department_id).exists() and not cs.joint_opinions.filter(department=grant.department).exists():
            engine.joint_opinion(u(username), cs, grant.department, opinion="agree", inspected_on=on, on=on)


# ---- the project code ----

def test_new_code_with_its_check_digit_is_valid_and_a_wrong_check_digit_is_refused(db):
    code = make_project_code("370800", D(2024, 3, 1), 12345)
    assert code == "2403-370800-04-03-123453" and validate_project_code(code) == code
    wrong = code[:-1] + "4"
    with pytest.raises(DomainError) as e:
        validate_project_code(wrong)
    assert e.value.code == "project_code_check" and "校验位" in e.value.message and e.value.field == "code"


def test_old_year_codes_are_accepted_without_a_check_digit(db):
    assert validate_project_code("2017-370800-04-01-000123") == "2017-370800-04-01-000123"
    assert describe("2017-370800-04-01-000123")["has_check_digit"] is False


@pytest.mark.parametrize("value, code", [
    ("2403370800040312345", "project_code_format"), ("2403-999999-04-03-123453", "project_code_region"),
    ("2403-370800-04-07-123453", "project_code_type"), ("1912-370800-04-03-123453", "project_code_month"),
    ("3012-370800-04-03-123453", "project_code_month"), ("2413-370800-04-03-123453", "project_code_month"),
])
def test_malformed_codes_are_refused_with_the_reason(db, value, code):
    with pytest.raises(DomainError) as e:
        validate_project_code(value, today=D(2025, 3, 3))
    assert e.value.code == code


@settings(max_examples=60, deadline=None)
@given(serial=st.integers(0, 99999), months=st.integers(0, 60), region=st.sampled_from(["370800", "370881", "110105", "440305"]),
       delta=st.integers(1, 9))
@pytest.mark.django_db
def test_every_generated_code_validates_and_any_other_last_digit_does_not(serial, months, region, delta):
    on = D(2020 + months // 12, months % 12 + 1, 1)
    code = make_project_code(region, on, serial)
    assert validate_project_code(code, today=D(2026, 1, 1)) == code
    with pytest.raises(DomainError):
        validate_project_code(code[:-1] + str((int(code[-1]) + delta) % 10), today=D(2026, 1, 1))


def test_registering_a_project_checks_the_code_and_refuses_a_second_registration(city):
    with pytest.raises(DomainError) as e:
        new_project(code=make_project_code("370881", D(2025, 2, 10), 31207)[:-1] + "0")
    assert e.value.code in ("project_code_check",)
    project = new_project()
    assert project.region.code == "370881" and project.stage == Stage.LAND
    with pytest.raises(Conflict):
        new_project()
    with pytest.raises(NotAllowed):
        services.register_project(u("reviewer_fire"), code=make_project_code("370881", D(2025, 2, 10), 1), name="x", owner=firm(),
                                  site="x", kind="industrial", investment="1", land_area="0", floor_area="0", on=MON)


# ---- stages ----

def test_a_stage_application_makes_one_case_per_item_reviewed_in_parallel(city):
    project = new_project()
    run = services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), accept=True, on=MON)
    links = list(run.links.select_related("case"))
    assert sorted(lk.case.title for lk in links) == ["建设用地规划许可证核发", "建设项目环境影响报告表审批", "建设项目用地预审与选址意见书核发"]
    assert all(lk.case.state == CaseState.ACCEPTED and lk.case.form_data["投资项目代码"] == project.code for lk in links)
    open_steps = CaseStep.objects.filter(case__in=[lk.case for lk in links], state=CaseStep.State.READY)
    assert {cs.department.function for cs in open_steps} == {"natural_resources", "ecology"}
    assert open_steps.count() == 3  # three cases in review at once, each in its department's queue
    with pytest.raises(Conflict):
        services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), on=MON)
    with pytest.raises(Conflict) as e:
        services.apply_stage(u("clerk"), project, 2, materials=form(project, 2), on=MON)
    assert e.value.code == "stage_order"


def test_the_stage_completes_when_every_case_is_decided_and_the_project_moves_on(city):
    project = new_project()
    services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), accept=True, on=MON)
    siting, land, eia = (case_of(project, t) for t in ("建设项目用地预审与选址意见书核发", "建设用地规划许可证核发", "建设项目环境影响报告表审批"))
    review(siting, "review_plan", "reviewer_plan", D(2025, 3, 5))
    review(land, "review_plan", "reviewer_plan", D(2025, 3, 5))
    review(eia, "review_env", "reviewer_env", D(2025, 3, 5))
    engine.decide(u("leader"), siting, approve=True, note="符合", on=D(2025, 3, 6))
    engine.decide(u("leader"), land, approve=True, note="符合", on=D(2025, 3, 6))
    project.refresh_from_db()
    assert project.stage == Stage.LAND and project.stage_runs.get().state == "open"  # one case still in review
    engine.decide(u("leader"), eia, approve=True, note="符合", on=D(2025, 3, 7))
    project.refresh_from_db()
    run = project.stage_runs.get(stage=1)
    assert run.state == "done" and run.completed_on == D(2025, 3, 7) and project.stage == Stage.ENGINEERING


def test_an_agent_applies_under_the_agreement_and_the_enterprise_makes_no_visit(city):
    project = new_project()
    with pytest.raises(DomainError) as e:
        services.apply_stage(u("agent"), project, 1, materials=form(project, 1), on=MON)
    assert e.value.code == "mandate_required"
    req = _agreed(project)
    with pytest.raises(NotAllowed):  # an agent submits; the window accepts
        services.apply_stage(u("agent"), project, 1, materials=form(project, 1), accept=True, on=MON)
    run = services.apply_stage(u("agent"), project, 1, materials=form(project, 1), on=MON)
    assert {lk.case.channel for lk in run.links.select_related("case")} == {"agent"}
    assert agency.enterprise_visits(req) == 0


# ---- pre-approval ----

def _stage1_accepted(project):
    services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), accept=True, on=MON)
    return case_of(project, "建设用地规划许可证核发")


def _planning_item(project):
    return next(i for i in services.stage_items(project, 2) if i.versions.first().name == "建设工程规划许可证核发")


def _review_planning(case, on):
    for code, who in (("review_fire", "reviewer_fire"), ("review_plan", "reviewer_plan"), ("review_env", "reviewer_env")):
        review(case, code, who, on)
    cs = CaseStep.objects.get(case=case, step__code="joint")
    for who in ("reviewer_fire", "reviewer_plan", "reviewer_env"):
        grant = RoleGrant.objects.filter(user=u(who), role="reviewer").first()
        engine.joint_opinion(u(who), cs, grant.department, opinion="agree", inspected_on=on, on=on)


def test_a_pre_approval_becomes_formal_when_its_prerequisite_is_approved(city, django_capture_on_commit_callbacks):
    project = new_project()
    land = _stage1_accepted(project)
    pre = services.request_pre_approval(u("clerk"), project, item=_planning_item(project), prerequisite=land, accept=True,
                                        missing="建设用地规划许可证(审查中)", materials=form(project, 2), on=D(2025, 3, 4))
    assert pre.case.project_link.stage == Stage.ENGINEERING and pre.state == PreApproval.State.REVIEWING
    _review_planning(pre.case, D(2025, 3, 5))
    engine.decide(u("leader"), pre.case, approve=True, note="出具预审批文件", on=D(2025, 3, 6))
    pre.refresh_from_db()
    assert pre.state == PreApproval.State.ISSUED and pre.issued_on == D(2025, 3, 6) and pre.formal_on is None
    review(land, "review_plan", "reviewer_plan", D(2025, 3, 7))
    engine.decide(u("leader"), land, approve=True, note="符合", on=D(2025, 3, 10))
    pre.refresh_from_db()
    assert pre.state == PreApproval.State.FORMAL and pre.formal_on == D(2025, 3, 10)


def test_an_issued_pre_approval_is_accepted_as_input_to_the_next_pre_approval_and_both_convert(city):
    project = new_project()
    land = _stage1_accepted(project)
    first = services.request_pre_approval(u("clerk"), project, item=_planning_item(project), prerequisite=land, accept=True,
                                          missing="建设用地规划许可证", materials=form(project, 2), on=D(2025, 3, 4))
    fire_item = next(i for i in services.stage_items(project, 2) if i.versions.first().name == "消防设计审查")
    with pytest.raises(Conflict) as e:  # no pre-approval document yet: nothing to rest on
        services.request_pre_approval(u("clerk"), project, item=fire_item, prerequisite=first.case, missing="x",
                                      materials=form(project, 2), on=D(2025, 3, 4))
    assert e.value.code == "pre_basis_not_issued"
    _review_planning(first.case, D(2025, 3, 5))
    engine.decide(u("leader"), first.case, approve=True, note="预审批", on=D(2025, 3, 6))
    second = services.request_pre_approval(u("clerk"), project, item=fire_item, prerequisite=first.case, accept=True,
                                           missing="建设工程规划许可证(预审批)", materials=form(project, 2), on=D(2025, 3, 7))
    assert second.basis == PreApproval.objects.get(pk=first.pk)  # the earlier pre-approval document is its input
    joint(second.case, "joint_drawings", D(2025, 3, 10))
    engine.decide(u("leader"), second.case, approve=True, note="预审批", on=D(2025, 3, 11))
    second.refresh_from_db()
    assert second.state == PreApproval.State.ISSUED
    review(land, "review_plan", "reviewer_plan", D(2025, 3, 11))
    engine.decide(u("leader"), land, approve=True, note="符合", on=D(2025, 3, 12))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (PreApproval.State.FORMAL, PreApproval.State.FORMAL)
    assert second.formal_on == D(2025, 3, 12)


def test_a_pre_approval_lapses_when_its_prerequisite_is_denied_and_none_is_given_on_an_approved_case(city):
    project = new_project()
    land = _stage1_accepted(project)
    pre = services.request_pre_approval(u("clerk"), project, item=_planning_item(project), prerequisite=land, accept=True,
                                        missing="建设用地规划许可证", materials=form(project, 2), on=D(2025, 3, 4))
    review(land, "review_plan", "reviewer_plan", D(2025, 3, 5))
    engine.decide(u("leader"), land, approve=False, note="用地位置与规划条件不一致", on=D(2025, 3, 6))
    pre.refresh_from_db()
    assert pre.state == PreApproval.State.VOID
    siting = case_of(project, "建设项目用地预审与选址意见书核发")
    review(siting, "review_plan", "reviewer_plan", D(2025, 3, 5))
    engine.decide(u("leader"), siting, approve=True, note="符合", on=D(2025, 3, 6))
    fire_item = next(i for i in services.stage_items(project, 2) if i.versions.first().name == "消防设计审查")
    with pytest.raises(Conflict) as e:
        services.request_pre_approval(u("clerk"), project, item=fire_item, prerequisite=siting, missing="x", on=D(2025, 3, 7))
    assert e.value.code == "pre_not_needed"


# ---- forecast ----

def test_the_forecast_moves_when_a_case_is_paused_for_correction_and_back_when_it_resumes(city, django_capture_on_commit_callbacks):
    project = new_project()
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), accept=True, on=MON)
    project.refresh_from_db()
    before = project.forecast_end
    result = forecast.compute(project, MON)
    assert before == result["end"]
    # the critical item of stage 1 is the siting review (6 days), then the leader (2): 8 working days after MON
    stage1 = result["stages"][0]
    assert stage1["end"] == days.add_working_days(MON, 8).date
    assert [c["step"] for c in result["critical_path"][:2]] == ["用地预审与选址审查", "审批决定"]
    siting = case_of(project, "建设项目用地预审与选址意见书核发")
    with django_capture_on_commit_callbacks(execute=True):
        review(siting, "review_plan", "reviewer_plan", D(2025, 3, 4), opinion="return", text="请补充勘测定界图")
    project.refresh_from_db()
    assert project.forecast_end > before  # paused: the applicant is expected back after the correction allowance
    moved = project.forecast_points.order_by("-id").first()
    assert "退回补正" in moved.cause and moved.end == project.forecast_end
    later = forecast.compute(project, D(2025, 3, 20))["end"]  # the pause lasts beyond the allowance: it moves further
    assert later > project.forecast_end
    m = siting.item_version.materials.order_by("order").first()
    with django_capture_on_commit_callbacks(execute=True):
        intake.supply_materials(u("clerk"), siting, supplied=[{"material": m.pk, "status": "provided"}], on=D(2025, 3, 5))
    project.refresh_from_db()
    assert project.forecast_end < moved.end and "补正完成" in project.forecast_points.order_by("-id").first().cause


def test_the_plan_and_actual_rows_are_per_stage_and_department(city):
    project = new_project()
    services.apply_stage(u("clerk"), project, 1, materials=form(project, 1), accept=True, on=MON)
    result = forecast.compute(project, MON)
    labels = [r["label"] for r in result["rows"]]
    assert "立项用地规划许可 · 济宁市自然资源和规划局" in labels and "竣工验收 · 济宁市消防救援支队" in labels  # the joint acceptance on each member's row
    data = forecast.gantt_data(result)
    assert data["today"] == "2025-03-03" and all(r["plan"] for r in data["rows"])
    assert result["plan_end"] <= result["end"]


# ---- joint acceptance ----

def test_joint_acceptance_is_one_step_answered_by_each_department(city):
    project = new_project()
    from tongban.projects.models import Project

    Project.objects.filter(pk=project.pk).update(stage=Stage.ACCEPTANCE)
    project.refresh_from_db()
    services.apply_stage(u("clerk"), project, 4, materials=form(project, 4), on=MON)
    acceptance = case_of(project, "特殊建设工程消防验收")
    intake.accept_case(u("clerk"), acceptance, on=MON)
    cs = CaseStep.objects.get(case=acceptance, step__code="joint_acceptance")
    assert cs.step.name == "联合验收" and cs.step.joint_departments.count() == 3 and cs.state == CaseStep.State.READY
    grant = RoleGrant.objects.filter(user=u("reviewer_fire"), role="reviewer").first()
    engine.joint_opinion(u("reviewer_fire"), cs, grant.department, opinion="agree", on=D(2025, 3, 5))
    cs.refresh_from_db()
    assert cs.state == CaseStep.State.READY  # waits for the other departments
    joint(acceptance, "joint_acceptance", D(2025, 3, 6))
    cs.refresh_from_db()
    assert cs.state == CaseStep.State.DONE and cs.opinion == "agree"


# ---- agency 0+N ----

CITY_OFFICE, QF_OFFICE, WS_OFFICE = (o[1] for o in projects_demo.OFFICES)


def _agreed(project):
    req = agency.request_agency(u("agent"), project, office=AgencyOffice.objects.get(name=CITY_OFFICE), contact_name="颜丙涛",
                                contact_phone="13905378821", on=MON)
    items = [si.item for si in services.StageItem.objects.select_related("item")]
    team = [(u("agent_mgr"), TeamRole.MANAGER), (u("agent_guide"), TeamRole.GUIDE), (u("agent"), TeamRole.AGENT),
            (u("agent_policy"), TeamRole.POLICY), (u("agent_super"), TeamRole.SUPERVISOR)]
    agency.sign_agreement(u("agent_mgr"), req, items=items, team=team, agent_id_number=make_id_card("370811", D(1986, 4, 12), 31),
                          rights_duties="无偿代办;企业对材料真实性负责", on=MON)
    req.refresh_from_db()
    return req


def test_agency_needs_a_major_project_and_an_agreement_with_the_team_roles(city):
    minor = new_project(major=False)
    with pytest.raises(DomainError) as e:
        agency.request_agency(u("agent"), minor, office=AgencyOffice.objects.get(name=CITY_OFFICE), contact_name="颜丙涛",
                              contact_phone="13905378821", on=MON)
    assert e.value.code == "agency_major"
    project = new_project(code=make_project_code("370881", D(2025, 2, 10), 31208))
    req = agency.request_agency(u("agent"), project, office=AgencyOffice.objects.get(name=CITY_OFFICE), contact_name="颜丙涛",
                                contact_phone="13905378821", on=MON)
    with pytest.raises(DomainError) as e:
        agency.sign_agreement(u("agent_mgr"), req, items=[si.item for si in services.StageItem.objects.all()],
                              team=[(u("agent_guide"), TeamRole.GUIDE)], agent_id_number=make_id_card("370811", D(1986, 4, 12), 31),
                              rights_duties="x", on=MON)
    assert e.value.code == "team_roles" and "总体工作管理员" in e.value.message
    with pytest.raises(NotAllowed):  # the county's agent is not the receiving office's
        agency.sign_agreement(u("agent_qf"), req, items=[], team=[], agent_id_number="", rights_duties="x", on=MON)
    req = _agreed_existing(req)
    assert req.state == "agreed" and req.team.count() == 5 and req.agreement.mandate.agent_user == u("agent")


def _agreed_existing(req):
    team = [(u("agent_mgr"), TeamRole.MANAGER), (u("agent"), TeamRole.AGENT)]
    agency.sign_agreement(u("agent_mgr"), req, items=[si.item for si in services.StageItem.objects.all()], team=team + [
        (u("agent_guide"), TeamRole.GUIDE), (u("agent_policy"), TeamRole.POLICY), (u("agent_super"), TeamRole.SUPERVISOR)],
        agent_id_number=make_id_card("370811", D(1986, 4, 12), 31), rights_duties="无偿代办", on=MON)
    req.refresh_from_db()
    return req


def test_a_hand_off_to_the_county_office_is_seen_by_both_offices_and_not_by_another_county(city):
    project = new_project()
    req = _agreed(project)
    from tongban.projects.selectors import visible_projects

    assert not visible_projects(u("agent_wenshang")).filter(pk=project.pk).exists()
    county_item = next(i for i in req.agreement.items.all() if i.region.code == "370881")
    city_item = next(i for i in req.agreement.items.all() if i.region.code == "370800")
    qf = AgencyOffice.objects.get(name=QF_OFFICE)
    with pytest.raises(DomainError) as e:
        agency.hand_off(u("agent"), req, to_office=qf, items=[city_item], materials="x", method="upload", on=MON)
    assert e.value.code == "handoff_item_level"
    with pytest.raises(NotAllowed):
        agency.hand_off(u("agent_qf"), req, to_office=qf, items=[county_item], materials="x", method="upload", on=MON)
    h = agency.hand_off(u("agent"), req, to_office=qf, items=[county_item], materials="竣工验收报告(电子件)", method="upload", on=MON)
    assert h.liaison.user == u("agent_qf") and h.liaison.kind == "chief_liaison"
    assert agency.visible_requests(u("agent_qf")).filter(pk=req.pk).exists()
    assert agency.visible_requests(u("agent")).filter(pk=req.pk).exists()
    assert not agency.visible_requests(u("agent_wenshang")).filter(pk=req.pk).exists()
    with pytest.raises(NotAllowed):
        agency.receive_handoff(u("agent_wenshang"), h, on=MON)
    agency.receive_handoff(u("agent_qf"), h, on=D(2025, 3, 4))
    assert [e.kind for e in req.ledger.all()] == ["handoff", "handoff"]


def test_the_meeting_gives_one_roadmap_of_dated_nodes_in_order_reached_by_the_approvals(city):
    project = new_project()
    req = _agreed(project)
    depts = list(project.region.parent.departments.filter(function__in=["approval", "natural_resources", "ecology"]))
    items = services.stage_items(project, 1)
    nodes = [{"title": str(i), "stage": 1, "item": i, "planned_on": D(2025, 3, 14)} for i in items]
    with pytest.raises(DomainError) as e:
        agency.hold_meeting(u("agent_mgr"), req, held_on=MON, place="会商室", departments=depts, minutes="一次性告知",
                            nodes=[{"title": "施工许可", "stage": 3, "planned_on": D(2025, 4, 1)}, *nodes], on=MON)
    assert e.value.code == "node_order"
    with pytest.raises(DomainError) as e:
        agency.hold_meeting(u("agent_mgr"), req, held_on=MON, place="会商室", departments=depts, minutes="一次性告知",
                            nodes=[{**nodes[0], "planned_on": D(2025, 2, 28)}], on=MON)
    assert e.value.code == "node_date"
    agency.hold_meeting(u("agent_mgr"), req, held_on=MON, place="会商室", departments=depts, minutes="一次性告知", nodes=nodes, on=MON)
    req.refresh_from_db()
    assert req.state == "roadmap" and [n.order for n in req.nodes.all()] == [1, 2, 3]
    services.apply_stage(u("agent"), project, 1, materials=form(project, 1), on=MON)
    land = case_of(project, "建设用地规划许可证核发")
    intake.accept_case(u("clerk"), land, on=MON)
    review(land, "review_plan", "reviewer_plan", D(2025, 3, 5))
    engine.decide(u("leader"), land, approve=True, note="符合", on=D(2025, 3, 6))
    node = req.nodes.get(item=land.item)
    assert node.done_on == D(2025, 3, 6) and node.on_time is True
    assert req.ledger.filter(kind="node", node=node).exists()


def test_ledger_statistics_and_excel_export(city):
    from openpyxl import load_workbook

    project = new_project()
    req = _agreed(project)
    agency.log_contact(u("agent"), req, kind="visit", note="上门指导填写一张表单", on=MON)
    agency.log_contact(u("agent"), req, kind="call", note="电话告知补正内容", on=MON)
    with pytest.raises(DomainError):
        agency.log_contact(u("agent"), req, kind="handoff", note="x", on=MON)
    with pytest.raises(NotAllowed):
        agency.log_contact(u("agent_wenshang"), req, kind="visit", note="x", on=MON)
    stats = agency.statistics(u("supervisor"), MON)
    city_row = next(r for r in stats["offices"] if r["office"] == CITY_OFFICE)
    assert (city_row["projects"], city_row["visits"], city_row["calls"]) == (1, 1, 1)
    agent_row = next(r for r in stats["agents"] if r["agent"] == str(u("agent")))
    assert agent_row["projects"] == 1 and agent_row["visits"] == 1
    wb = load_workbook(io.BytesIO(agency.statistics_xlsx(stats)))
    assert wb.sheetnames == ["按机构", "按帮代办员", "说明"]
    rows = list(wb["按机构"].values)
    assert rows[0][0] == "帮代办机构" and rows[1][0] == CITY_OFFICE and rows[1][2] == 1


def test_the_enterprise_progress_page_needs_its_token_and_shows_zero_visits(city, client):
    project = new_project()
    req = _agreed(project)
    assert client.get("/projects/progress/" + "x" * 43 + "/").status_code == 404
    page = client.get(f"/projects/progress/{req.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert project.name in html and 'id="enterprise-visits">0<' in html and "颜丙涛" not in html


def test_the_enterprise_sees_its_projects_on_its_own_page(city, client):
    """一企一页: the legal representative's portal account lists the enterprise's project with its stage and the
    agency service's progress page; another enterprise's page does not."""
    from tongban.cases.models import RegistryEntity, RegistryPerson
    from tongban.portal import services as portal

    project = new_project()
    req = _agreed(project)
    owner = project.owner
    boss = make_id_card("370881", D(1972, 5, 18), 15)
    RegistryPerson.objects.create(id_number=boss, name="孔繁荣")
    RegistryEntity.objects.filter(credit_code=owner.id_number).delete()
    RegistryEntity.objects.create(credit_code=owner.id_number, name=owner.name, legal_rep="孔繁荣")
    user = portal.register_person(id_number=boss, name="孔繁荣", phone="13905371111", password="曲阜圣源-2025-春秋西路")
    client.force_login(user)
    r = client.post("/my/", {"action": "enterprise", "credit_code": owner.id_number, "name": owner.name})
    assert r.status_code == 302 and "企业已绑定" in client.get("/my/").content.decode()
    html = client.get(f"/my/enterprises/{owner.id_number}/").content.decode()
    panel = html.split('id="ent-projects"')[1].split("</div></div>")[0]
    assert project.name in panel and project.code in panel and "立项用地规划许可" in panel
    assert f"/projects/progress/{req.token}/" in panel

    other = firm(45000123, "曲阜市孔府印阁文化传媒有限公司")
    rep = make_id_card("370881", D(1980, 2, 2), 27)
    RegistryPerson.objects.create(id_number=rep, name="颜景伟")
    RegistryEntity.objects.create(credit_code=other.id_number, name=other.name, legal_rep="颜景伟")
    client.force_login(portal.register_person(id_number=rep, name="颜景伟", phone="13905372222", password="孔府印阁-2025-鼓楼北街"))
    client.post("/my/", {"action": "enterprise", "credit_code": other.id_number, "name": other.name})
    html = client.get(f"/my/enterprises/{other.id_number}/").content.decode()
    assert project.name not in html and req.token not in html
    assert client.get(f"/my/enterprises/{owner.id_number}/").status_code == 404
