"""Read queries the pages and the API share: which projects a user sees, and a project as data."""

from django.db.models import Q

from tongban.core.errors import NotFound
from tongban.org.models import Role, RoleGrant

from . import agency
from .codes import describe
from .models import PreApproval, Project, Stage

REGION_ROLES = [Role.WINDOW_CLERK, Role.AGENT, Role.SUPERVISOR, Role.SYSTEM_ADMIN]


def visible_projects(user):
    """Clerks, agents and supervisors see the projects of their region; agents of an office handed items of a
    project see that project too (both sides of a hand-off)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    q = Q(pk__in=[])
    for g in RoleGrant.objects.filter(user=user, role__in=REGION_ROLES, department__isnull=True).select_related("region"):
        q |= Q(region__path__startswith=g.region.path)
        if g.role == Role.AGENT:
            q |= Q(agency__handoffs__to_office__region__path__startswith=g.region.path)
    return Project.objects.filter(q).distinct()


def project_for(user, code: str) -> Project:
    """A project the user may see; unknown and out-of-scope codes answer the same 404."""
    project = visible_projects(user).select_related("owner", "region").filter(code=(code or "").strip()[:24]).first()
    if project is None:
        raise NotFound("未找到该投资项目,或您无权查看")
    return project


def cases_of(project: Project) -> list[dict]:
    pre = {p.case_id: p for p in PreApproval.objects.filter(project=project).select_related("prerequisite")}
    out = []
    for link in project.links.select_related("case__item_version", "case__item__department").order_by("stage", "case_id"):
        c = link.case
        p = pre.get(c.pk)
        out.append({
            "number": c.number, "stage": link.stage, "stage_name": Stage(link.stage).label, "item": c.title,
            "department": c.item.department.name if c.item_id else "", "state": c.state, "state_name": c.get_state_display(),
            "received_on": c.received_on, "accepted_on": c.accepted_on, "deadline": c.deadline, "decided_on": c.decided_on,
            "light": c.light, "channel": c.get_channel_display(),
            "pre_approval": {"state": p.state, "state_name": p.get_state_display(), "prerequisite": p.prerequisite.number,
                             "missing": p.missing, "issued_on": p.issued_on, "formal_on": p.formal_on} if p else None,
        })
    return out


def project_out(project: Project) -> dict:
    runs = {r.stage: r for r in project.stage_runs.all()}
    return {
        "code": project.code, "code_parts": describe(project.code), "name": project.name, "owner": project.owner.name,
        "owner_credit_code": project.owner.masked_id, "region": project.region.name, "site": project.site, "kind": project.kind,
        "kind_name": project.get_kind_display(), "investment": project.investment, "land_area": project.land_area,
        "floor_area": project.floor_area, "major": project.major, "stage": project.stage, "stage_name": project.get_stage_display(),
        "completed_on": project.completed_on, "forecast_end": project.forecast_end,
        "stages": [{"stage": s.value, "name": s.label, "state": runs[s.value].state if s.value in runs else "not_applied",
                    "state_name": runs[s.value].get_state_display() if s.value in runs else "未申报",
                    "applied_on": runs[s.value].applied_on if s.value in runs else None,
                    "completed_on": runs[s.value].completed_on if s.value in runs else None} for s in Stage],
        "cases": cases_of(project),
    }


def agency_out(request) -> dict:
    agreement = getattr(request, "agreement", None)
    return {
        "office": request.office.name, "state": request.state, "state_name": request.get_state_display(),
        "requested_on": request.requested_on, "contact_name": request.contact_name[:1] + "**" if request.contact_name else "",
        "agreement": {"signed_on": agreement.signed_on, "items": [str(i) for i in agreement.items.all()],
                      "rights_duties": agreement.rights_duties} if agreement else None,
        "team": [{"user": str(m.user), "role": m.role, "role_name": m.get_role_display()} for m in request.team.select_related("user")],
        "handoffs": [{"id": h.pk, "from_office": h.from_office.name, "to_office": h.to_office.name, "items": [str(i) for i in h.items.all()],
                      "materials": h.materials, "method": h.get_method_display(), "handed_on": h.handed_on,
                      "liaison": f"{h.liaison.get_kind_display()} {h.liaison.user}" if h.liaison_id else "", "received_on": h.received_on}
                     for h in request.handoffs.select_related("from_office", "to_office", "liaison__user")],
        "roadmap": [{"id": n.pk, "order": n.order, "stage": n.stage, "title": n.title, "office": n.office.name,
                     "department": n.department.name if n.department_id else "", "planned_on": n.planned_on, "done_on": n.done_on,
                     "on_time": n.on_time} for n in request.nodes.select_related("office", "department")],
        "ledger": [{"kind": e.kind, "kind_name": e.get_kind_display(), "on": e.on, "actor": str(e.actor), "office": e.office.name,
                    "note": e.note} for e in request.ledger.select_related("actor", "office")],
        "agent_visits": request.ledger.filter(kind="visit").count(), "agent_calls": request.ledger.filter(kind="call").count(),
        "enterprise_visits": agency.enterprise_visits(request),
    }
