"""Demo processes and back-office staff: 食品经营许可 (one department), 建设工程规划许可证核发 (fire, planning and
environment in parallel, then a joint inspection), 民办幼儿园设立 in the counties (education, fire, health)."""

import datetime as dt

from django.utils import timezone

from tongban.catalog.models import ItemVersion
from tongban.org.models import Department, Region, Role, RoleGrant, User
from tongban.org.demo import DEMO_PASSWORD

from . import definitions
from .models import Process

REVIEWERS = [  # username, name, region, department function
    ("reviewer_plan", "颜廷玉", "370800", "natural_resources"),
    ("reviewer_env", "孟庆华", "370800", "ecology"),
    ("reviewer_qf_edu", "孔令伟", "370881", "education"),
    ("reviewer_qf_fire", "曾宪波", "370881", "fire"),
    ("reviewer_qf_health", "颜世英", "370881", "health"),
    ("leader_qf", "孔德明", "370881", "approval"),
    ("leader_plan", "仲维东", "370800", "natural_resources"),  # head of the planning bureau: sees its red steps
]


def _staff():
    out = []
    for username, name, region, function in REVIEWERS:
        dept = Department.objects.get(region__code=region, function=function)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name, is_staff=False)
            user.set_password(DEMO_PASSWORD)
            user.save()
        role = Role.BUREAU_LEADER if username.startswith("leader") else Role.REVIEWER
        RoleGrant.objects.get_or_create(user=user, role=role, region=dept.region, department=dept)
        out.append((username, name, f"{Role(role).label}({dept.name})"))
    return out


def _step(code, name, kind, dept, after, days, **kw):
    return {"code": code, "name": name, "kind": kind, "department": dept, "after": after, "budget_workdays": days, **kw}


def load_processes(actor) -> list[tuple[str, str, str]]:
    accounts = _staff()
    if Process.objects.exists():
        return accounts
    since = timezone.localdate() - dt.timedelta(days=60)
    city = Region.objects.get(code="370800")

    def dept(region, function):
        return Department.objects.get(region=region, function=function)

    food = ItemVersion.objects.effective().filter(name="食品经营许可", item__region=city).first()
    if food:
        bureau = dept(city, "approval")
        definitions.publish_process(actor, definitions.define(actor, food.item, [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review", "材料审查", "review", bureau, ["accept"], 1,
                  review_points=[r.point for r in food.review_points.all()] or ["经营场所与食品安全管理制度是否符合要求"]),
            _step("decide", "审批决定", "decision", bureau, ["review"], 1, role=Role.BUREAU_LEADER),
        ]), valid_from=since)
    planning = ItemVersion.objects.effective().filter(name="建设工程规划许可证核发", item__region=city).first()
    if planning:
        bureau, fire, plan, env = (dept(city, f) for f in ("approval", "fire", "natural_resources", "ecology"))
        definitions.publish_process(actor, definitions.define(actor, planning.item, [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review_fire", "消防审查", "review", fire, ["accept"], 2, review_points=["消防车道、登高操作场地是否符合规范"]),
            _step("review_plan", "规划审查", "review", plan, ["accept"], 2, is_lead=True,
                  review_points=["建筑退让、容积率、建筑密度是否符合控制性详细规划"]),
            _step("review_env", "环保审查", "review", env, ["accept"], 2, review_points=["是否已完成环境影响评价手续"]),
            _step("joint", "联合踏勘", "joint_inspection", bureau, ["review_fire", "review_plan", "review_env"], 1,
                  joint_departments=[fire, plan, env]),
            _step("decide", "审批决定", "decision", bureau, ["joint"], 1, role=Role.BUREAU_LEADER),
        ]), valid_from=since)
    for county in Region.objects.filter(code__in=["370881", "370830"]):
        kg = ItemVersion.objects.effective().filter(name="民办幼儿园设立", item__region=county).first()
        if kg is None:
            continue
        bureau, edu, fire, health = (dept(county, f) for f in ("approval", "education", "fire", "health"))
        definitions.publish_process(actor, definitions.define(actor, kg.item, [
            _step("accept", "受理", "accept", bureau, [], 1),
            _step("review_edu", "办学条件审查", "review", edu, ["accept"], 5, is_lead=True, review_points=["园舍、师资、保教设施是否达到办园标准"]),
            _step("review_fire", "消防安全检查", "review", fire, ["accept"], 5, review_points=["消防设施与疏散通道是否符合要求"]),
            _step("review_health", "卫生保健评价", "review", health, ["accept"], 5, review_points=["卫生保健设施与人员是否符合要求"]),
            _step("decide", "审批决定", "decision", bureau, ["review_edu", "review_fire", "review_health"], 2, role=Role.BUREAU_LEADER),
        ]), valid_from=since)
    return accounts


def load_back_office_cases() -> int:
    """Planning and kindergarten cases at every back-office stage (needs load_processes and the intake demo).
    Each item's cases are made once; acceptance is back-dated on the working-day calendar, so the lights the
    scan gives (yellow, red) are the honest result of the dates, not set by hand."""
    from tongban.workcal.scan import scan_lights

    made = _planning_cases() + _kindergarten_cases() + _food_gap_case()
    if made:
        scan_lights()
    return made


def _firms(clerk, county: str, serial: int, names: list[str]):
    from tongban.cases import services as intake
    from tongban.core.identifiers import make_uscc

    return [intake.register_applicant(clerk, kind="org", id_number=make_uscc(county, serial + i, authority="9", kind="1"), name=n)
            for i, n in enumerate(names)]


def _accepted(clerk, version, firm, ago: int):
    """A case submitted complete and accepted `ago` working days ago: the engine opens its first steps that day."""
    from tongban.cases import services as intake
    from tongban.cases.demo import all_materials, working_days_ago

    on = working_days_ago(ago)
    case = intake.submit_case(clerk, applicant=firm, item=version.item, materials=all_materials(version), on=on)
    return intake.accept_case(clerk, case, on=on)


def _review(case, code, user, ago: int | None = None, opinion="agree", text="", finish=True):
    """`user` claims the step and, if `finish`, answers every review point and gives the opinion `ago` working days ago."""
    from tongban.cases.demo import working_days_ago

    from . import engine
    from .models import CaseStep

    cs = engine.claim(user, CaseStep.objects.get(case=case, step__code=code))
    if finish:
        answers = [{"point": p, "answer": "符合" if opinion == "agree" else "不符合", "note": "" if opinion == "agree" else text}
                   for p in cs.step.review_points]
        materials = [{"material": case.item_version.materials.order_by("order").first().pk, "status": "defective", "reason": text}] \
            if opinion == "return" else []
        engine.complete(user, cs, opinion=opinion, text=text, answers=answers, materials=materials, on=working_days_ago(ago))


def _planning_cases() -> int:
    from tongban.cases.models import Case

    from . import engine, oversight
    from .models import CaseStep

    city = Region.objects.get(code="370800")
    planning = ItemVersion.objects.effective().filter(name="建设工程规划许可证核发", item__region=city).first()
    if planning is None or Case.objects.filter(item_version=planning).exists():
        return 0
    from tongban.cases.demo import working_days_ago

    clerk = User.objects.get(username="clerk")
    users = {u.username: u for u in User.objects.filter(username__in=["reviewer_fire", "reviewer_plan", "reviewer_env"])}
    firms = _firms(clerk, "370811", 30000000, ["济宁城投置业有限公司", "济宁市太白湖新区建设发展有限公司", "山东圣城建设集团有限公司",
                                               "济宁高新控股集团有限公司"])
    _accepted(clerk, planning, firms[0], 1)  # all three branches open
    case = _accepted(clerk, planning, firms[1], 3)  # fire and environment done; the lead branch (planning) is late
    _review(case, "review_fire", users["reviewer_fire"], 3)
    _review(case, "review_env", users["reviewer_env"], 3)
    case = _accepted(clerk, planning, firms[2], 4)  # all reviews and the joint inspection done: waiting for the leader
    for code, user in [("review_fire", "reviewer_fire"), ("review_plan", "reviewer_plan"), ("review_env", "reviewer_env")]:
        _review(case, code, users[user], 4)
    joint = CaseStep.objects.get(case=case, step__code="joint")
    for user in ("reviewer_fire", "reviewer_plan", "reviewer_env"):
        grant = RoleGrant.objects.get(user=users[user], role=Role.REVIEWER)
        engine.joint_opinion(users[user], joint, grant.department, opinion="agree", on=working_days_ago(4))
    case = _accepted(clerk, planning, firms[3], 2)  # planning returned for correction: the clocks stand still
    _review(case, "review_plan", users["reviewer_plan"], 2, opinion="return", text="请补充建筑退让道路红线的尺寸标注")
    # the lead department (planning) chases the fire review, due today
    oversight.chase(users["reviewer_plan"], CaseStep.objects.get(case=case, step__code="review_fire"), note="消防审查今日到期,请抓紧出具意见")
    return 4


KINDERGARTEN_FIRMS = ["曲阜市杏坛教育咨询有限公司", "曲阜市明德教育投资有限公司", "曲阜市尼山文化教育发展有限公司", "山东孔府教育科技有限公司",
                      "曲阜市六艺教育科技有限公司", "曲阜市春秋学堂教育咨询有限公司", "曲阜市阳光宝贝教育咨询有限公司"]


def _kindergarten_cases() -> int:
    """民办幼儿园设立 in 曲阜市: education, fire and health review in parallel (5 working days each), then the
    bureau leader decides (2 days). One case per stage, accepted so many working days ago that the lights follow."""
    from tongban.cases.demo import working_days_ago
    from tongban.cases.models import Case

    from . import engine

    county = Region.objects.get(code="370881")
    kg = ItemVersion.objects.effective().filter(name="民办幼儿园设立", item__region=county).first()
    if kg is None or not kg.item.processes.exists() or Case.objects.filter(item_version__item=kg.item).exists():
        return 0
    clerk = User.objects.get(username="clerk_qf")
    staff = ("reviewer_qf_edu", "reviewer_qf_fire", "reviewer_qf_health", "leader_qf")
    edu, fire, health, leader = (User.objects.get(username=u) for u in staff)
    firms = _firms(clerk, "370881", 31000000, KINDERGARTEN_FIRMS)
    _accepted(clerk, kg, firms[0], 1)  # just accepted: the three reviews wait in their departments' queues (green)
    case = _accepted(clerk, kg, firms[1], 3)  # education has claimed its branch; 2 of 5 days left: yellow
    _review(case, "review_edu", edu, finish=False)
    case = _accepted(clerk, kg, firms[2], 7)  # fire finished in two days; education and health are overdue: red
    _review(case, "review_fire", fire, 5)
    case = _accepted(clerk, kg, firms[3], 3)  # health returned it for correction: case and step clocks stand still
    _review(case, "review_health", health, 2, opinion="return", text="请补充托幼机构卫生评价报告原件及保健室平面图")
    case = _accepted(clerk, kg, firms[4], 4)  # every branch agreed yesterday: waiting for the leader (2-day budget, yellow)
    for code, user in (("review_edu", edu), ("review_fire", fire), ("review_health", health)):
        _review(case, code, user, 1)
    case = _accepted(clerk, kg, firms[5], 7)  # health disagrees; the leader has let the decision run late: red
    _review(case, "review_edu", edu, 5)
    _review(case, "review_fire", fire, 4)
    _review(case, "review_health", health, 4, opinion="disagree",
            text="保健室与隔离室合用,面积不足《托儿所幼儿园卫生保健管理办法》要求")
    case = _accepted(clerk, kg, firms[6], 9)  # decided: approval sealed with 曲阜市行政审批服务局's key
    for code, user in (("review_edu", edu), ("review_fire", fire), ("review_health", health)):
        _review(case, code, user, 6)
    engine.decide(leader, case, approve=True, note="办学条件、消防安全、卫生保健均符合要求", on=working_days_ago(5))
    return len(KINDERGARTEN_FIRMS)


def _food_gap_case() -> int:
    """The intake demo's 容缺 case of 食品经营许可 goes through its process: reviewed, decided and sealed two
    working days after acceptance; the result waits for the missing material before delivery."""
    from tongban.cases.demo import working_days_ago
    from tongban.cases.models import Case

    from . import engine
    from .models import CaseStep

    case = Case.objects.filter(item_version__name="食品经营许可", gap_open=True, state="accepted", back_office=True).order_by("id").first()
    if case is None:
        return 0
    reviewer, leader = User.objects.get(username="reviewer"), User.objects.get(username="leader")
    review = CaseStep.objects.filter(case=case, step__code="review", state=CaseStep.State.READY).first()
    if review is None:
        return 0
    _review(case, "review", reviewer, 3)
    engine.decide(leader, case, approve=True, note="经营场所与食品安全管理制度符合要求", on=working_days_ago(3))
    return 0
