"""The 0+N agency service (帮代办, seed 003): the enterprise runs zero times, the agents N times.

A request is received by the first office (首接帮代办机构), which signs the agreement (items, rights and
duties) and names the team; items of another level go to that level's office through its chief liaison
(层级转交, both offices see the hand-off); a joint pre-review meeting (协调联审会) gives one notice of every
item in order with dates (路线图); the ledger (台账) records every visit, call and document; the enterprise
follows it on a tokened page."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from tongban.cases.services import register_mandate
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.org.models import Level, Role, RoleGrant
from tongban.org.scopes import has_role
from tongban.workcal.days import working_days_between

from .models import (
    AgencyOffice, AgencyRequest, Agreement, HandOff, LedgerEntry, Liaison, Meeting, Project, RoadmapNode, Stage, StageRun,
    TeamMember, TeamRole,
)
from .services import clean_text

CONTACT_KINDS = (LedgerEntry.Kind.VISIT, LedgerEntry.Kind.CALL, LedgerEntry.Kind.DOC_IN, LedgerEntry.Kind.DOC_OUT)
REQUIRED_ROLES = (TeamRole.MANAGER, TeamRole.AGENT)


def _today(on):
    return on or timezone.localdate()


def is_office_agent(user, office: AgencyOffice) -> bool:
    return has_role(user, Role.AGENT, region=office.region)


def offices_of(user, request: AgencyRequest) -> list[AgencyOffice]:
    """The offices of this request the user works for: the receiving office and those handed items."""
    offices = [request.office, *[h.to_office for h in request.handoffs.select_related("to_office__region")]]
    return [o for o in dict.fromkeys(offices) if is_office_agent(user, o)]


def may_act(user, request: AgencyRequest) -> bool:
    return bool(offices_of(user, request))


def _require(user, request: AgencyRequest, what: str) -> AgencyOffice:
    offices = offices_of(user, request)
    if not offices:
        raise NotAllowed(f"您不是{request.office}或受转交机构的帮代办员,不能{what}")
    return offices[0]


def _require_receiving(user, request: AgencyRequest, what: str):
    if not is_office_agent(user, request.office):
        raise NotAllowed(f"只有首接帮代办机构({request.office})的帮代办员可以{what}")


def _locked(request: AgencyRequest) -> AgencyRequest:
    return AgencyRequest.objects.select_for_update(of=("self",)).select_related("office__region", "project").get(pk=request.pk)


def request_agency(actor, project: Project, *, office: AgencyOffice, contact_name: str, contact_phone: str, note: str = "",
                   on: dt.date | None = None) -> AgencyRequest:
    """The enterprise's request for 0+N agency, recorded by the receiving office (首接负责)."""
    on = _today(on)
    if not is_office_agent(actor, office):
        raise NotAllowed(f"您不是{office}的帮代办员,不能受理帮代办申请")
    if not (office.region.contains(project.region) or project.region.contains(office.region)):
        raise DomainError("agency_office", f"项目建设地点不在{office}的服务范围内", field="office")
    if not project.major:
        raise DomainError("agency_major", "0+N帮代办服务面向重大重点项目,该项目未列为重大重点项目", field="project")
    contact_name = clean_text(contact_name, "contact_name", "企业联系人", 40)
    digits = (contact_phone or "").replace("-", "").strip()
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 12):
        raise DomainError("contact_phone", "联系电话应为7至12位数字", field="contact_phone")
    note = clean_text(note, "note", "帮代办需求", 500, required=False)
    with tx.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if AgencyRequest.objects.filter(project=project).exists():
            raise Conflict("agency_exists", "该项目已申请帮代办服务")
        req = AgencyRequest.objects.create(project=project, office=office, contact_name=contact_name, contact_phone=contact_phone.strip(),
                                           note=note, requested_on=on, created_by=actor)
        record(actor, "agency.requested", project, data={"office": office.name})
    return req


def sign_agreement(actor, request: AgencyRequest, *, items: list, rights_duties: str, team: list[tuple], agent_id_number: str,
                   on: dt.date | None = None) -> Agreement:
    """协议: the items covered, rights and duties, the team (总体工作管理员 and 帮代办服务员 at least), and the
    enterprise's authorisation for the 帮代办服务员 to apply in its name (a mandate the intake checks)."""
    on = _today(on)
    _require_receiving(actor, request, "签订帮代办协议")
    rights_duties = clean_text(rights_duties, "rights_duties", "双方权利义务", 2000)
    if not items:
        raise DomainError("agreement_items", "请列明帮代办事项", field="items")
    roles = {role for _, role in team}
    if any(role not in TeamRole.values for role in roles):
        raise DomainError("team_role", "团队分工无效", field="team")
    missing = [TeamRole(r).label for r in REQUIRED_ROLES if r not in roles]
    if missing:
        raise DomainError("team_roles", f"帮代办团队须有:{'、'.join(missing)}", field="team")
    for user, role in team:
        if not has_role(user, Role.AGENT, region=request.office.region):
            raise DomainError("team_member", f"{user}不是{request.office}辖区的帮代办员", field="team")
    lead = next(u for u, r in team if r == TeamRole.AGENT)
    with tx.atomic():
        request = _locked(request)
        if request.state != AgencyRequest.State.REQUESTED:
            raise Conflict("agreement_exists", "该帮代办申请已签订协议")
        mandate = register_mandate(actor, applicant=request.project.owner, agent_name=lead.display_name or lead.username,
                                   agent_id_number=agent_id_number, scope=f"投资项目审批帮代办:{request.project.name}"[:200],
                                   valid_until=on + dt.timedelta(days=730), agent_user=lead)
        agreement = Agreement.objects.create(request=request, rights_duties=rights_duties, signed_on=on, signed_by=actor, mandate=mandate)
        agreement.items.set(items)
        TeamMember.objects.bulk_create([TeamMember(request=request, user=u, role=r) for u, r in dict.fromkeys(team)])
        request.state = AgencyRequest.State.AGREED
        request.save(update_fields=["state"])
        record(actor, "agency.agreement_signed", request.project,
               data={"items": len(items), "team": [f"{u}:{TeamRole(r).label}" for u, r in team]})
    return agreement


def hand_off(actor, request: AgencyRequest, *, to_office: AgencyOffice, items: list, materials: str, method: str,
             liaison: Liaison | None = None, on: dt.date | None = None) -> HandOff:
    """层级转交: items whose power lies at another level go to that level's office, through its chief liaison
    (or the item's chief contact), with the materials. Recorded in the ledger; both offices see it."""
    on = _today(on)
    _require_receiving(actor, request, "转交帮代办事项")
    if to_office.pk == request.office_id:
        raise DomainError("handoff_same", "不能转交给本机构", field="to_office")
    if to_office.region.level == request.office.region.level:
        raise DomainError("handoff_level", "层级转交须转交给上级或下级帮代办机构", field="to_office")
    if method not in HandOff.Method.values:
        raise DomainError("handoff_method", "转交方式无效", field="method")
    materials = clean_text(materials, "materials", "转交材料", 500)
    if not items:
        raise DomainError("handoff_items", "请选择转交的事项", field="items")
    agreement = getattr(request, "agreement", None)
    if agreement is None:
        raise Conflict("handoff_no_agreement", "请先签订帮代办协议")
    covered = set(agreement.items.values_list("pk", flat=True))
    for item in items:
        if item.pk not in covered:
            raise DomainError("handoff_item", f"“{item}”不在帮代办协议的事项内", field="items")
        if item.level != to_office.region.level:
            raise DomainError("handoff_item_level", f"“{item}”由{Level(item.level).label}办理,不属于{to_office}的层级", field="items")
    if liaison is not None and liaison.office_id != to_office.pk:
        raise DomainError("handoff_liaison", f"联络员不属于{to_office}", field="liaison")
    if liaison is None:
        liaison = to_office.liaisons.filter(kind=Liaison.Kind.CHIEF_LIAISON).order_by("id").first()
        if liaison is None:
            raise DomainError("handoff_liaison", f"{to_office}尚未设置首席联络员", field="liaison")
    with tx.atomic():
        request = _locked(request)
        h = HandOff.objects.create(request=request, from_office=request.office, to_office=to_office, liaison=liaison,
                                   materials=materials, method=method, handed_on=on, handed_by=actor)
        h.items.set(items)
        LedgerEntry.objects.create(request=request, kind=LedgerEntry.Kind.HANDOFF, on=on, actor=actor, office=request.office,
                                   note=f"转交{to_office}(联系{liaison.get_kind_display()}{liaison.user}):{materials}"[:300])
        record(actor, "agency.handed_off", request.project, data={"to": to_office.name, "items": [str(i) for i in items]})
    return h


def receive_handoff(actor, handoff: HandOff, *, on: dt.date | None = None) -> HandOff:
    """The receiving level's office confirms it has the items and the materials."""
    on = _today(on)
    if not is_office_agent(actor, handoff.to_office):
        raise NotAllowed(f"只有{handoff.to_office}的帮代办员可以接收转交")
    with tx.atomic():
        h = HandOff.objects.select_for_update().get(pk=handoff.pk)
        if h.received_on:
            raise Conflict("handoff_received", "该转交已接收")
        h.received_on, h.received_by = on, actor
        h.save(update_fields=["received_on", "received_by"])
        LedgerEntry.objects.create(request=h.request, kind=LedgerEntry.Kind.HANDOFF, on=on, actor=actor, office=h.to_office,
                                   note=f"{h.to_office}接收{h.from_office}转交的事项和材料")
        record(actor, "agency.handoff_received", h.request.project, data={"office": h.to_office.name})
    return h


def hold_meeting(actor, request: AgencyRequest, *, held_on: dt.date, place: str, departments: list, minutes: str, nodes: list[dict],
                 on: dt.date | None = None) -> Meeting:
    """协调联审会: the departments review the project together and give one notice of every item it needs, in
    order, each with a date and the office that carries it: the roadmap. nodes: [{"title", "stage", "item"?,
    "department"?, "office"?, "planned_on"}] in order."""
    on = _today(on)
    _require_receiving(actor, request, "组织协调联审会")
    if held_on > on:
        raise DomainError("meeting_date", "会议日期不得晚于今天", field="held_on")
    place = clean_text(place, "place", "会议地点", 120)
    minutes = clean_text(minutes, "minutes", "会议纪要", 4000)
    if len(departments) < 2:
        raise DomainError("meeting_departments", "协调联审会至少需要两个部门参加", field="departments")
    if not nodes:
        raise DomainError("roadmap_empty", "请列出路线图的节点(一次性告知项目需要办理的全部事项)", field="nodes")
    if len(nodes) > 100:
        raise DomainError("roadmap_long", "路线图节点不得超过100个", field="nodes")
    rows, last_stage, last_day = [], 0, held_on
    for i, n in enumerate(nodes, start=1):
        title = clean_text(n.get("title", ""), "nodes", f"第{i}个节点名称", 120)
        stage = n.get("stage")
        if stage not in Stage.values:
            raise DomainError("node_stage", f"第{i}个节点的阶段应为1至4", field="nodes")
        if stage < last_stage:
            raise DomainError("node_order", f"第{i}个节点的阶段早于前一节点,请按办理顺序排列", field="nodes")
        planned = n.get("planned_on")
        if not isinstance(planned, dt.date) or planned < held_on:
            raise DomainError("node_date", f"第{i}个节点的计划完成日须不早于会议日期", field="nodes")
        if planned < last_day and stage > last_stage:
            raise DomainError("node_date_order", f"第{i}个节点的计划完成日早于上一阶段的节点", field="nodes")
        office = n.get("office") or request.office
        if office.pk != request.office_id and not request.handoffs.filter(to_office=office).exists():
            raise DomainError("node_office", f"第{i}个节点的负责机构须为首接机构或已转交的机构", field="nodes")
        rows.append(RoadmapNode(request=request, order=i, stage=stage, item=n.get("item"), title=title, department=n.get("department"),
                                office=office, planned_on=planned))
        last_stage, last_day = stage, max(last_day, planned)
    with tx.atomic():
        request = _locked(request)
        if request.state == AgencyRequest.State.REQUESTED:
            raise Conflict("meeting_no_agreement", "请先签订帮代办协议")
        meeting = Meeting.objects.create(request=request, held_on=held_on, place=place, minutes=minutes, recorded_by=actor)
        meeting.departments.set(departments)
        request.nodes.filter(done_on__isnull=True).delete()  # a later meeting replaces the open part of the roadmap
        start = request.nodes.count()
        for r in rows:
            r.meeting, r.order = meeting, r.order + start
        RoadmapNode.objects.bulk_create(rows)
        request.state = AgencyRequest.State.ROADMAP
        request.save(update_fields=["state"])
        record(actor, "agency.meeting_held", request.project, data={"departments": len(departments), "nodes": len(rows)})
    return meeting


def log_contact(actor, request: AgencyRequest, *, kind: str, note: str, on: dt.date | None = None) -> LedgerEntry:
    """台账: a visit to the enterprise, a call, documents received from it or returned to it."""
    on = _today(on)
    office = _require(actor, request, "登记帮代办台账")
    if kind not in CONTACT_KINDS:
        raise DomainError("ledger_kind", "台账类别应为上门服务、电话联系、收取材料或送还材料", field="kind")
    note = clean_text(note, "note", "内容", 300)
    with tx.atomic():
        entry = LedgerEntry.objects.create(request=request, kind=kind, on=on, actor=actor, office=office, note=note)
        record(actor, "agency.ledger", request.project, data={"kind": kind})
    return entry


def complete_node(actor, node: RoadmapNode, *, on: dt.date | None = None) -> RoadmapNode:
    """A node reached that no case marks (e.g. a municipal connection, an intermediary's report)."""
    on = _today(on)
    _require(actor, node.request, "确认节点完成")
    with tx.atomic():
        node = RoadmapNode.objects.select_for_update().get(pk=node.pk)
        if node.done_on:
            raise Conflict("node_done", "该节点已完成")
        node.done_on = on
        node.save(update_fields=["done_on"])
        LedgerEntry.objects.create(request=node.request, kind=LedgerEntry.Kind.NODE, on=on, actor=actor, office=node.office,
                                   note=f"节点完成:{node.title}", node=node)
        record(actor, "agency.node_done", node.request.project, data={"node": node.title})
    return node


def node_reached(actor, project: Project, case, on: dt.date) -> None:
    """A case of the project approved: its roadmap node is done (called in the decision's transaction)."""
    if case.state not in ("approved", "completed"):
        return
    request = AgencyRequest.objects.filter(project=project).first()
    if request is None:
        return
    for node in request.nodes.select_for_update().filter(item_id=case.item_id, done_on__isnull=True):
        node.done_on = on
        node.save(update_fields=["done_on"])
        agent = request.team.filter(role=TeamRole.AGENT).select_related("user").first()
        LedgerEntry.objects.create(request=request, kind=LedgerEntry.Kind.NODE, on=on, actor=agent.user if agent else actor,
                                   office=node.office, note=f"节点完成:{node.title}(办件{case.number}准予许可)", node=node)


def enterprise_visits(request: AgencyRequest) -> int:
    """The enterprise's own trips to a hall for the project's cases (the 0 of 0+N)."""
    from django.db.models import Sum

    return request.project.links.aggregate(n=Sum("case__visits"))["n"] or 0


def visible_requests(user):
    """Requests a user may see: agents of the receiving office or of an office handed items; supervisors of the region."""
    if not user.is_authenticated:
        return AgencyRequest.objects.none()
    if user.is_superuser:
        return AgencyRequest.objects.all()
    q = Q(pk__in=[])
    for g in RoleGrant.objects.filter(user=user, role__in=[Role.AGENT, Role.SUPERVISOR, Role.SYSTEM_ADMIN]).select_related("region"):
        q |= Q(office__region__path__startswith=g.region.path) | Q(handoffs__to_office__region__path__startswith=g.region.path)
    return AgencyRequest.objects.filter(q).distinct()


def statistics(user, on: dt.date | None = None) -> dict:
    """By office and by agent: projects served, nodes on time, average working days per stage, visits and calls."""
    on = _today(on)
    requests = list(visible_requests(user).select_related("office__region", "project").prefetch_related("handoffs__to_office"))
    nodes = list(RoadmapNode.objects.filter(request__in=requests).select_related("office"))
    ledger = list(LedgerEntry.objects.filter(request__in=requests).select_related("actor", "office"))
    runs = list(StageRun.objects.filter(project__agency__in=requests, completed_on__isnull=False))
    offices: dict[int, dict] = {}

    def office_row(o):
        return offices.setdefault(o.pk, {"office": o.name, "level": Level(o.region.level).label, "projects": set(), "nodes": 0,
                                         "nodes_done": 0, "nodes_on_time": 0, "visits": 0, "calls": 0, "stage_days": {}})

    by_project_offices = {}
    for r in requests:
        offs = [r.office, *[h.to_office for h in r.handoffs.all()]]
        by_project_offices[r.project_id] = offs
        for o in offs:
            office_row(o)["projects"].add(r.project_id)
    for n in nodes:
        row = office_row(n.office)
        row["nodes"] += 1
        row["nodes_done"] += bool(n.done_on)
        row["nodes_on_time"] += bool(n.done_on and n.done_on <= n.planned_on)
    for e in ledger:
        row = office_row(e.office)
        row["visits"] += e.kind == LedgerEntry.Kind.VISIT
        row["calls"] += e.kind == LedgerEntry.Kind.CALL
    for run in runs:
        days = working_days_between(run.applied_on, run.completed_on).days
        for o in by_project_offices.get(run.project_id, []):
            office_row(o)["stage_days"].setdefault(run.stage, []).append(days)
    agents: dict[int, dict] = {}
    members = TeamMember.objects.filter(request__in=requests, role=TeamRole.AGENT).select_related("user", "request")
    for m in members:
        row = agents.setdefault(m.user_id, {"agent": str(m.user), "projects": set(), "nodes": 0, "nodes_done": 0, "nodes_on_time": 0,
                                            "visits": 0, "calls": 0, "stage_days": {}})
        row["projects"].add(m.request.project_id)
    for e in ledger:
        if e.actor_id in agents:
            agents[e.actor_id]["visits"] += e.kind == LedgerEntry.Kind.VISIT
            agents[e.actor_id]["calls"] += e.kind == LedgerEntry.Kind.CALL
    project_of = {r.pk: r.project_id for r in requests}
    for row in agents.values():
        for n in nodes:
            if project_of[n.request_id] in row["projects"]:
                row["nodes"] += 1
                row["nodes_done"] += bool(n.done_on)
                row["nodes_on_time"] += bool(n.done_on and n.done_on <= n.planned_on)
        for run in runs:
            if run.project_id in row["projects"]:
                row["stage_days"].setdefault(run.stage, []).append(working_days_between(run.applied_on, run.completed_on).days)

    def finish(row):
        row["projects"] = len(row["projects"])
        row["on_time_rate"] = round(100 * row["nodes_on_time"] / row["nodes_done"], 1) if row["nodes_done"] else None
        row["stage_avg"] = {Stage(s).label: round(sum(d) / len(d), 1) for s, d in sorted(row.pop("stage_days").items())}
        return row

    return {"on": on, "offices": [finish(r) for r in offices.values()], "agents": [finish(r) for r in agents.values()]}


def statistics_xlsx(stats: dict) -> bytes:
    """The statistics as an Excel workbook: one sheet by office, one by agent."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    stages = [s.label for s in Stage]
    head = ["服务项目数", "路线图节点", "已完成节点", "按期完成节点", "按期率(%)", "上门服务次数", "电话联系次数",
            *[f"{s}平均工作日" for s in stages]]
    for ws, key, first in ((wb.active, "offices", ["帮代办机构", "层级"]), (wb.create_sheet(), "agents", ["帮代办服务员"])):
        ws.title = "按机构" if key == "offices" else "按帮代办员"
        ws.append(first + head)
        for c in ws[1]:
            c.font = Font(bold=True)
        for r in stats[key]:
            lead = [r["office"], r["level"]] if key == "offices" else [r["agent"]]
            ws.append(lead + [r["projects"], r["nodes"], r["nodes_done"], r["nodes_on_time"], r["on_time_rate"], r["visits"],
                              r["calls"], *[r["stage_avg"].get(s) for s in stages]])
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = 16
    ws = wb.create_sheet("说明")
    ws.append([f"统计日:{stats['on']:%Y-%m-%d}。按期:节点实际完成日不晚于路线图计划完成日。阶段平均工作日:阶段申报日至完成日的工作日数(不含申报当日)。"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
