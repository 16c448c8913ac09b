"""The clerk workbench (综合受理窗口) and the public progress page. Thin: every act is a service call."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tongban.catalog import selectors as catalog
from tongban.catalog.models import Bundle, Item, PubStatus

from tongban.core.errors import DomainError, NotAllowed
from tongban.org.models import Role, RoleGrant
from tongban.org.scopes import has_role

from . import reuse, selectors, services, transitions
from .models import Case, CaseDocument, CaseMaterial, CaseState, Notice

S = CaseMaterial.Status


def _clerk_window(user):
    g = RoleGrant.objects.filter(user=user, role=Role.WINDOW_CLERK, window__isnull=False).select_related("window").first()
    return g.window if g else None


@login_required
def workbench(request):
    q = request.GET.get("q", "").strip()
    if q:
        case = Case.objects.filter(number=q).first()
        if case and selectors.is_visible(request.user, case):
            return redirect(case)
        messages.error(request, f"没有您可查看的编号为 {q} 的办件")
    count, cases = selectors.visible_cases(request.user)
    todo_count, todo = selectors.visible_cases(
        request.user, states=[CaseState.RECEIVED, CaseState.CORRECTION, CaseState.RETURNED, CaseState.APPROVED, CaseState.DENIED])
    return render(request, "cases/workbench.html", {"cases": cases, "count": count, "todo": todo, "todo_count": todo_count})


@login_required
def new_case(request):
    """Step 1: the applicant (found or registered by ID number / credit code) and the item or bundle."""
    found = []
    q = request.GET.get("item_q", "").strip()
    if q:
        result = catalog.search_all(q, limit=12)
        found = {"items": result["items"], "bundles": result["bundles"]}
    if request.method == "POST":
        try:
            with transaction.atomic():
                target = request.POST.get("target", "")
                item = bundle = None
                if target.startswith("item:"):
                    item = Item.objects.filter(implementation_code=target[5:]).first()
                elif target.startswith("bundle:"):
                    bundle = Bundle.objects.filter(code=target[7:], status=PubStatus.PUBLISHED).first()
                if item is None and bundle is None:
                    raise DomainError("target_required", "请先检索并选择要办理的事项或一件事", field="target")
                services.require_submitter(request.user, (item or bundle).region, "window")  # before the registry is read
                phone, address = request.POST.get("phone", ""), request.POST.get("address", "")
                applicant = services.register_applicant(
                    request.user, kind=request.POST.get("kind", ""), id_number=request.POST.get("id_number", ""),
                    name=request.POST.get("name", ""), phone=phone, address=address,
                )
                case = services.submit_case(request.user, applicant=applicant, item=item, bundle=bundle,
                                            window=_clerk_window(request.user),
                                            contact=services.contact_given(applicant, phone, address))
            messages.success(request, f"已收件:{case.number}。请核对材料。")
            return redirect(case)
        except DomainError as e:
            messages.error(request, e.message)
    return render(request, "cases/new.html", {"found": found, "item_q": q, "post": request.POST})


def _case_for(request, number) -> Case:
    case = get_object_or_404(Case.objects.select_related("item_version", "applicant", "handler", "bundle", "clock"), number=number)
    try:
        selectors.require_visible(request.user, case)
    except NotAllowed:
        raise Http404("未找到该办件") from None  # out of scope answers like a number that does not exist
    return case


def _checklist(case: Case, *, with_offers: bool = False) -> list[dict]:
    cases = [case] if case.item_id else list(case.children.select_related("item_version"))
    have = {(cm.case_id, cm.material_id): cm for c in cases for cm in c.materials.all()}
    offered = {}
    if with_offers:  # 免提交: the applicant's licences and earlier materials that satisfy a material (reuse providers)
        for c in cases:
            for offer in reuse.offers(case.applicant, c.item_version):
                offered.setdefault(offer.material_id, []).append(offer)
    rows, seen = [], set()
    for c in cases:
        for m in c.item_version.materials.all():
            if m.merge_key in seen:
                continue
            seen.add(m.merge_key)
            rows.append({"material": m, "case": c, "current": have.get((c.pk, m.pk)), "offers": offered.get(m.pk, [])})
    return rows


@login_required
def case_detail(request, number):
    case = _case_for(request, number)
    actions = set(transitions.allowed(request.user, case))
    clerks = []
    if "handover" in actions:
        clerks = [u for u in selectors.clerks_of(case) if u.pk != case.handler_id]
    rows = _checklist(case, with_offers=case.state == CaseState.RECEIVED)
    if case.state in (CaseState.RETURNED, CaseState.CORRECTION):  # only what the notice asked for
        shown = [r for r in rows if r["current"] and r["current"].status in (S.MISSING, S.DEFECTIVE)]
    elif case.state != CaseState.RECEIVED:  # after a 容缺 acceptance: only what is outstanding
        shown = [r for r in rows if r["current"] and r["current"].status == S.GAP]
    else:
        shown = rows
    return render(request, "cases/detail.html", {
        "case": case, "rows": rows, "shown_rows": shown, "is_clerk": has_role(request.user, Role.WINDOW_CLERK),
        "ext_left": (case.clock.max_extension_days - case.clock.extended_days) if case.clock_id else 0, "events": case.events.select_related("actor"),
        "notices": case.notices.all(), "documents": selectors.documents_of(case), "children": case.children.select_related("item_version"),
        "actions": actions, "clock": selectors.clock_status(case), "clerks": clerks,
        "corrections": selectors.outstanding_corrections(case) if case.state == CaseState.RETURNED else [],
        "return_notice": selectors.latest_return_notice(case),
        "pickup_code": services.pickup_code(case) if actions & {"deliver"} else "",
        "post_check": getattr(case, "post_check", None) if case.informed_commitment else None,
        "payments": case.payments.order_by("id"), "fees": case.item_version.fees.select_related("fee_entry") if case.item_version_id else [],
    })


def _int(raw: str, field: str, label: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        raise DomainError(field, f"{label}应为整数个工作日", field=field)
    return int(raw)


@login_required
@require_POST
def case_action(request, number):
    """The checklist form and the action buttons (accept / notify / refuse / immediate / supply / deliver …):
    each one service call, the same one the API makes."""
    case = _case_for(request, number)
    action = request.POST.get("action", "")
    rows = _checklist(case)
    picked = {}
    everything = request.POST.get("all_received") == "1"
    for row in rows:
        m = row["material"]
        status = request.POST.get(f"m{m.pk}", "") or ("provided" if everything and not row["current"] else "")
        offer_key = request.POST.get(f"reuse{m.pk}", "")
        if offer_key and ":" in offer_key:  # the applicant's consent, ticked at the window: 免提交
            source, _, reference = offer_key.partition(":")
            picked[m.pk] = {"material": m.pk, "status": S.SHARED, "source": source, "reference": reference, "consent": True}
            continue
        if status:
            picked[m.pk] = {"material": m.pk, "status": status, "reason": request.POST.get(f"r{m.pk}", ""),
                            "file": request.FILES.get(f"f{m.pk}")}
    received = [e for e in picked.values() if e["status"] in CaseMaterial.RECEIVED]
    post = request.POST
    try:
        with transaction.atomic():
            if action == "check":
                services.record_materials(request.user, case, entries=received)
                messages.success(request, "已保存材料核对结果。")
            elif action == "accept":
                services.accept_case(request.user, case, materials=received, gaps=[k for k, e in picked.items() if e["status"] == S.GAP],
                                     gap_days=_int(post.get("gap_days"), "gap_days", "容缺补交期限"),
                                     informed=[k for k, e in picked.items() if e["status"] == S.COMMITMENT])
                messages.success(request, "已受理,可打印受理通知书。")
            elif action == "notify":
                services.notify_missing(request.user, case, materials=received,
                                        items=[e for e in picked.values() if e["status"] in (S.MISSING, S.DEFECTIVE)])
                messages.success(request, "已出具一次性告知书。")
            elif action == "refuse":
                services.refuse_case(request.user, case, reason=post.get("reason", ""))
                messages.success(request, "已作出不予受理决定。")
            elif action == "immediate":
                services.decide_immediately(request.user, case, materials=received, approve=True, note=post.get("note", ""))
                messages.success(request, "即办件已当场办结并交付。")
            elif action == "supply":
                case = services.supply_materials(request.user, case, supplied=received)
                messages.success(request, "已接收补交材料。" + ("补正材料已补齐,审查和计时已恢复。" if case.state == CaseState.ACCEPTED and case.back_office else ""))
            elif action == "deliver":
                services.deliver(request.user, case, method=post.get("method", "window"), received_by=post.get("received_by", ""),
                                 id_checked=post.get("id_checked") == "1", code=post.get("code", ""),
                                 window=_clerk_window(request.user))
                messages.success(request, "结果已送达,办件办结。")
            elif action == "mail":
                services.register_mail(request.user, case, **{k: post.get(k, "") for k in ("recipient", "address", "phone", "courier", "tracking_number")})
                messages.success(request, "已登记免费邮寄。")
            elif action == "mail_delivered":
                services.confirm_mail_delivered(request.user, case)
                messages.success(request, "邮件已签收,办件办结。")
            elif action == "withdraw":
                services.withdraw_case(request.user, case, reason=post.get("reason") or "申请人申请撤回")
                messages.success(request, "申请已撤回。")
            elif action == "extend":
                days = _int(post.get("days"), "days", "延长天数")
                if days is None:
                    raise DomainError("extension_days", "请填写延长的工作日数", field="days")
                services.extend_deadline(request.user, case, days=days, reason=post.get("reason", ""))
                messages.success(request, "已延长审批期限,并出具延长审批期限告知书。")
            elif action == "handover":
                new = selectors.clerk_by_username(case, post.get("handler", ""))
                services.reassign_handler(request.user, case, new, reason=post.get("reason", ""))
                messages.success(request, f"首办负责人已变更为{new}。")
            elif action == "post_check":
                services.record_post_check(request.user, case, passed=post.get("passed") == "1", note=post.get("note", ""))
                messages.success(request, "已记录事后核查结果。")
            elif action == "charge_fee":
                from . import payments

                amount = (post.get("amount") or "").strip()
                try:
                    fen = round(float(amount) * 100) if amount and len(amount) <= 12 else 0
                except ValueError:
                    fen = 0
                payments.charge_fee(request.user, case, fee_code=post.get("fee_code", "")[:30], amount_fen=fen)
                messages.success(request, "已开具缴款通知,申请人可网上缴费或到缴费窗口缴纳。")
            elif action == "paid_at_hall":
                from . import payments
                from .models import Payment

                p = Payment.objects.filter(case=case, order_no=post.get("order_no", "")[:40]).first()
                if p is None:
                    raise DomainError("payment_unknown", "未找到该缴款单", field="order_no")
                payments.paid_at_hall(request.user, p)
                messages.success(request, "已登记缴费。")
            else:
                raise DomainError("unknown_action", "未知操作")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(case)


def _issued_pdf(request, row, filename: str):
    """The stored file of an issued notice or decision; while it is being issued (签发中) a page that says so and
    reloads itself; a document that failed to issue says so too (supervision sees it)."""
    from django.http import FileResponse

    if row.state == "issued" and row.file:
        return FileResponse(row.file.open("rb"), content_type="application/pdf", filename=filename)
    return render(request, "cases/issuing.html", {"row": row, "case": row.case}, status=409 if row.state == "failed" else 202)


@login_required
def notice_pdf(request, number, notice_id):
    case = _case_for(request, number)
    notice = get_object_or_404(Notice, pk=notice_id, case=case)
    return _issued_pdf(request, notice, f"{case.number}-{notice.kind}.pdf")


@login_required
def document_pdf(request, number, doc_id):
    """A sealed decision document, for everyone who may see the case (the exit window prints it)."""
    case = _case_for(request, number)
    doc = get_object_or_404(CaseDocument, pk=doc_id, case=case)
    return _issued_pdf(request, doc, f"{case.number}-{doc.kind}.pdf")


@login_required
def material_file(request, number, material_id):
    """An uploaded material, only for users who may see the case (never from a public media URL)."""
    from django.http import FileResponse

    case = _case_for(request, number)
    cm = get_object_or_404(CaseMaterial, case=case, material_id=material_id)
    if not cm.file:
        raise Http404("该材料没有上传文件")
    # Always a download with the type checked at upload (never inline, never sniffed by the browser).
    from .files import EXTENSIONS

    content_type = cm.content_type if cm.content_type in EXTENSIONS else "application/octet-stream"
    return FileResponse(cm.file.open("rb"), content_type=content_type, as_attachment=True,
                        filename=f"{case.number}-{material_id}{EXTENSIONS.get(content_type, '')}")
