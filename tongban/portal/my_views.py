"""The applicant's pages (网上办事大厅): sign in, register, apply online, my cases, correct, rate, enterprise page,
the public progress lookup and the kiosk mode. Thin: each form calls the service the API calls."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from tongban.cases import accounts
from tongban.cases import services as case_services
from tongban.cases.models import Notice
from tongban.core import tx
from tongban.core.errors import DomainError, NotFound
from tongban.ratings import selectors as rating_selectors
from tongban.ratings import services as ratings
from tongban.ratings.models import INDICATORS, Level

from . import selectors, services
from .forms import ApplicantLoginForm, RegisterForm
from .models import Draft

KIOSK_COOKIE = "tb_kiosk"


def applicant_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not accounts.is_applicant_account(request.user):
            return redirect(reverse("portal:my_login") + "?next=" + request.path)
        return view(request, *args, **kwargs)
    return wrapped


class ApplicantLogin(auth_views.LoginView):
    template_name = "portal/my_login.html"
    authentication_form = ApplicantLoginForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("portal:my_home")


def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with tx.outer():
                user = services.register_person(id_number=d["id_number"], name=d["name"], phone=d["phone"], password=d["password"])
        except DomainError as e:
            form.add_error({"id_card": "id_number", "id_number": "id_number", "name": "name", "phone": "phone",
                            "password": "password"}.get(e.field, None), e.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "注册成功,已完成实名核验。窗口办理过的办件也会显示在“我的办件”中。")
            return redirect("portal:my_home")
    return render(request, "portal/my_register.html", {"form": form})


def _posted_application(request, fields: list) -> tuple[dict, list, dict]:
    """The application form as posted (one item or a bundle): its fields, the reuse ticks, the delivery choice."""
    form_data = {f: request.POST.get(f"field_{i}", "")[:500] for i, f in enumerate(fields)}
    delivery = {"method": request.POST.get("delivery", "window"), "recipient": request.POST.get("recipient", "")[:40],
                "address": request.POST.get("address", "")[:200], "phone": request.POST.get("mail_phone", "")[:20]}
    return form_data, request.POST.getlist("reuse"), delivery


@applicant_required
def home(request):
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "enterprise":
        try:
            with tx.outer():
                accounts.bind_enterprise(user, credit_code=request.POST.get("credit_code", "")[:40], name=request.POST.get("name", "")[:120])
            messages.success(request, "企业已绑定,您可以以企业名义办事并添加经办人。")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("portal:my_home")
    return render(request, "portal/my_home.html", {
        "person": accounts.person_of(user), "applicants": accounts.applicants_of(user), "cases": list(selectors.my_cases(user)[:50]),
        "drafts": Draft.objects.filter(user=user).select_related("item_version", "applicant")[:20], "inbox": selectors.messages_of(user, 10),
    })


def _files(request, prefix="file_") -> dict:
    return {int(k[len(prefix):]): f for k, f in request.FILES.items() if k.startswith(prefix) and k[len(prefix):].isdigit()}


@applicant_required
def apply(request, code):
    user = request.user
    try:
        version = services.current_version(code)
    except NotFound:
        raise Http404("未找到已发布的事项") from None
    draft = None
    if request.GET.get("draft") or request.POST.get("draft"):
        draft = Draft.objects.filter(pk=_int(request.GET.get("draft") or request.POST.get("draft")), user=user).first()
        if draft is None:
            raise Http404("未找到该草稿")
    try:
        applicant = services.applicant_for(user, request.POST.get("applicant") or request.GET.get("as") or (draft.applicant.id_number if draft else None))
    except NotFound:
        raise Http404("未找到该申请人") from None
    offers = selectors.offers_for(applicant, version)
    fields = list(version.form_fields or [])
    if request.method == "POST":
        form_data, reuse_keys, delivery = _posted_application(request, fields)
        try:
            with tx.outer():
                if request.POST.get("action") == "draft":
                    draft = services.save_draft(user, applicant=applicant, version=version, form_data=form_data, reuse_keys=reuse_keys,
                                                delivery=delivery, draft=draft, files=_files(request),
                                                remove=[int(m) for m in request.POST.getlist("remove_file") if m.isdigit()][:100])
                    kept = draft.files.count()
                    messages.success(request, "已暂存为草稿" + (f",已保存{kept}份材料文件,提交时无需重新上传。" if kept else "。"))
                    return redirect(reverse("portal:apply", args=[code]) + f"?draft={draft.pk}")
                case = services.apply_online(user, applicant=applicant, version=version, form_data=form_data, files=_files(request),
                                             reuse_keys=reuse_keys, delivery=delivery, draft=draft)
            messages.success(request, f"申请已提交,办件编号 {case.number}。窗口工作人员将进行网上预审,结果会通知您。")
            return redirect("portal:my_case", number=case.number)
        except DomainError as e:
            messages.error(request, e.message)
        initial = {"form": form_data, "reuse": reuse_keys, "delivery": delivery}
    else:
        initial = {"form": draft.form_data if draft else {}, "reuse": draft.reuse if draft else [k.key for k in offers],
                   "delivery": draft.delivery if draft else {"method": "window"}}
    offered = {o.material_id: o for o in offers}
    kept = {f.material_id: f for f in draft.files.all()} if draft else {}
    rows = [{"pk": m.pk, "name": m.name, "form": m.get_form_display(), "copies": m.copies, "role": m.role, "offer": offered.get(m.pk),
             "kept": kept.get(m.pk)} for m in version.materials.all()]
    return render(request, "portal/apply.html", {
        "title": version.name, "guide_url": reverse("portal:guide", args=[code]), "fees": list(version.fees.all()),
        "meta": f"{version.item.department.name} · 承诺办结 {version.promised_limit} 个工作日 · {version.get_visits_display()}",
        "applicant": applicant, "applicants": accounts.applicants_of(user), "rows": rows,
        "fields": [(i, f, initial["form"].get(f, "")) for i, f in enumerate(fields)], "chosen": set(initial["reuse"]),
        "delivery": initial["delivery"], "draft": draft, "originals": [m.name for m in version.materials.all() if m.form == "original"],
        "zero_visits": version.visits == 0, "drafts_allowed": True,
    })


@applicant_required
def apply_bundle(request, code):
    """在线办理一件事: the bundle's one form and merged material list; the same service as the API's."""
    user = request.user
    try:
        bundle = services.current_bundle(code)
        applicant = services.applicant_for(user, request.POST.get("applicant") or request.GET.get("as"))
    except NotFound:
        raise Http404("未找到该一件事") from None
    spec = services.bundle_form(bundle)
    if not spec["online"]:
        raise Http404("该一件事不能网上申请")
    offers = services.bundle_offers(applicant, spec)
    fields = spec["form_fields"]
    initial = {"form": {}, "reuse": [o.key for o in offers], "delivery": {"method": "window"}}
    if request.method == "POST":
        form_data, reuse_keys, delivery = _posted_application(request, fields)
        try:
            with tx.outer():
                case = services.apply_bundle_online(user, applicant=applicant, bundle=bundle, form_data=form_data, files=_files(request),
                                                    reuse_keys=reuse_keys, delivery=delivery)
            messages.success(request, f"一件事申请已提交,办件编号 {case.number}(含{len(spec['versions'])}个事项)。窗口工作人员将进行网上预审,结果会通知您。")
            return redirect("portal:my_case", number=case.number)
        except DomainError as e:
            messages.error(request, e.message)
        initial = {"form": form_data, "reuse": reuse_keys, "delivery": delivery}
    offered = {o.material_id: o for o in offers}
    rows = [{"pk": r["id"], "name": r["name"], "form": r["form"], "copies": r["copies"], "role": r["role"], "offer": offered.get(r["id"]),
             "shared_by": r["items"]} for r in spec["materials"]]
    fees = []
    for v in spec["versions"]:
        fees += [f for f in v.fees.all() if f not in fees]
    return render(request, "portal/apply.html", {
        "title": bundle.name, "guide_url": bundle.get_absolute_url(), "fees": fees, "bundle": bundle,
        "meta": f"一件事 · {len(spec['versions'])} 个事项 · 联办承诺 {bundle.promised_limit} 个工作日 · 一表申请、一次提交",
        "applicant": applicant, "applicants": accounts.applicants_of(user), "rows": rows,
        "fields": [(i, f, initial["form"].get(f, "")) for i, f in enumerate(fields)], "chosen": set(initial["reuse"]),
        "delivery": initial["delivery"], "draft": None, "originals": spec["originals"], "zero_visits": spec["zero_visits"],
        "drafts_allowed": False,
    })


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


@applicant_required
def delete_draft(request, pk):
    if request.method != "POST":
        raise Http404()
    draft = Draft.objects.filter(pk=pk, user=request.user).first()
    if draft is None:
        raise Http404("未找到该草稿")
    with tx.outer():
        services.delete_draft(request.user, draft)
    messages.success(request, "草稿已删除")
    return redirect("portal:my_home")


def _my_case(request, number):
    try:
        return selectors.my_case(request.user, number)
    except NotFound:
        raise Http404("未找到该办件") from None


@applicant_required
def case_page(request, number):
    user = request.user
    case = _my_case(request, number)
    if request.method == "POST":
        try:
            with tx.outer():
                if request.POST.get("action") == "correct":
                    files = _files(request)
                    if not files:
                        raise DomainError("supply_empty", "请选择需要补正的材料文件", field="supplied")
                    services.correct_online(user, case, files)
                    messages.success(request, "补正材料已提交。")
                elif request.POST.get("action") == "rate":
                    marks = {code: request.POST.get(f"ind_{code}") for code, _ in INDICATORS["online"] if request.POST.get(f"ind_{code}")}
                    ratings.rate_case(user, case, level=request.POST.get("level"), indicators=marks, comment=request.POST.get("comment", "")[:500])
                    messages.success(request, "感谢您的评价。")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("portal:my_case", number=number)
    rating = rating_selectors.rating_of_case(case)
    return render(request, "portal/my_case.html", {
        **selectors.case_view(case, user), "rating": rating, "handling": getattr(rating, "handling", None) if rating and rating.is_bad else None,
        "levels": Level.choices, "indicators": INDICATORS["online"], "pickup": case_services.pickup_code(case)
        if case.state in ("approved", "denied") else None,
    })


@applicant_required
def notice_pdf(request, number, pk):
    from tongban.cases import notices

    case = _my_case(request, number)
    notice = Notice.objects.filter(pk=pk, case=case).first()
    if notice is None:
        raise Http404("未找到该文书")
    response = HttpResponse(notices.render(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{notice.kind}-{notice.pk}.pdf"'
    return response


@applicant_required
def document_pdf(request, number, pk):
    case = _my_case(request, number)
    doc = case.documents.filter(pk=pk, state="issued").first()
    if doc is None or not doc.file:
        raise Http404("未找到该文书")
    response = HttpResponse(doc.file.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{doc.kind}.pdf"'
    return response


@applicant_required
def enterprise_page(request, code):
    user = request.user
    try:
        enterprise = accounts.enterprise_for(user, code)
    except NotFound:
        raise Http404("未找到该企业") from None
    if request.method == "POST":
        try:
            with tx.outer():
                if request.POST.get("action") == "add_operator":
                    accounts.add_operator(user, enterprise, id_number=request.POST.get("id_number", "")[:18], name=request.POST.get("name", "")[:60])
                    messages.success(request, "经办人已添加")
                elif request.POST.get("action") == "remove_operator":
                    accounts.remove_operator(user, enterprise, _int(request.POST.get("operator")) or 0)
                    messages.success(request, "经办人已移除")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("portal:enterprise", code=code)
    return render(request, "portal/enterprise.html", selectors.enterprise_page(user, enterprise))


def progress(request):
    """办件进度查询: number + name or the last six characters of the ID number; answers only on a match."""
    number, who = request.POST.get("number", "")[:40], request.POST.get("who", "")[:120]
    case = selectors.public_lookup(number, who) if request.method == "POST" else None
    if request.method == "POST" and case is None:
        messages.error(request, "未查到该办件,请核对办件编号和申请人姓名(或证件号码后6位)")
    return render(request, "portal/progress.html", {"found": case, "number": number, "clock": selectors.case_selectors.clock_status(case)
                                                    if case else None})


def kiosk(request):
    """自助终端模式: large type and print buttons, kept in a cookie on the kiosk's browser."""
    target = request.GET.get("next") or "/"
    response = redirect(target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/")
    if request.GET.get("off"):
        response.delete_cookie(KIOSK_COOKIE)
    else:
        response.set_cookie(KIOSK_COOKIE, "1", max_age=365 * 86400, samesite="Lax")
    return response


def _my_payment(request, number, order_no):
    from tongban.cases.models import Payment

    case = _my_case(request, number)
    p = Payment.objects.filter(case=case, order_no=order_no).first()
    if p is None:
        raise Http404("未找到该缴款单")
    return p


@applicant_required
def receipt_pdf(request, number, order_no):
    from tongban.cases import payments

    p = _my_payment(request, number, order_no)
    if p.state != p.State.PAID:
        raise Http404("未缴费的缴款单没有电子票据")
    response = HttpResponse(payments.receipt_pdf(p), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{order_no}.pdf"'
    return response


@applicant_required
def pay(request, number, order_no):
    from tongban.cases import payments

    p = _my_payment(request, number, order_no)
    if p.state != p.State.DUE:
        messages.info(request, "该缴款单已缴费")
        return redirect("portal:my_case", number=number)
    return redirect(payments.backend().pay_url(p))


@applicant_required
def demo_cashier(request, order_no):
    """The demo gateway's cashier (演示收银台): paying here makes the gateway's signed callback, as the real payment
    platform's server would."""
    import json
    import secrets

    from tongban.cases import payments
    from tongban.cases.models import Payment

    p = Payment.objects.select_related("case").filter(order_no=order_no, case__applicant__accounts__user=request.user).first()
    if p is None:
        raise Http404("未找到该缴款单")
    if request.method == "POST" and p.state == p.State.DUE:
        body = json.dumps({"order_no": p.order_no, "amount_fen": p.amount_fen, "status": "paid",
                           "gateway_ref": "DEMO" + secrets.token_hex(8).upper()}).encode()
        gateway = payments.backend()
        with tx.outer():
            payments.gateway_callback(body, gateway.sign(body))
        messages.success(request, f"缴费成功,已开具电子票据。{p.fee_name} ¥{Payment.objects.get(pk=p.pk).amount}")
        return redirect("portal:my_case", number=p.case.number)
    return render(request, "portal/cashier.html", {"p": p})
