"""Back-office pages: the department inbox and the leader's decision queue. Every act is an engine call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.org.models import Role, RoleGrant
from tongban.org.scopes import has_role

from . import engine, oversight
from .diagram import svg
from .models import CaseStep, StepKind, light_rank


@login_required
def inbox(request):
    return render(request, "workflow/inbox.html", {"steps": oversight.attach_chases(engine.inbox(request.user))})


@login_required
def step_page(request, step_id):
    cs = get_object_or_404(CaseStep.objects.select_related("case__item_version", "step", "department", "claimant"), pk=step_id)
    if not RoleGrant.objects.filter(user=request.user, department=cs.department).exists() and not request.user.is_superuser:
        return render(request, "403.html", {"exception": "该环节不属于您的部门"}, status=403)
    chases = cs.chases.select_related("by_department", "actor")
    return render(request, "workflow/step.html", {"cs": cs, "case": cs.case, "diagram": svg(cs.step.process), "chases": chases})


@login_required
@require_POST
def step_act(request, step_id):
    cs = get_object_or_404(CaseStep, pk=step_id)
    action = request.POST.get("action", "")
    answers = [{"point": p, "answer": request.POST.get(f"a{i}", "")} for i, p in enumerate(cs.step.review_points or [])]
    try:
        with transaction.atomic():
            if action == "claim":
                engine.claim(request.user, cs)
                messages.success(request, "已认领。")
            elif action in ("agree", "disagree", "return"):
                engine.complete(request.user, cs, opinion=action, text=request.POST.get("text", ""), answers=answers)
                messages.success(request, {"agree": "已同意", "disagree": "已提出不同意见", "return": "已退回补正,计时暂停"}[action])
            else:
                raise DomainError("unknown_action", "未知操作")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("workflow:step", step_id=cs.pk)


@login_required
def decisions(request):
    """The leader's queue: cases whose every branch is done, with all opinions side by side."""
    ready = CaseStep.objects.filter(step__kind=StepKind.DECISION, state__in=[CaseStep.State.READY, CaseStep.State.CLAIMED],
                                    department_id__in=RoleGrant.objects.filter(user=request.user, role="bureau_leader").values("department_id"))
    ready = ready.select_related("case", "step").annotate(rank=light_rank("case__")).order_by("rank", "case__deadline", "id")
    rows = [{"cs": cs, "case": cs.case, "opinions": engine.opinions_for_decision(cs.case)} for cs in ready]
    from tongban.cases.models import CaseDocument

    recent = CaseDocument.objects.filter(signed_by=request.user).select_related("case").order_by("-id")[:10]
    previews = [("approval", "准予许可决定书"), ("denial", "不予许可决定书")]
    return render(request, "workflow/decisions.html", {"rows": rows, "recent": recent, "previews": previews})


@login_required
def document(request, doc_id):
    """A sealed decision document, for the leader who signed it and for staff who may see the case."""
    from django.http import FileResponse

    from tongban.cases.selectors import is_visible

    from tongban.cases.models import CaseDocument

    doc = get_object_or_404(CaseDocument.objects.select_related("case"), pk=doc_id)
    if doc.signed_by_id != request.user.pk and not is_visible(request.user, doc.case):
        return render(request, "403.html", {"exception": "无权查看该决定书"}, status=403)
    return FileResponse(doc.file.open("rb"), content_type="application/pdf", filename=f"{doc.case.number}-{doc.kind}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin  # shown in an <iframe> on the queue page
def preview(request, number, kind):
    """The decision document as it would be issued, marked 预览 · 未签发, neither sealed nor stored; only for a
    leader who may decide this case. A POST (the decision form's preview buttons) carries the draft reasons."""
    from .documents import preview_decision

    case = get_object_or_404(Case.objects.select_related("applicant", "region"), number=number)
    step = CaseStep.objects.filter(case=case, step__kind=StepKind.DECISION).select_related("department__region").first()
    if step is None or kind not in ("approval", "denial"):
        raise Http404("该办件没有审批决定环节")
    if not has_role(request.user, Role.BUREAU_LEADER, department=step.department):
        return render(request, "403.html", {"exception": f"仅{step.department.name}负责人可以预览决定书"}, status=403)
    if step.state not in (CaseStep.State.READY, CaseStep.State.CLAIMED):
        return HttpResponse("该办件当前不在待决定状态,无决定书可预览", status=409, content_type="text/plain; charset=utf-8")
    pdf = preview_decision(case, step.department, approve=kind == "approval", note=request.POST.get("note", ""))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{kind}-preview.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def decide(request, number):
    """The decision form of the leader's queue (and, for a promised item without a process, of the case page)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    case = get_object_or_404(Case, number=number)
    try:
        engine.decide(request.user, case, approve=request.POST.get("approve") == "1", note=request.POST.get("note", ""))
        messages.success(request, f"{case.number} 已作出决定,决定书已加盖电子印章。")
    except DomainError as e:
        messages.error(request, e.message)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("workflow:decisions")
