"""Demo of investment projects: the stage items and their processes (joint drawing review, joint acceptance),
the agency offices of 济宁市, 曲阜市 and 汶上县 with their chief liaisons and agents, and one major project in
曲阜市 carried through all four stages by the 0+N service, back-dated on the working-day calendar.

Every act goes through the services and the engine, so the history, clocks, pre-approval conversion and the
forecast's moves are the honest result of the dates."""

import datetime as dt

from django.utils import timezone

from tongban.catalog.models import ItemVersion
from tongban.org.demo import DEMO_PASSWORD
from tongban.org.models import Department, Region, Role, RoleGrant, User

from .models import AgencyOffice, Liaison, Project, ProjectKind, StageItem

STAGE_ITEMS = [  # stage, item name, region of the item ("" = the city)
    (1, "建设项目用地预审与选址意见书核发", ""), (1, "建设用地规划许可证核发", ""), (1, "建设项目环境影响报告表审批", ""),
    (2, "建设工程规划许可证核发", ""), (2, "消防设计审查", ""),
    (3, "建筑工程施工许可证核发", ""),
    (4, "特殊建设工程消防验收", ""), (4, "建设工程竣工验收备案", ""), (4, "建设工程消防验收备案", "370881"),
    (4, "建设工程消防验收备案", "370830"),
]
STAFF = [  # username, name, role, region, department function
    ("reviewer_housing", "孔祥军", Role.REVIEWER, "370800", "housing"),
    ("agent_mgr", "颜景昌", Role.AGENT, "370800", None),  # 总体工作管理员
    ("agent_guide", "孟祥宇", Role.AGENT, "370800", None),  # 审批流程指导员
    ("agent_policy", "仲崇玲", Role.AGENT, "370800", None),  # 审批政策宣讲员
    ("agent_super", "端木永胜", Role.AGENT, "370800", None),  # 工作督导员
    ("agent_qf", "孔维娜", Role.AGENT, "370881", None),  # 曲阜市帮代办中心
    ("agent_wenshang", "姬广田", Role.AGENT, "370830", None),
]
OFFICES = [  # region, name, phone, chief liaisons (usernames)
    ("370800", "济宁市重大项目帮办代办服务中心", "0537-2967890", ["agent_mgr", "agent"]),
    ("370881", "曲阜市项目帮办代办服务中心", "0537-4489123", ["agent_qf"]),
    ("370830", "汶上县项目帮办代办服务中心", "0537-7236688", ["agent_wenshang"]),
]
FIRM = ("山东曲阜圣源新材料科技有限公司", "370881", 45000012, "孔繁森")
PROJECT = {
    "name": "年产2万吨高性能复合材料项目", "site": "曲阜市经济开发区春秋西路以南、静轩西路以东", "kind": ProjectKind.INDUSTRIAL,
    "investment": "68000", "land_area": "86667", "floor_area": "62400", "major": True,
}


def _user(username, name, role, region, function):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    reg = Region.objects.get(code=region)
    dept = Department.objects.filter(region=reg, function=function).first() if function else None
    RoleGrant.objects.get_or_create(user=user, role=role, region=reg, department=dept)
    return (username, name, Role(role).label + f"({dept.name if dept else reg.name})")


def _version(name, region):
    return ItemVersion.objects.effective().filter(name=name, item__region__code=region).first()


def _step(code, name, kind, dept, after, days, **kw):
    return {"code": code, "name": name, "kind": kind, "department": dept, "after": after, "budget_workdays": days, **kw}


def _processes(actor, since: dt.date) -> None:
    """Processes for the stage items that have none yet (建设工程规划许可证核发's comes with the workflow demo)."""
    from tongban.workflow import definitions

    city = Region.objects.get(code="370800")
    bureau, plan, env, fire, housing = (Department.objects.get(region=city, function=f)
                                        for f in ("approval", "natural_resources", "ecology", "fire", "housing"))

    def leader_decides(after, days=1):
        return _step("decide", "审批决定", "decision", bureau, after, days, role=Role.BUREAU_LEADER)

    specs = {
        "建设项目用地预审与选址意见书核发": [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review_plan", "用地预审与选址审查", "review", plan, ["accept"], 6, is_lead=True,
                  review_points=["项目选址是否符合国土空间规划及“三区三线”管控要求", "用地规模是否符合土地使用标准"]),
            leader_decides(["review_plan"], 2)],
        "建设用地规划许可证核发": [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review_plan", "规划条件审查", "review", plan, ["accept"], 2, review_points=["用地位置、面积、允许建设范围是否与规划条件一致"]),
            leader_decides(["review_plan"])],
        "建设项目环境影响报告表审批": [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review_env", "环境影响审查", "review", env, ["accept"], 5, review_points=["污染防治措施是否可行,排放是否达标"]),
            leader_decides(["review_env"], 2)],
        "消防设计审查": [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("joint_drawings", "多图联审", "joint_inspection", bureau, ["accept"], 2, joint_departments=[fire, housing, plan]),
            leader_decides(["joint_drawings"])],
        "建筑工程施工许可证核发": [
            _step("accept", "受理", "accept", bureau, [], 0),
            _step("review_housing", "施工条件审查", "review", housing, ["accept"], 1,
                  review_points=["施工、监理单位是否依法确定,施工合同是否签订"]),
            leader_decides(["review_housing"])],
        "特殊建设工程消防验收": [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("joint_acceptance", "联合验收", "joint_inspection", bureau, ["accept"], 4, joint_departments=[fire, housing, plan]),
            leader_decides(["joint_acceptance"])],
    }
    for name, steps in specs.items():
        version = _version(name, "370800")
        if version is None or version.item.processes.exists():
            continue
        definitions.publish_process(actor, definitions.define(actor, version.item, steps), valid_from=since)


def load_setup(actor) -> list[tuple[str, str, str]]:
    """Staff, processes, stage items, offices and liaisons (idempotent)."""
    accounts = [_user(*row) for row in STAFF]
    _processes(actor, timezone.localdate() - dt.timedelta(days=120))
    for order, (stage, name, region) in enumerate(STAGE_ITEMS, start=1):
        version = _version(name, region or "370800")
        if version is not None:
            StageItem.objects.get_or_create(stage=stage, item=version.item, defaults={"order": order})
    for region, name, phone, chiefs in OFFICES:
        office, _ = AgencyOffice.objects.get_or_create(name=name, defaults={"region": Region.objects.get(code=region), "phone": phone})
        for username in chiefs:
            user = User.objects.get(username=username)
            Liaison.objects.get_or_create(office=office, kind=Liaison.Kind.CHIEF_LIAISON, user=user,
                                          defaults={"phone": phone})
    city_office = AgencyOffice.objects.get(name=OFFICES[0][1])
    Liaison.objects.get_or_create(office=city_office, kind=Liaison.Kind.CHIEF_CONTACT, user=User.objects.get(username="agent_guide"),
                                  project_kind=ProjectKind.INDUSTRIAL, defaults={"phone": OFFICES[0][2]})
    return accounts


def load_project() -> int:
    """The demo project through all four stages (once)."""
    if Project.objects.exists():
        return 0
    from .demo_journey import run

    return run()  # act by act, each committed: the forecast is recomputed after each act as of its day
