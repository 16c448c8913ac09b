"""The demo project's life, act by act, back-dated in working days (W(n) = n working days ago).

W34 registered with its code, agency requested · W33 agreement and team · W32 joint pre-review meeting and
roadmap · W31 hand-off of the county's filing to 曲阜市's office (received W30) · W30 stage 1 (three cases
in parallel) · W29 pre-approval of the engineering planning permit while the land-use planning permit is in
review · W27 the EIA is returned for correction (the forecast moves) · W25 the pre-approval is issued ·
W23 the land-use planning permit is approved and the pre-approval becomes formal · W21 stage 1 done; stage 2
(joint drawing review) · W15 stage 3 · W14 stage 4 (joint acceptance) · W9 the project is through."""

import datetime as dt

from tongban.cases import services as intake
from tongban.cases.demo import working_days_ago as W
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.org.models import Department, RoleGrant, User
from tongban.workflow import engine
from tongban.workflow.models import CaseStep

from . import agency, services
from .codes import make_project_code
from .demo import FIRM, OFFICES, PROJECT
from .models import AgencyOffice, LedgerEntry, Stage, TeamRole


def _u(name):
    return User.objects.get(username=name)


def _case(project, item_name):
    return next(link.case for link in project.links.select_related("case__item_version") if link.case.title == item_name)


def _review(case, code, username, on, opinion="agree", text=""):
    user = _u(username)
    cs = CaseStep.objects.get(case=case, step__code=code)
    if cs.state == CaseStep.State.READY:  # after a correction the step is back with its claimant
        cs = engine.claim(user, cs)
    answers = [{"point": p, "answer": "符合"} for p in cs.step.review_points]
    materials = []
    if opinion == "return":
        m = case.item_version.materials.order_by("order").first()
        materials = [{"material": m.pk, "status": "defective", "reason": text}]
        answers = []
    engine.complete(user, cs, opinion=opinion, text=text, answers=answers, materials=materials, on=on)


def _joint(case, code, usernames, on, place):
    cs = CaseStep.objects.get(case=case, step__code=code)
    for username in usernames:
        user = _u(username)
        grant = RoleGrant.objects.filter(user=user, role="reviewer").select_related("department").first()
        engine.joint_opinion(user, cs, grant.department, opinion="agree", text="", inspected_on=on, place=place,
                             participants="建设单位、设计单位、施工单位、监理单位及各审查部门人员", on=on)


def _accept_all(clerk, project, stage, on):
    """The window accepts what the agent submitted (the enterprise does not come: 0 visits)."""
    for link in project.links.filter(stage=stage, case__state="received").select_related("case"):
        intake.accept_case(clerk, link.case, on=on)


def _form(project, stage):
    return [{"material": m["id"], "status": "provided"} for m in services.merged_materials(project, stage)]


def run() -> int:
    clerk, leader, agent = _u("clerk"), _u("leader"), _u("agent")
    owner = intake.register_applicant(clerk, kind="org", id_number=make_uscc(FIRM[1], FIRM[2], authority="9", kind="1"),
                                      name=FIRM[0], phone="0537-4421866", address=PROJECT["site"], legal_rep=FIRM[3])
    code = make_project_code("370881", W(34), 31207, industry="04", kind="03")
    project = services.register_project(agent, code=code, owner=owner, on=W(34), **PROJECT)
    city_office = AgencyOffice.objects.get(name=OFFICES[0][1])
    county_office = AgencyOffice.objects.get(name=OFFICES[1][1])
    req = agency.request_agency(agent, project, office=city_office, contact_name="颜丙涛", contact_phone="13905378821",
                                note="项目列入2026年省重点项目,申请从立项用地规划许可到竣工验收全程帮代办", on=W(34))
    items = [si.item for si in services.StageItem.objects.filter(item__region__code__in=["370800", "370881"]).select_related("item")]
    team = [(_u("agent_mgr"), TeamRole.MANAGER), (_u("agent_guide"), TeamRole.GUIDE), (agent, TeamRole.AGENT),
            (_u("agent_policy"), TeamRole.POLICY), (_u("agent_super"), TeamRole.SUPERVISOR)]
    agency.sign_agreement(_u("agent_mgr"), req, items=items, team=team, agent_id_number=make_id_card("370811", dt.date(1986, 4, 12), 31),
                          rights_duties="服务中心无偿提供项目全生命周期审批服务事项的咨询、指导、代为申报和跟踪督办;"
                                        "项目单位对所提交材料的真实性负责,按路线图及时提供材料并签收证照。", on=W(33))
    req.refresh_from_db()
    county_item = next(i for i in items if i.region.code == "370881")
    agency.hand_off(agent, req, to_office=county_office, items=[county_item], method="upload",
                    materials="竣工验收报告、消防设施检测报告(电子件,经帮代办平台上传)", on=W(31))
    agency.receive_handoff(_u("agent_qf"), req.handoffs.get(), on=W(30))
    city = project.region.parent
    depts = list(Department.objects.filter(region=city, function__in=["approval", "natural_resources", "ecology", "fire", "housing"]))
    plan = []
    offsets = {1: [22, 26, 23], 2: [19, 17], 3: [14], 4: [9, 9, 9]}
    for stage in Stage:
        for item, days_ahead in zip(services.stage_items(project, stage.value), offsets[stage.value]):
            plan.append({"title": item.versions.order_by('-number').first().name, "stage": stage.value, "item": item,
                         "department": item.department, "office": county_office if item.pk == county_item.pk else city_office,
                         "planned_on": W(days_ahead)})
    agency.hold_meeting(_u("agent_mgr"), req, held_on=W(32), place="济宁市为民服务中心三楼会商室", departments=depts, nodes=plan,
                        minutes="市审批服务局牵头,自然资源和规划、生态环境、住建、消防等部门参加,运用“开工直通车”模式一次性告知"
                                "项目需办理的审批事项及流程;建设工程规划许可可在建设用地规划许可审查期间申请预审批。", on=W(32))
    for kind, note, ago in ((LedgerEntry.Kind.VISIT, "上门了解项目建设计划,指导填写立项用地规划许可阶段一张表单", 33),
                            (LedgerEntry.Kind.DOC_IN, "上门收取立项用地规划许可阶段申报材料(原件核验后退还)", 31),
                            (LedgerEntry.Kind.CALL, "电话告知环评报告表需补正的内容", 27),
                            (LedgerEntry.Kind.VISIT, "上门收取环评补正材料", 24),
                            (LedgerEntry.Kind.DOC_OUT, "将建设用地规划许可证、环评批复送达企业", 20),
                            (LedgerEntry.Kind.VISIT, "陪同联合验收现场,协调整改事项", 11),
                            (LedgerEntry.Kind.DOC_OUT, "送达消防验收意见书、竣工验收备案证明", 8)):
        agency.log_contact(agent, req, kind=kind, note=note, on=W(ago))

    # stage 1: three items in parallel, accepted at the window at once
    services.apply_stage(agent, project, 1, materials=_form(project, 1), on=W(30),
                         form_data={"项目名称": project.name, "建设规模": "用地约130亩,总建筑面积62400平方米"})
    _accept_all(clerk, project, 1, W(30))
    land_plan = _case(project, "建设用地规划许可证核发")
    siting = _case(project, "建设项目用地预审与选址意见书核发")
    eia = _case(project, "建设项目环境影响报告表审批")
    # pre-approval (提前介入): the engineering planning permit while the land-use planning permit is in review
    planning_item = next(i for i in services.stage_items(project, 2) if i.versions.order_by("-number").first().name == "建设工程规划许可证核发")
    pre = services.request_pre_approval(agent, project, item=planning_item, prerequisite=land_plan, on=W(29),
                                        missing="建设用地规划许可证(审查中)", materials=_form(project, 2))
    _accept_all(clerk, project, 2, W(29))
    _review(eia, "review_env", "reviewer_env", W(27), opinion="return", text="请补充废气收集处理设施的设计参数和排放口位置图")
    _review(pre.case, "review_fire", "reviewer_fire", W(27))
    _review(pre.case, "review_plan", "reviewer_plan", W(27))
    _review(pre.case, "review_env", "reviewer_env", W(27))
    _joint(pre.case, "joint", ["reviewer_fire", "reviewer_plan", "reviewer_env"], W(26), "曲阜市经济开发区项目现场")
    _review(siting, "review_plan", "reviewer_plan", W(26))
    engine.decide(leader, pre.case, approve=True, note="设计方案符合规划条件,出具预审批文件;待取得建设用地规划许可证后换发正式许可", on=W(25))
    _review(land_plan, "review_plan", "reviewer_plan", W(25))
    engine.decide(leader, siting, approve=True, note="选址符合国土空间规划,用地规模符合标准", on=W(24))
    m = eia.item_version.materials.order_by("order").first()
    intake.supply_materials(clerk, eia, supplied=[{"material": m.pk, "status": "provided"}], on=W(24))
    engine.decide(leader, land_plan, approve=True, note="用地位置、面积与规划条件一致", on=W(23))  # the pre-approval becomes formal
    _review(eia, "review_env", "reviewer_env", W(22))
    engine.decide(leader, eia, approve=True, note="污染防治措施可行,同意项目建设", on=W(21))

    # stage 2: the engineering planning permit is already in (pre-approval); the fire design review by joint drawing review
    services.apply_stage(agent, project, 2, materials=_form(project, 2), on=W(21))
    _accept_all(clerk, project, 2, W(21))
    fire_design = _case(project, "消防设计审查")
    _joint(fire_design, "joint_drawings", ["reviewer_fire", "reviewer_housing", "reviewer_plan"], W(19), "多图联审平台(线上)")
    engine.decide(leader, fire_design, approve=True, note="多图联审合格", on=W(18))

    # stage 3
    services.apply_stage(agent, project, 3, materials=_form(project, 3), on=W(17))
    _accept_all(clerk, project, 3, W(17))
    permit = _case(project, "建筑工程施工许可证核发")
    _review(permit, "review_housing", "reviewer_housing", W(16))
    engine.decide(leader, permit, approve=True, note="施工许可条件具备", on=W(15))

    # stage 4: joint acceptance, and the two filings decided on the spot
    services.apply_stage(agent, project, 4, materials=_form(project, 4), on=W(14))
    acceptance = _case(project, "特殊建设工程消防验收")
    intake.accept_case(clerk, acceptance, on=W(14))
    _joint(acceptance, "joint_acceptance", ["reviewer_fire", "reviewer_housing", "reviewer_plan"], W(11), "项目现场")
    engine.decide(leader, acceptance, approve=True, note="联合验收合格", on=W(10))
    for title in ("建设工程竣工验收备案", "建设工程消防验收备案"):
        intake.decide_immediately(clerk, _case(project, title), approve=True, note="备案材料齐全", handover=False, on=W(9))
    return project.links.count()
