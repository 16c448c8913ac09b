"""Projects API: the same services the pages call. 404 for unknown and out-of-scope alike."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status

from tongban.cases.models import Case
from tongban.cases.services import register_applicant
from tongban.catalog.models import Item
from tongban.core import tx
from tongban.core.errors import DomainError, NotFound
from tongban.core.schemas import PUBLIC_ERRORS, answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import Department, User

from . import agency, forecast, selectors, services
from .codes import describe, validate_project_code
from .models import AgencyOffice, HandOff, Liaison, ProjectKind, RoadmapNode, Stage

router = Router(auth=STAFF_AUTH)
PAGE = 20


class CodeCheckOut(Schema):
    valid: bool
    code: str
    message: str
    given: str | None = Field(None, description="赋码年月(2020年前为年份)")
    region: str | None = None
    region_name: str | None = None
    type_name: str | None = Field(None, description="项目类型:审批、核准、备案")
    has_check_digit: bool | None = Field(None, description="2020年起的代码末位为 ISO/IEC 7064 MOD 11,10 校验位")


class OwnerIn(Schema):
    id_number: str = Field(..., max_length=40, description="项目单位的统一社会信用代码")
    name: str = Field(..., max_length=120)
    phone: str = Field("", max_length=20)
    legal_rep: str = Field("", max_length=40)


class ProjectIn(Schema):
    code: str = Field(..., max_length=40, description="投资项目统一代码,如 2403-370800-04-01-123457")
    name: str = Field(..., max_length=120)
    owner: OwnerIn
    site: str = Field(..., max_length=200)
    kind: str = Field(..., max_length=20, description="industrial 工业 / warehouse 仓储 / residential 居住 / commercial 商业 / municipal 市政 …")
    investment: Decimal = Field(..., description="总投资(万元)")
    land_area: Decimal = Field(..., description="用地面积(平方米)")
    floor_area: Decimal = Field(..., description="总建筑面积(平方米)")
    major: bool = Field(False, description="列入重大重点项目(可申请0+N帮代办)")


class StageOut(Schema):
    stage: int
    name: str
    state: str = Field(..., description="not_applied 未申报 / open 审批中 / done 已完成")
    state_name: str
    applied_on: dt.date | None
    completed_on: dt.date | None


class PreApprovalOut(Schema):
    state: str = Field(..., description="reviewing 审查中 / issued 已出具预审批文件 / formal 已转为正式审批 / void 失效")
    state_name: str
    prerequisite: str = Field(..., description="前置办件编号")
    missing: str
    issued_on: dt.date | None
    formal_on: dt.date | None


class ProjectCaseOut(Schema):
    number: str = Field(..., description="办件编号(办件接口 /cases/{number} 与 /workflow/cases/{number}/steps 可跟踪)")
    stage: int
    stage_name: str
    item: str
    department: str
    state: str
    state_name: str
    received_on: dt.date
    accepted_on: dt.date | None
    deadline: dt.date | None
    decided_on: dt.date | None
    light: str
    channel: str
    pre_approval: PreApprovalOut | None


class ProjectOut(Schema):
    code: str
    name: str
    owner: str
    owner_credit_code: str = Field(..., description="项目单位统一社会信用代码(部分隐藏)")
    region: str
    site: str
    kind: str
    kind_name: str
    investment: Decimal
    land_area: Decimal
    floor_area: Decimal
    major: bool
    stage: int
    stage_name: str
    completed_on: dt.date | None
    forecast_end: dt.date | None = Field(None, description="预计全部办结日(最近一次计算)")
    stages: list[StageOut]
    cases: list[ProjectCaseOut]


class ProjectRowOut(Schema):
    code: str
    name: str
    owner: str
    stage: int
    stage_name: str
    forecast_end: dt.date | None
    completed_on: dt.date | None


class FormMaterialOut(Schema):
    id: int = Field(..., description="申报时填入 materials[].material")
    name: str
    role: str
    form: str
    items: list[str] = Field(..., description="需要该材料的事项(一张表单:同一材料只交一次)")


class FormItemOut(Schema):
    implementation_code: str
    name: str
    department: str
    level: str = Field(..., description="行使层级:市级、县级……(层级转交按此)")


class StageFormOut(Schema):
    stage: int
    name: str
    items: list[FormItemOut]
    materials: list[FormMaterialOut]


class MaterialIn(Schema):
    material: int = Field(..., ge=1, le=2**31 - 1)
    status: str = Field("provided", max_length=20, description="provided 已收取 / original_seen 已核验原件")


class ApplyIn(Schema):
    materials: list[MaterialIn] = Field([], description="一张表单的材料(按 form 接口的编号,每种材料一次)")
    form_data: dict = Field({}, description="一张表单的填报内容")
    accept: bool = Field(False, description="窗口人员同时受理全部办件(材料须齐全);帮代办员只能代为申报")


class PreApprovalIn(Schema):
    item: str = Field(..., max_length=40, description="预审批事项的实施编码(当前或下一阶段的事项)")
    prerequisite: str = Field(..., max_length=40, description="前置办件编号(本项目审查中的办件,或已出具预审批文件的办件)")
    missing: str = Field(..., max_length=200, description="缺失的条件")
    materials: list[MaterialIn] = []
    accept: bool = False


class SpanOut(Schema):
    start: dt.date
    end: dt.date
    done: bool


class ForecastStepOut(Schema):
    name: str
    department: str
    plan: SpanOut | None
    actual: SpanOut | None = Field(None, description="实际(done=true)或预测")


class ForecastItemOut(Schema):
    item: str
    department: str
    case: str | None
    state: str
    plan_end: dt.date
    end: dt.date
    steps: list[ForecastStepOut]


class ForecastStageOut(Schema):
    stage: int
    name: str
    state: str
    plan_start: dt.date
    plan_end: dt.date
    start: dt.date | None
    end: dt.date = Field(..., description="实际完成日,或预测完成日")
    done: bool
    items: list[ForecastItemOut]


class CriticalOut(Schema):
    stage: str
    item: str
    step: str
    department: str
    start: dt.date
    end: dt.date
    done: bool


class ForecastPointOut(Schema):
    on: dt.date
    end: dt.date
    cause: str


class ForecastOut(Schema):
    on: dt.date = Field(..., description="计算日")
    end: dt.date = Field(..., description="预计全部办结日(最早)")
    plan_end: dt.date = Field(..., description="计划全部办结日(各阶段流程时限之和)")
    correction_allowance: int = Field(..., description="预计补正用时(工作日)")
    stages: list[ForecastStageOut]
    critical_path: list[CriticalOut]
    history: list[ForecastPointOut] = Field(..., description="预测的每次变动及原因")


def _span(s):
    return {"start": s[0], "end": s[1], "done": s[2]} if s else None


def _project(request, code):
    return selectors.project_for(request.auth, code)


@router.get("/codes/validate", auth=None, response=answers(CodeCheckOut, errors=PUBLIC_ERRORS), summary="校验投资项目统一代码")
def validate_code(request, code: str = Query(..., max_length=40)):
    try:
        normalised = validate_project_code(code)
    except DomainError as e:
        return {"valid": False, "code": code, "message": e.message}
    parts = describe(normalised)
    return {"valid": True, "code": normalised, "message": "校验通过", **parts}


@router.post("/", response=answers(ProjectOut, 201), summary="登记投资项目(使用投资项目在线审批监管平台赋予的统一代码)")
def create(request, data: ProjectIn):
    with tx.outer():
        owner = register_applicant(request.auth, kind="org", id_number=data.owner.id_number, name=data.owner.name,
                                   phone=data.owner.phone, legal_rep=data.owner.legal_rep)
        project = services.register_project(request.auth, code=data.code, name=data.name, owner=owner, site=data.site, kind=data.kind,
                                            investment=data.investment, land_area=data.land_area, floor_area=data.floor_area,
                                            major=data.major)
        return Status(201, selectors.project_out(project))


@router.get("/", response=answers(list[ProjectRowOut]), summary="本人可见的投资项目(按登记倒序,每页20个)")
def list_projects(request, page: int = Query(1, ge=1, le=10000)):
    rows = selectors.visible_projects(request.auth).select_related("owner").order_by("-id")[(page - 1) * PAGE: page * PAGE]
    return [{"code": p.code, "name": p.name, "owner": p.owner.name, "stage": p.stage, "stage_name": p.get_stage_display(),
             "forecast_end": p.forecast_end, "completed_on": p.completed_on} for p in rows]


@router.get("/kinds", auth=None, response=answers(dict[str, str], errors=PUBLIC_ERRORS), summary="项目类别")
def kinds(request):
    return dict(ProjectKind.choices)


@router.get("/{code}", response=answers(ProjectOut), summary="项目详情:四个阶段、各阶段办件、预审批")
def detail(request, code: str):
    return selectors.project_out(_project(request, code))


@router.get("/{code}/stages/{stage}/form", response=answers(StageFormOut), summary="阶段的一张表单:事项与合并后的材料清单")
def stage_form(request, code: str, stage: int):
    project = _project(request, code)
    if stage not in Stage.values:
        raise NotFound("阶段应为1至4")
    from tongban.org.models import Level

    items = [{"implementation_code": i.implementation_code, "name": (i.versions.effective().first() or i.versions.first()).name,
              "department": i.department.name, "level": Level(i.level).label} for i in services.stage_items(project, stage)]
    return {"stage": stage, "name": Stage(stage).label, "items": items, "materials": services.merged_materials(project, stage)}


@router.post("/{code}/stages/{stage}/apply", response=answers(ProjectOut),
             summary="申报阶段:每个事项一个办件,并联审批;窗口人员可同时受理")
def apply(request, code: str, stage: int, data: ApplyIn):
    with tx.outer():
        project = _project(request, code)
        services.apply_stage(request.auth, project, stage, materials=[m.dict() for m in data.materials], form_data=data.form_data,
                             accept=data.accept)
        return selectors.project_out(project)


@router.post("/{code}/pre-approvals", response=answers(ProjectOut, 201),
             summary="申请预审批(提前介入):前置办件审查中即可申报;前置办件准予许可后自动转为正式审批")
def pre_approval(request, code: str, data: PreApprovalIn):
    with tx.outer():
        project = _project(request, code)
        item = Item.objects.filter(implementation_code=data.item.strip()).first()
        if item is None:
            raise DomainError("pre_item", "预审批事项不存在", field="item")
        prerequisite = Case.objects.filter(number=data.prerequisite.strip(), project_link__project=project).first()
        if prerequisite is None:
            raise DomainError("pre_prerequisite", "前置办件不是本项目的办件", field="prerequisite")
        services.request_pre_approval(request.auth, project, item=item, prerequisite=prerequisite, missing=data.missing,
                                      materials=[m.dict() for m in data.materials], accept=data.accept)
        return Status(201, selectors.project_out(project))


@router.get("/{code}/forecast", response=answers(ForecastOut),
            summary="预测:按各阶段流程时限和办件实际进度(工作日)计算的最早全部办结日、关键路径、计划与实际")
def project_forecast(request, code: str):
    project = _project(request, code)
    result = forecast.compute(project)
    return {
        **{k: result[k] for k in ("on", "end", "plan_end", "correction_allowance")},
        "stages": [{**{k: s[k] for k in ("stage", "name", "state", "plan_start", "plan_end", "start", "end", "done")},
                    "items": [{**{k: i[k] for k in ("item", "department", "case", "state", "plan_end", "end")},
                               "steps": [{"name": st["name"], "department": st["department"], "plan": _span(st["plan"]),
                                          "actual": _span(st["actual"])} for st in i["steps"]]} for i in s["items"]]}
                   for s in result["stages"]],
        "critical_path": result["critical_path"],
        "history": [{"on": p.on, "end": p.end, "cause": p.cause} for p in project.forecast_points.order_by("on", "id")],
    }


# ---- agency 0+N ----

class LiaisonOut(Schema):
    kind: str
    kind_name: str
    name: str
    phone: str
    item: str | None
    project_kind: str | None


class OfficeOut(Schema):
    id: int
    name: str
    region: str
    level: str
    phone: str
    liaisons: list[LiaisonOut]


class AgencyRequestIn(Schema):
    office: int = Field(..., ge=1, le=2**31 - 1, description="首接帮代办机构(offices 接口的 id)")
    contact_name: str = Field(..., max_length=40)
    contact_phone: str = Field(..., max_length=20)
    note: str = Field("", max_length=500)


class TeamIn(Schema):
    username: str = Field(..., max_length=150)
    role: str = Field(..., description="manager 总体工作管理员 / guide 审批流程指导员 / agent 帮代办服务员 / policy 审批政策宣讲员 / supervisor 工作督导员")


class AgreementIn(Schema):
    items: list[str] = Field(..., description="帮代办事项的实施编码")
    rights_duties: str = Field(..., max_length=2000)
    team: list[TeamIn]
    agent_id_number: str = Field(..., max_length=40, description="帮代办服务员的身份证号码(企业授权委托书)")


class HandOffIn(Schema):
    to_office: int = Field(..., ge=1, le=2**31 - 1)
    items: list[str] = Field(..., description="转交事项的实施编码")
    materials: str = Field(..., max_length=500)
    method: str = Field(..., description="email / share / upload / courier / visit")
    liaison: int | None = Field(None, ge=1, le=2**31 - 1, description="联系的首席联络员(默认接收机构的首席联络员)")


class NodeIn(Schema):
    title: str = Field(..., max_length=120)
    stage: int = Field(..., ge=1, le=4)
    item: str | None = Field(None, max_length=40, description="事项实施编码")
    department: int | None = Field(None, ge=1, le=2**31 - 1)
    office: int | None = Field(None, ge=1, le=2**31 - 1, description="负责机构(默认首接机构)")
    planned_on: dt.date


class MeetingIn(Schema):
    held_on: dt.date
    place: str = Field(..., max_length=120)
    departments: list[int] = Field(..., description="参会部门")
    minutes: str = Field(..., max_length=4000)
    nodes: list[NodeIn] = Field(..., description="路线图:按办理顺序的全部节点")


class LedgerIn(Schema):
    kind: str = Field(..., description="visit 上门服务 / call 电话联系 / doc_in 收取材料 / doc_out 送还材料/证照")
    note: str = Field(..., max_length=300)


class AgreementOut(Schema):
    signed_on: dt.date
    items: list[str]
    rights_duties: str


class TeamOut(Schema):
    user: str
    role: str
    role_name: str


class HandOffOut(Schema):
    id: int
    from_office: str
    to_office: str
    items: list[str]
    materials: str
    method: str
    handed_on: dt.date
    liaison: str
    received_on: dt.date | None


class NodeOut(Schema):
    id: int
    order: int
    stage: int
    title: str
    office: str
    department: str
    planned_on: dt.date
    done_on: dt.date | None
    on_time: bool | None


class LedgerOut(Schema):
    kind: str
    kind_name: str
    on: dt.date
    actor: str
    office: str
    note: str


class AgencyOut(Schema):
    office: str
    state: str
    state_name: str
    requested_on: dt.date
    contact_name: str = Field(..., description="企业联系人(部分隐藏)")
    agreement: AgreementOut | None
    team: list[TeamOut]
    handoffs: list[HandOffOut]
    roadmap: list[NodeOut]
    ledger: list[LedgerOut]
    agent_visits: int
    agent_calls: int
    enterprise_visits: int = Field(..., description="企业到窗口的次数(0+N:应为0)")


class StatsRowOut(Schema):
    office: str | None = None
    level: str | None = None
    agent: str | None = None
    projects: int
    nodes: int
    nodes_done: int
    nodes_on_time: int
    on_time_rate: float | None
    visits: int
    calls: int
    stage_avg: dict[str, float] = Field(..., description="各阶段平均工作日")


class StatsOut(Schema):
    on: dt.date
    offices: list[StatsRowOut]
    agents: list[StatsRowOut]


def _agency(request, code):
    project = _project(request, code)
    req = getattr(project, "agency", None)
    if req is None or not agency.visible_requests(request.auth).filter(pk=req.pk).exists():
        raise NotFound("该项目没有帮代办申请,或您无权查看")
    return req


def _items(codes: list[str], field: str) -> list[Item]:
    items = list(Item.objects.filter(implementation_code__in=[c.strip() for c in codes]))
    if len(items) != len(set(codes)):
        raise DomainError("item_unknown", "事项实施编码有误", field=field)
    return items


def _office(pk: int, field: str) -> AgencyOffice:
    office = AgencyOffice.objects.select_related("region").filter(pk=pk).first()
    if office is None:
        raise DomainError("office_unknown", "帮代办机构不存在", field=field)
    return office


@router.get("/agency/offices", response=answers(list[OfficeOut]), summary="市、县、镇三级帮代办机构及首席联络员、首席帮代办联系人")
def offices(request):
    out = []
    for o in AgencyOffice.objects.select_related("region").prefetch_related("liaisons__user", "liaisons__item"):
        out.append({"id": o.pk, "name": o.name, "region": o.region.name, "level": o.level_name, "phone": o.phone,
                    "liaisons": [{"kind": li.kind, "kind_name": li.get_kind_display(), "name": str(li.user), "phone": li.phone,
                                  "item": str(li.item) if li.item_id else None, "project_kind": li.get_project_kind_display() or None}
                                 for li in o.liaisons.all()]})
    return out


@router.get("/agency/statistics", response=answers(StatsOut), summary="帮代办统计:按机构、按帮代办员(服务项目、节点按期率、各阶段平均工作日)")
def statistics(request):
    return agency.statistics(request.auth)


@router.post("/agency/handoffs/{handoff_id}/receive", response=answers(HandOffOut), summary="接收层级转交(接收机构的帮代办员)")
def receive(request, handoff_id: int):
    with tx.outer():
        h = HandOff.objects.select_related("request", "to_office__region").filter(pk=handoff_id).first()
        if h is None or not agency.visible_requests(request.auth).filter(pk=h.request_id).exists():
            raise NotFound("未找到该转交")
        h = agency.receive_handoff(request.auth, h)
        return next(x for x in selectors.agency_out(h.request)["handoffs"] if x["id"] == h.pk)


@router.post("/agency/nodes/{node_id}/done", response=answers(NodeOut), summary="确认路线图节点完成(办件准予许可时自动完成)")
def node_done(request, node_id: int):
    with tx.outer():
        node = RoadmapNode.objects.select_related("request__office__region").filter(pk=node_id).first()
        if node is None or not agency.visible_requests(request.auth).filter(pk=node.request_id).exists():
            raise NotFound("未找到该节点")
        node = agency.complete_node(request.auth, node)
        return next(x for x in selectors.agency_out(node.request)["roadmap"] if x["id"] == node.pk)


@router.post("/{code}/agency", response=answers(AgencyOut, 201), summary="登记企业的0+N帮代办申请(首接帮代办机构)")
def request_agency(request, code: str, data: AgencyRequestIn):
    with tx.outer():
        project = _project(request, code)
        req = agency.request_agency(request.auth, project, office=_office(data.office, "office"), contact_name=data.contact_name,
                                    contact_phone=data.contact_phone, note=data.note)
        return Status(201, selectors.agency_out(req))


@router.get("/{code}/agency", response=answers(AgencyOut), summary="帮代办:协议、团队、层级转交、路线图、台账")
def agency_detail(request, code: str):
    return selectors.agency_out(_agency(request, code))


@router.post("/{code}/agency/agreement", response=answers(AgencyOut), summary="签订帮代办协议并组建团队")
def agreement(request, code: str, data: AgreementIn):
    with tx.outer():
        req = _agency(request, code)
        team = []
        for m in data.team:
            user = User.objects.filter(username=m.username, is_active=True).first()
            if user is None:
                raise DomainError("team_member", f"账号{m.username[:40]}不存在", field="team")
            team.append((user, m.role))
        agency.sign_agreement(request.auth, req, items=_items(data.items, "items"), rights_duties=data.rights_duties, team=team,
                              agent_id_number=data.agent_id_number)
        req.refresh_from_db()
        return selectors.agency_out(req)


@router.post("/{code}/agency/handoffs", response=answers(HandOffOut, 201), summary="层级转交:把其他层级权限的事项和材料转交该层级帮代办机构")
def handoff(request, code: str, data: HandOffIn):
    with tx.outer():
        req = _agency(request, code)
        liaison = None
        if data.liaison is not None:
            liaison = Liaison.objects.filter(pk=data.liaison).first()
            if liaison is None:
                raise DomainError("handoff_liaison", "联络员不存在", field="liaison")
        h = agency.hand_off(request.auth, req, to_office=_office(data.to_office, "to_office"), items=_items(data.items, "items"),
                            materials=data.materials, method=data.method, liaison=liaison)
        return Status(201, next(x for x in selectors.agency_out(req)["handoffs"] if x["id"] == h.pk))


@router.post("/{code}/agency/meetings", response=answers(AgencyOut, 201), summary="协调联审会:一次性告知全部事项,形成带日期节点的路线图")
def meeting(request, code: str, data: MeetingIn):
    with tx.outer():
        req = _agency(request, code)
        departments = list(Department.objects.filter(pk__in=data.departments))
        if len(departments) != len(set(data.departments)):
            raise DomainError("meeting_departments", "参会部门有误", field="departments")
        nodes = []
        for n in data.nodes:
            item = _items([n.item], "nodes")[0] if n.item else None
            dept = Department.objects.filter(pk=n.department).first() if n.department else None
            if n.department and dept is None:
                raise DomainError("node_department", "节点的办理部门不存在", field="nodes")
            nodes.append({"title": n.title, "stage": n.stage, "item": item, "department": dept, "planned_on": n.planned_on,
                          "office": _office(n.office, "nodes") if n.office else None})
        agency.hold_meeting(request.auth, req, held_on=data.held_on, place=data.place, departments=departments, minutes=data.minutes,
                            nodes=nodes)
        req.refresh_from_db()
        return Status(201, selectors.agency_out(req))


@router.post("/{code}/agency/ledger", response=answers(LedgerOut, 201), summary="登记台账:上门服务、电话联系、收取或送还材料")
def ledger(request, code: str, data: LedgerIn):
    with tx.outer():
        req = _agency(request, code)
        e = agency.log_contact(request.auth, req, kind=data.kind, note=data.note)
        return Status(201, {"kind": e.kind, "kind_name": e.get_kind_display(), "on": e.on, "actor": str(e.actor),
                            "office": e.office.name, "note": e.note})
