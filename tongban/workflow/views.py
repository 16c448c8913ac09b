"""Back-office pages: the department inbox and the leader's decision queue. Every act is an engine call."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.utils import timezone
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from tongban.cases.models import Case
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Role, RoleGrant
from tongban.org.scopes import grants, has_role

from . import engine, oversight
from .diagram import svg
from .models import CaseStep, StepKind, light_rank


@login_required
def inbox(request):
    f = request.GET.get("filter", "all")
    light = request.GET.get("light") if request.GET.get("light") in ("red", "yellow", "green") else None
    raw = request.GET.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1
    steps = engine.inbox(request.user, mine=f == "mine", unclaimed=f == "unclaimed", light=light, page=page, limit=PER_PAGE + 1)
    return render(request, "workflow/inbox.html", {
        "steps": oversight.attach_chases(steps[:PER_PAGE]), "filter": f, "light": light or "", "page": page,
        "has_next": len(steps) > PER_PAGE, "is_leader": bool(grants(request.user, Role.BUREAU_LEADER)),
        "filters": [("all", "全部"), ("unclaimed", "待认领"), ("mine", "我办理中")],
        "lights": [("", "全部"), ("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯")],
    })


PER_PAGE = 30


def _visible_step(request, step_id) -> CaseStep:
    from tongban.cases.selectors import is_visible

    cs = get_object_or_404(CaseStep.objects.select_related("case__item_version", "case__applicant", "step__process", "department", "claimant"),
                           pk=step_id)
    if not is_visible(request.user, cs.case, staff_only=True):
        raise Http404("未找到该环节")
    return cs


@login_required
def step_page(request, step_id):
    """What a reviewer needs on one page: the applicant (masked), every material with its files and the
    window's checklist, the review points to answer 符合/不符合, the diagram with this step marked, the clock."""
    cs = _visible_step(request, step_id)
    case = cs.case
    chases = cs.chases.select_related("by_department", "actor")
    steps = list(CaseStep.objects.filter(case=case).select_related("step"))
    done = {s.step.code for s in steps if s.state == CaseStep.State.DONE}
    can_claim = cs.state == CaseStep.State.READY and cs.step.kind not in (StepKind.JOINT_INSPECTION, StepKind.DECISION) \
        and has_role(request.user, cs.step.role, department=cs.department)
    can_act = cs.state == CaseStep.State.CLAIMED and cs.claimant_id == request.user.pk and cs.step.kind != StepKind.JOINT_INSPECTION
    joint_department = engine.joint_member_department(request.user, cs) if cs.step.kind == StepKind.JOINT_INSPECTION \
        and cs.state in (CaseStep.State.READY, CaseStep.State.CLAIMED) else None
    guide = list(case.item_version.materials.all()) if case.item_version_id else []
    have = {cm.material_id: cm for cm in case.materials.all()}
    return render(request, "workflow/step.html", {
        "cs": cs, "case": case, "chases": chases, "can_claim": can_claim, "can_act": can_act, "joint_department": joint_department,
        "diagram": svg(cs.step.process, current=cs.step.code, done=done),
        "materials": [{"m": m, "cm": have.get(m.pk)} for m in guide],
        "joint": cs.joint_opinions.select_related("department", "actor") if cs.step.kind == StepKind.JOINT_INSPECTION else [],
        "joint_members": list(cs.step.joint_departments.all()) if cs.step.kind == StepKind.JOINT_INSPECTION else [],
        "points": list(enumerate(cs.step.review_points or [])), "given": {a.get("point"): a for a in cs.answers or []},
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def step_act(request, step_id):
    cs = _visible_step(request, step_id)
    action = request.POST.get("action", "")
    post = request.POST
    answers = [{"point": p, "answer": post.get(f"a{i}", ""), "note": post.get(f"n{i}", "")} for i, p in enumerate(cs.step.review_points or [])]
    answers = [a for a in answers if a["answer"] or a["note"]]
    try:
        with transaction.atomic():
            if action == "claim":
                engine.claim(request.user, cs)
                messages.success(request, "已认领。")
            elif action in ("agree", "disagree"):
                engine.complete(request.user, cs, opinion=action, text=post.get("text", ""), answers=answers)
                messages.success(request, {"agree": "已同意", "disagree": "已提出不同意见"}[action])
            elif action == "return":
                picked = [{"material": int(k[2:]), "status": post.get(k), "reason": post.get(f"rr{k[2:]}", "")}
                          for k in post if k.startswith("rm") and k[2:].isdigit() and post.get(k) in ("missing", "defective")]
                engine.complete(request.user, cs, opinion="return", text=post.get("text", ""), answers=answers, materials=picked)
                messages.success(request, "已退回补正:已出具补正告知书,办件计时暂停,窗口收齐材料后自动恢复。")
            elif action == "joint":
                raw = post.get("inspected_on", "").strip()
                try:
                    inspected = dt.date.fromisoformat(raw) if raw else None
                except ValueError:
                    raise DomainError("inspected_on", "踏勘日期格式应为 YYYY-MM-DD", field="inspected_on") from None
                engine.joint_opinion(request.user, cs, opinion=post.get("opinion", ""), text=post.get("text", ""), inspected_on=inspected,
                                     place=post.get("place", ""), participants=post.get("participants", ""), file=request.FILES.get("file"))
                messages.success(request, "已提交本部门联合踏勘意见。")
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
    if doc.signed_by_id != request.user.pk and not is_visible(request.user, doc.case, staff_only=True):
        raise Http404("未找到该决定书")
    if doc.state != CaseDocument.State.ISSUED:  # 签发中 / 签发失败: the case page's exit says which
        return redirect("cases:document", doc.case.number, doc.pk)
    return FileResponse(doc.file.open("rb"), content_type="application/pdf", filename=f"{doc.case.number}-{doc.kind}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin  # shown in an <iframe> on the queue page
def preview(request, number, kind):
    """The decision document as it would be issued, marked 预览 · 未签发, neither sealed nor stored; only for a
    leader who may decide this case. A POST (the decision form's preview buttons) carries the draft reasons."""
    from .documents import preview_decision

    from tongban.cases.selectors import is_visible

    case = get_object_or_404(Case.objects.select_related("applicant", "region"), number=number)
    if not is_visible(request.user, case, staff_only=True):
        raise Http404("未找到该办件")
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

    from tongban.cases.selectors import is_visible

    case = get_object_or_404(Case, number=number)
    if not is_visible(request.user, case, staff_only=True):
        raise Http404("未找到该办件")
    try:
        engine.decide(request.user, case, approve=request.POST.get("approve") == "1", note=request.POST.get("note", ""))
        messages.success(request, f"{case.number} 已作出决定;决定书正在后台生成并加盖电子印章(签发中),几秒钟后可在办件页打印。")
    except DomainError as e:
        messages.error(request, e.message)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("workflow:decisions")


@login_required
@require_POST
def retry_document(request, kind, pk):
    """签发失败的文书: a supervisor puts it back on the queue (from the supervision dashboard)."""
    from .issuing import retry

    try:
        retry(request.user, kind, pk)
        messages.success(request, "已重新加入签发队列")
    except NotFound:
        raise Http404("未找到该文书,或您无权处理")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("supervision:dashboard")
