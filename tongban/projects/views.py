"""Project pages: the list, registration, the agent's project page (stages, cases, pre-approvals, forecast and
Gantt, the 0+N agency panel), statistics with Excel export, and the enterprise's tokened progress page.
Thin: every act is a service call; errors come back as messages naming the field."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tongban.cases.models import Case
from tongban.cases.services import register_applicant
from tongban.catalog.models import Item
from tongban.core import tx
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Department, Role, User
from tongban.org.scopes import has_role

from . import agency, forecast, selectors, services
from .models import AgencyOffice, AgencyRequest, HandOff, LedgerEntry, Liaison, ProjectKind, RoadmapNode, Stage, TeamRole


def _project(request, code):
    try:
        return selectors.project_for(request.user, code)
    except NotFound:
        raise Http404("未找到该投资项目") from None


def _may_register(user) -> bool:
    return has_role(user, Role.WINDOW_CLERK) or has_role(user, Role.AGENT)


@login_required
def project_list(request):
    projects = selectors.visible_projects(request.user).select_related("owner", "region").order_by("-id")[:100]
    return render(request, "projects/list.html", {
        "projects": projects, "may_register": _may_register(request.user),
        "may_stats": has_role(request.user, Role.AGENT) or has_role(request.user, Role.SUPERVISOR),
    })


@login_required
def project_new(request):
    if not _may_register(request.user):
        raise Http404("未找到")
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            with tx.outer():
                owner = register_applicant(request.user, kind="org", id_number=values.get("owner_id", ""), name=values.get("owner_name", ""),
                                           phone=values.get("owner_phone", ""))
                project = services.register_project(
                    request.user, code=values.get("code", ""), name=values.get("name", ""), owner=owner, site=values.get("site", ""),
                    kind=values.get("kind", ""), investment=values.get("investment", ""), land_area=values.get("land_area", "0") or "0",
                    floor_area=values.get("floor_area", "0") or "0", major=values.get("major") == "on")
            messages.success(request, f"已登记投资项目 {project.code}")
            return redirect("projects:detail", project.code)
        except DomainError as e:
            messages.error(request, e.message)
    return render(request, "projects/new.html", {"values": values, "kinds": ProjectKind.choices})


def _stage_forms(project, on):
    """For each stage the user may apply for now: the merged form (一张表单)."""
    runs = {r.stage: r for r in project.stage_runs.all()}
    out = []
    for stage in Stage:
        run = runs.get(stage.value)
        if project.completed_on or stage.value != project.stage or (run and run.state == run.State.DONE):
            continue
        items = services.stage_items(project, stage.value)
        covered = {lk.case.item_id for lk in run.links.select_related("case")} if run else set()
        if items and not {i.pk for i in items} <= covered:
            out.append({"stage": stage.value, "name": stage.label, "items": [i for i in items if i.pk not in covered],
                        "materials": services.merged_materials(project, stage.value, on)})
    return out


@login_required
def project_detail(request, code):
    project = _project(request, code)
    on = timezone.localdate()
    result = forecast.compute(project, on)
    req = AgencyRequest.objects.filter(project=project).select_related("office__region").first()
    if req is not None and not agency.visible_requests(request.user).filter(pk=req.pk).exists():
        req = None
    user = request.user
    may_apply = services.may_register(user, project.region)
    pre_items = [i for s in (project.stage, project.stage + 1) if s in Stage.values for i in services.stage_items(project, s)]
    open_cases = [lk.case for lk in project.links.select_related("case__item_version") if lk.case.decided_on is None
                  and lk.case.state in ("accepted", "returned")]
    issued = [p.case for p in project.pre_approvals.filter(state="issued").select_related("case__item_version")]
    context = {
        "project": project, "data": selectors.project_out(project), "forecast": result, "gantt": forecast.gantt_data(result),
        "history": project.forecast_points.order_by("on", "id"), "may_apply": may_apply, "is_clerk": has_role(user, Role.WINDOW_CLERK, region=project.region),
        "stage_forms": _stage_forms(project, on) if may_apply else [],
        "pre_items": pre_items, "prerequisites": open_cases + issued, "agency": None,
    }
    if req is not None:
        mine = agency.offices_of(user, req)
        receiving = agency.is_office_agent(user, req.office)
        context.update({
            "agency": req, "agency_data": selectors.agency_out(req), "my_offices": mine, "receiving": receiving,
            "team_roles": TeamRole.choices, "agents": User.objects.filter(grants__role=Role.AGENT).distinct().order_by("username"),
            "offices": AgencyOffice.objects.exclude(pk=req.office_id).select_related("region"),
            "agreement_items": list(req.agreement.items.all()) if hasattr(req, "agreement") else [],
            "stage_items": [(s, services.stage_items(project, s.value)) for s in Stage],
            "departments": Department.objects.filter(region__in=[project.region, project.region.parent]).order_by("region__code", "order")
            if project.region.parent_id else Department.objects.filter(region=project.region),
            "handoff_methods": HandOff.Method.choices, "ledger_kinds": [(k, LedgerEntry.Kind(k).label) for k in agency.CONTACT_KINDS],
            "progress_url": request.build_absolute_uri(reverse("projects:progress", args=[req.token])),
            "nodes": req.nodes.select_related("office", "department"),
            "open_handoffs": [h for h in req.handoffs.select_related("to_office__region") if not h.received_on and agency.is_office_agent(user, h.to_office)],
        })
    elif agency_offices := [o for o in AgencyOffice.objects.select_related("region") if agency.is_office_agent(user, o)
                            and (o.region.contains(project.region) or project.region.contains(o.region))]:
        context["request_offices"] = agency_offices
    return render(request, "projects/detail.html", context)


def _act(request, code, fn, success: str):
    """Run one act in the request's transaction; the message says what happened or what is wrong."""
    try:
        with tx.outer():
            fn(_project(request, code))
        messages.success(request, success)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(reverse("projects:detail", args=[code]) + request.POST.get("anchor", ""))


def _checked_materials(request) -> list[dict]:
    return [{"material": int(v), "status": "provided"} for v in request.POST.getlist("material") if v.isascii() and v.isdigit()]


def _int(value, field, label):
    if not (value or "").isascii() or not (value or "").isdigit() or len(value) > 9:
        raise DomainError("invalid", f"请选择{label}", field=field)
    return int(value)


@login_required
@require_POST
def apply(request, code, stage):
    def act(project):
        services.apply_stage(request.user, project, stage, materials=_checked_materials(request),
                             form_data={"建设规模": request.POST.get("scale", "")[:500]} if request.POST.get("scale") else {},
                             accept=request.POST.get("accept") == "on")
    return _act(request, code, act, f"已申报{Stage(stage).label if stage in Stage.values else ''}阶段,各事项并联审批")


@login_required
@require_POST
def pre_approval(request, code):
    def act(project):
        item = Item.objects.filter(pk=_int(request.POST.get("item"), "item", "预审批事项")).first()
        prerequisite = Case.objects.filter(number=request.POST.get("prerequisite", "")[:40], project_link__project=project).first()
        if item is None:
            raise DomainError("pre_item", "请选择预审批事项", field="item")
        if prerequisite is None:
            raise DomainError("pre_prerequisite", "请选择本项目的前置办件", field="prerequisite")
        services.request_pre_approval(request.user, project, item=item, prerequisite=prerequisite, missing=request.POST.get("missing", ""),
                                      materials=_checked_materials(request), accept=request.POST.get("accept") == "on")
    return _act(request, code, act, "已申请预审批;前置办件准予许可后自动转为正式审批")


def _req(project):
    req = AgencyRequest.objects.filter(project=project).select_related("office__region").first()
    if req is None:
        raise DomainError("agency_missing", "该项目尚未申请帮代办", field="project")
    return req


@login_required
@require_POST
def agency_request(request, code):
    def act(project):
        office = AgencyOffice.objects.select_related("region").filter(pk=_int(request.POST.get("office"), "office", "首接帮代办机构")).first()
        if office is None:
            raise DomainError("office_unknown", "请选择首接帮代办机构", field="office")
        agency.request_agency(request.user, project, office=office, contact_name=request.POST.get("contact_name", ""),
                              contact_phone=request.POST.get("contact_phone", ""), note=request.POST.get("note", ""))
    return _act(request, code, act, "已登记帮代办申请")


@login_required
@require_POST
def agreement(request, code):
    def act(project):
        team = []
        for role in TeamRole.values:
            for username in request.POST.getlist(f"team_{role}"):
                user = User.objects.filter(username=username[:150], is_active=True).first()
                if user is not None:
                    team.append((user, role))
        items = list(Item.objects.filter(pk__in=[int(v) for v in request.POST.getlist("items") if v.isascii() and v.isdigit()][:200]))
        agency.sign_agreement(request.user, _req(project), items=items, team=team, rights_duties=request.POST.get("rights_duties", ""),
                              agent_id_number=request.POST.get("agent_id_number", ""))
    return _act(request, code, act, "已签订帮代办协议,团队已组建")


@login_required
@require_POST
def handoff(request, code):
    def act(project):
        to_office = AgencyOffice.objects.select_related("region").filter(pk=_int(request.POST.get("to_office"), "to_office", "接收机构")).first()
        if to_office is None:
            raise DomainError("office_unknown", "请选择接收机构", field="to_office")
        liaison = None
        if request.POST.get("liaison"):
            liaison = Liaison.objects.filter(pk=_int(request.POST.get("liaison"), "liaison", "联络员")).first()
        items = list(Item.objects.filter(pk__in=[int(v) for v in request.POST.getlist("items") if v.isascii() and v.isdigit()][:200]))
        agency.hand_off(request.user, _req(project), to_office=to_office, items=items, materials=request.POST.get("materials", ""),
                        method=request.POST.get("method", ""), liaison=liaison)
    return _act(request, code, act, "已转交,接收机构可在本页看到")


@login_required
@require_POST
def handoff_receive(request, code, handoff_id):
    def act(project):
        h = HandOff.objects.filter(pk=handoff_id, request__project=project).select_related("to_office__region", "request").first()
        if h is None:
            raise DomainError("handoff_unknown", "未找到该转交", field="handoff")
        agency.receive_handoff(request.user, h)
    return _act(request, code, act, "已接收转交的事项和材料")


def _date(value, field, label) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "")[:10])
    except ValueError:
        raise DomainError("date", f"请填写{label}(年-月-日)", field=field) from None


@login_required
@require_POST
def meeting(request, code):
    def act(project):
        req = _req(project)
        nodes = []
        for stage in Stage:
            for item in services.stage_items(project, stage.value):
                planned = request.POST.get(f"node_{item.pk}", "")
                if not planned:
                    continue
                office = req.office
                handed = req.handoffs.filter(items=item).select_related("to_office").first()
                if handed:
                    office = handed.to_office
                name = (item.versions.effective().first() or item.versions.order_by("-number").first()).name
                nodes.append({"title": name, "stage": stage.value, "item": item, "department": item.department, "office": office,
                              "planned_on": _date(planned, "nodes", f"“{name}”的计划完成日")})
        departments = list(Department.objects.filter(pk__in=[int(v) for v in request.POST.getlist("departments") if v.isascii() and v.isdigit()][:50]))
        agency.hold_meeting(request.user, req, held_on=_date(request.POST.get("held_on"), "held_on", "会议日期"),
                            place=request.POST.get("place", ""), departments=departments, minutes=request.POST.get("minutes", ""), nodes=nodes)
    return _act(request, code, act, "已召开协调联审会,路线图已生成")


@login_required
@require_POST
def ledger(request, code):
    def act(project):
        agency.log_contact(request.user, _req(project), kind=request.POST.get("kind", ""), note=request.POST.get("note", ""))
    return _act(request, code, act, "已登记台账")


@login_required
@require_POST
def node_done(request, code, node_id):
    def act(project):
        node = RoadmapNode.objects.filter(pk=node_id, request__project=project).select_related("request__office__region").first()
        if node is None:
            raise DomainError("node_unknown", "未找到该节点", field="node")
        agency.complete_node(request.user, node)
    return _act(request, code, act, "节点已完成")


@login_required
def stats(request):
    if not (has_role(request.user, Role.AGENT) or has_role(request.user, Role.SUPERVISOR)):
        raise Http404("未找到")
    data = agency.statistics(request.user)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(agency.statistics_xlsx(data),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="agency-statistics-{data["on"]:%Y%m%d}.xlsx"'
        return response
    return render(request, "projects/stats.html", {"stats": data, "stages": [s.label for s in Stage]})


def progress(request, token):
    """The enterprise's progress page: the address given to it with the agreement (no account needed)."""
    req = AgencyRequest.objects.select_related("project__owner", "office").filter(token=(token or "")[:43]).first()
    if req is None or len(token) < 20:
        raise Http404("未找到")
    project = req.project
    result = forecast.compute(project)
    data = selectors.agency_out(req)
    agents = [m for m in data["team"] if m["role"] == TeamRole.AGENT]
    return render(request, "projects/progress.html", {
        "project": project, "data": selectors.project_out(project), "agency": data, "forecast": result,
        "gantt": forecast.gantt_data(result), "agents": agents, "office": req.office,
    })
