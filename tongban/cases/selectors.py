from django.conf import settings
from django.db.models import Q

from tongban.core.errors import NotAllowed
from tongban.core.paging import clamp_page
from tongban.org.models import Role, RoleGrant

from . import transitions
from .models import Case, CaseMaterial

PAGE = 20


def case_out(case: Case, user=None) -> dict:
    from .decisions import pickup_code

    """The API's view of a case, from the object in hand (its applicant, handler and version are read only
    when not already loaded); personal data masked."""
    from tongban.catalog.selectors import guide_materials

    statuses = dict(CaseMaterial.Status.choices)
    guide = guide_materials(case.item_version) if case.item_version_id else {}
    rows = list(case.materials.values_list("material_id", "status", "reason", "reference"))
    if any(m not in guide for m, *_ in rows):  # a bundle's parent lists nothing of its own; be safe anyway
        from tongban.catalog.models import Material

        guide = {**guide, **Material.objects.in_bulk([m for m, *_ in rows if m not in guide])}
    rows.sort(key=lambda r: (guide[r[0]].order, r[0]))
    is_parent = bool(case.bundle_id and not case.item_id)
    return {
        "number": case.number, "title": case.title, "state": case.state, "state_name": case.get_state_display(),
        "applicant": case.applicant.name, "applicant_id": case.applicant.masked_id, "applicant_phone": case.applicant.masked_phone,
        "channel": case.channel, "received_on": case.received_on, "accepted_on": case.accepted_on, "deadline": case.deadline,
        "light": case.light, "handler": str(case.handler) if case.handler_id else None,
        "handler_phone": (case.handler.phone or "12345") if case.handler_id else None, "gap_open": case.gap_open,
        "visits": case.visits, "children": list(case.children.values_list("number", flat=True)) if is_parent else [],
        "materials": [
            {"material": m, "name": guide[m].name, "status": st, "status_name": statuses.get(st, st), "reason": reason,
             "reference": reference}
            for m, st, reason, reference in rows
        ],
        "url": settings.SITE_URL + case.get_absolute_url(),
        "back_office": case.back_office,
        "clock_paused": bool(case.clock_id and case.clock.state == "paused"),
        "corrections": outstanding_corrections(case) if case.state == "returned" else [],
        "actions": (actions := transitions.allowed(user, case) if user is not None else []),
        "pickup_code": pickup_code(case) if "deliver" in actions else None,
        "registry_check": registry_check_out(case),
    }


def registry_check_out(case: Case) -> dict | None:
    """The base registries' answer at intake, without the registered name (the clerk sees it on the page)."""
    check = case.registry_check or {}
    if not check:
        return None
    return {"ok": bool(check.get("ok")), "found": bool(check.get("found")), "message": check.get("message", ""),
            "checked_on": check.get("checked_on")}


# Apps above cases widen what a department-bound grant sees (the back office: cases with a step of the
# department). Each entry takes a grant and returns a Q over Case; registered in the app's ready().
SCOPE_EXTENSIONS: list = []

CASE_ROLES = [Role.WINDOW_CLERK, Role.REVIEWER, Role.BUREAU_LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN, Role.AGENT]


def _scope(user, staff_only: bool = False) -> Q:
    """Cases a user may see: clerks, leaders and supervisors their region's; department-bound grants only
    their department's items; an agent only the cases under their own mandates."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    roles = [r for r in CASE_ROLES if r != Role.AGENT] if staff_only else CASE_ROLES
    for g in RoleGrant.objects.filter(user=user, role__in=roles).select_related("region"):
        if g.role == Role.AGENT:
            q |= Q(mandate__agent_user=user)
        elif g.department_id:
            q |= Q(item__department_id=g.department_id) | Q(children__item__department_id=g.department_id)
            for extend in SCOPE_EXTENSIONS:
                q |= extend(g)
        else:
            q |= Q(region__path__startswith=g.region.path)
    return q


def is_visible(user, case: Case, *, staff_only: bool = False) -> bool:
    """Whether `user` may see `case`; `staff_only` leaves out agents (帮代办员), who see their mandates' cases but
    not the back office's internal opinions."""
    return Case.objects.filter(_scope(user, staff_only), pk=case.pk).exists()


def visible_cases(user, *, state: str | None = None, states=None, page: int = 1):
    """(how many, one page of them) — the count is of all the user may see, not of the page."""
    qs = Case.objects.filter(_scope(user)).distinct().select_related("item_version", "applicant", "handler", "bundle")
    if state:
        qs = qs.filter(state=state)
    if states:
        qs = qs.filter(state__in=states)
    qs = qs.order_by("-id")
    page = clamp_page(page)
    return qs.count(), list(qs[(page - 1) * PAGE : page * PAGE])


def require_visible(user, case: Case) -> None:
    if not is_visible(user, case):
        raise NotAllowed("您无权查看该办件")



def clock_status(case: Case) -> dict | None:
    if not case.clock_id:
        return None
    from tongban.workcal.clocks import status

    return status(case.clock)


def documents_of(case: Case) -> list:
    """The sealed decision documents of a case, newest first (from a prefetched list when the caller made one)."""
    return sorted(case.documents.all(), key=lambda d: d.pk, reverse=True)


def latest_return_notice(case: Case):
    """The notice of the latest back-office return (退回补正), if the case has one (from a prefetched list of the
    case's notices when the caller made one: a case has a handful)."""
    from .models import Notice

    returns = [n for n in case.notices.all() if n.kind == Notice.Kind.MISSING and "by_step" in (n.data or {})]
    return max(returns, key=lambda n: (n.round, n.pk)) if returns else None


def clerks_of(case: Case) -> list:
    """Window clerks who may take the case over as its responsible person (首办负责), in the case's region."""
    from tongban.org.models import User

    parts = case.region.path.strip("/").split("/")
    paths = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]  # the case's region and those above it
    grants = RoleGrant.objects.filter(role=Role.WINDOW_CLERK, region__path__in=paths)
    return list(User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("username"))


def clerk_by_username(case: Case, username: str):
    """A clerk of the case's region by user name; unknown and out-of-scope names answer alike."""
    from tongban.core.errors import DomainError

    for user in clerks_of(case):
        if user.username == (username or "").strip():
            return user
    raise DomainError("reassign_target", "新的首办负责人须为本区域在岗的窗口工作人员", field="handler")


def outstanding_corrections(case: Case) -> list[str]:
    """Names of what the latest back-office return asked for and the window has not yet received."""
    notice = latest_return_notice(case)
    if notice is None:
        return []
    have = dict(case.materials.values_list("material_id", "status"))
    named = zip(notice.data.get("material_ids", []), [i["name"] for i in notice.data.get("items", [])])
    return [name for mid, name in named if have.get(mid) not in CaseMaterial.RECEIVED]
