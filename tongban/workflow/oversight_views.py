"""Oversight pages: a case's timeline, the lead department's board with its chase action, and the list of
red steps escalated to department heads and supervisors with a reassign form. Every act is a service call
(oversight.chase, engine.reassign), the same the API makes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tongban.cases.models import Case
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Role, RoleGrant, User

from . import engine, oversight
from .models import CaseStep
from .timeline import can_see, timeline

OVERSIGHT_ROLES = [Role.BUREAU_LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN]


def _forbidden(request, why: str):
    return render(request, "403.html", {"exception": why}, status=403)


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
def case_timeline(request, number):
    case = get_object_or_404(Case.objects.select_related("clock", "applicant"), number=number)
    if not can_see(request.user, case):
        raise Http404("未找到该办件")  # out of scope answers like a number that does not exist
    try:
        data = timeline(case)
    except NotFound:
        data = {"no_process": True}
    return render(request, "workflow/timeline.html", {"case": case, **data})


@login_required
def lead(request):
    return render(request, "workflow/lead.html", {"rows": oversight.lead_board(request.user)})


@login_required
@require_POST
def chase(request, step_id):
    cs = get_object_or_404(CaseStep.objects.select_related("case", "step", "department"), pk=step_id)
    if not can_see(request.user, cs.case):
        raise Http404("未找到该环节")  # out of scope answers like a step that does not exist
    try:
        oversight.chase(request.user, cs, note=request.POST.get("note", ""))
        messages.success(request, f"已催办{cs.department}的“{cs.step.name}”({cs.case.number})。")
    except DomainError as e:
        messages.error(request, e.message)
    return _back(request, "workflow:lead")


@login_required
def escalations(request):
    if not (request.user.is_superuser or RoleGrant.objects.filter(user=request.user, role__in=OVERSIGHT_ROLES).exists()):
        return _forbidden(request, "仅部门负责人和督查人员可以查看超期督办")
    steps = oversight.escalations(request.user)
    candidates = oversight.reassign_candidates(steps)
    for cs in steps:
        cs.candidates = candidates[cs.pk]
    return render(request, "workflow/escalations.html", {"steps": steps})


@login_required
@require_POST
def reassign(request, step_id):
    cs = get_object_or_404(CaseStep.objects.select_related("case", "step", "department"), pk=step_id)
    if not can_see(request.user, cs.case):
        raise Http404("未找到该环节")  # out of scope answers like a step that does not exist
    if not oversight.is_escalated_to(request.user, cs):
        messages.error(request, "该环节不在您的超期督办范围内")
        return redirect("workflow:escalations")
    picked = request.POST.get("reviewer", "")
    reviewer = User.objects.filter(pk=int(picked)).first() if (picked.isascii() and picked.isdigit()) else None
    try:
        if reviewer is None:
            raise DomainError("reviewer_unknown", "请选择改派对象", field="reviewer")
        engine.reassign(request.user, cs, reviewer, reason=request.POST.get("reason", ""))
        messages.success(request, f"{cs.case.number}“{cs.step.name}”已改派给{reviewer}。")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("workflow:escalations")
