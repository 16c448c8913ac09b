"""The licence library's pages: the public verification page (the QR code's address), the holder's wallet (by its
unguessable address, for the portal to embed), and the staff pages — the issuer's list and licence page (status
changes, new versions), the window's wallet lookup with consent, and reading a licence for a case (加注件)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from tongban.cases.models import Case
from tongban.cases.selectors import is_visible
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import documents, selectors, services
from .models import Licence, LicenceStatus, Use

MAX_PDF = 20 * 1024 * 1024


def verify(request, identifier):
    """Public: genuine and valid now? A PDF can be checked here too (a tampered file fails the seal check)."""
    try:
        licence = services.find_licence(identifier)
    except DomainError as e:
        return render(request, "licences/verify.html", {"error": e.message, "identifier": identifier[:120]}, status=404)
    check = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择要核验的证照 PDF 文件")
        elif upload.size > MAX_PDF:
            messages.error(request, "文件不得超过20MB")
        else:
            check = documents.check_pdf(upload.read())
            check["same_licence"] = check["licence"] is not None and check["licence"].pk == licence.pk
    return render(request, "licences/verify.html", {"licence": licence, "v": selectors.verification(licence), "check": check})


@xframe_options_sameorigin
def holder_wallet(request, token):
    """The holder's own wallet (the portal embeds it after sign-in): licences, reminders, use log, online consent."""
    try:
        holder_id = selectors.holder_of(token)
    except NotFound:
        raise Http404("未找到该证照夹") from None
    if request.method == "POST":
        try:
            licence = services.find_licence(request.POST.get("identifier", ""))
            case = Case.objects.select_related("item__department", "applicant", "item_version").filter(
                number=request.POST.get("case", "").strip()[:40]).first()
            if licence.holder_id != holder_id or case is None or case.applicant.id_number != holder_id:
                raise DomainError("consent_case", "未找到您名下的该办件,请核对办件编号", field="case")
            with transaction.atomic():
                services.grant_consent(None, licence, case=case, reason=request.POST.get("reason", ""), mode="online",
                                       holder_confirmed=True)
            messages.success(request, f"已授权办件{case.number}的承办部门使用您的{licence.licence_type.name}。")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect(request.path)
    return render(request, "licences/wallet.html", {**selectors.wallet(holder_id), "holder_view": True, "token": token})


def holder_file(request, token, identifier):
    """The holder downloads their own sealed licence."""
    try:
        holder_id = selectors.holder_of(token)
        licence = services.find_licence(identifier)
    except DomainError:
        raise Http404("未找到该证照") from None
    if licence.holder_id != holder_id or not licence.file:
        raise Http404("证照文件尚在制作中")
    return FileResponse(licence.file.open("rb"), content_type="application/pdf", filename=f"{licence.number}.pdf")


@login_required
def index(request):
    """Staff: licences of my department(s), searched by identifier, number or holder."""
    q = request.GET.get("q", "").strip()[:120]
    return render(request, "licences/index.html", {
        "licences": selectors.managed_licences(request.user, q), "q": q,
        "is_clerk": has_role(request.user, Role.WINDOW_CLERK),
    })


def _managed(request, identifier) -> Licence:
    try:
        return selectors.managed_licence(request.user, identifier)
    except DomainError:
        raise Http404("未找到该证照") from None


@login_required
def manage(request, identifier):
    licence = _managed(request, identifier)
    return render(request, "licences/manage.html", {
        "licence": licence, "v": selectors.verification(licence), "changes": licence.status_changes.select_related("actor", "case"),
        "uses": licence.uses.select_related("department", "case", "actor")[:50],
        "can_change": licence.status == LicenceStatus.VALID, "statuses": services.STAFF_CHANGES.items(),
        "face_fields": [(f["name"], licence.face.get(f["name"], "")) for f in licence.licence_type.face_fields or []],
    })


def _case_or_none(request, number):
    number = (number or "").strip()[:40]
    if not number:
        return None
    case = Case.objects.filter(number=number).select_related("item__department__region", "applicant", "item_version").first()
    if case is None or not is_visible(request.user, case, staff_only=True):
        raise DomainError("case_unknown", "未找到该办件,或您无权查看", field="case")
    return case


@login_required
@require_POST
def manage_act(request, identifier):
    licence = _managed(request, identifier)
    post = request.POST
    try:
        with transaction.atomic():
            if post.get("action") == "status":
                licence = services.change_status(request.user, licence, status=post.get("status", ""), reason=post.get("reason", ""),
                                                 case=_case_or_none(request, post.get("case")))
                messages.success(request, f"证照状态已变更为“{licence.get_status_display()}”。")
            elif post.get("action") == "version":
                face = {f["name"]: post.get(f"face_{i}", "") for i, f in enumerate(licence.licence_type.face_fields or [])
                        if post.get(f"face_{i}", "").strip() and post.get(f"face_{i}", "").strip() != licence.face.get(f["name"], "")}
                import datetime as dt

                raw = post.get("valid_until", "").strip()
                try:
                    until = dt.date.fromisoformat(raw) if raw else None
                except ValueError:
                    raise DomainError("licence_valid_until", "有效期至应为日期(如 2031-12-31)", field="valid_until") from None
                new = services.new_version(request.user, licence, kind=post.get("kind", ""), reason=post.get("reason", ""), face=face,
                                           valid_until=until, case=_case_or_none(request, post.get("case")))
                messages.success(request, f"已换发第{new.version}版。")
                return redirect("licences:manage", new.identifier)
            else:
                raise DomainError("unknown_action", "未知操作")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("licences:manage", licence.identifier)


@login_required
def manage_file(request, identifier):
    licence = _managed(request, identifier)
    if not licence.file:
        raise Http404("证照文件尚在制作中")
    return FileResponse(licence.file.open("rb"), content_type="application/pdf", filename=f"{licence.number}.pdf")


@login_required
def staff_wallet(request):
    """The window: the holder is present; their wallet, their consent for a case recorded here, their address."""
    if not has_role(request.user, Role.WINDOW_CLERK):
        raise Http404("未找到")
    holder = request.GET.get("holder", "").strip().upper()[:18]
    if request.method == "POST":
        holder = request.POST.get("holder", "").strip().upper()[:18]
        try:
            licence = services.find_licence(request.POST.get("identifier", ""))
            case = _case_or_none(request, request.POST.get("case"))
            if case is None:
                raise DomainError("case_required", "请填写使用证照的办件编号", field="case")
            with transaction.atomic():
                services.grant_consent(request.user, licence, case=case, reason=request.POST.get("reason", ""), mode="window")
            messages.success(request, f"已记录持证人授权:办件{case.number}可使用{licence.licence_type.name}。")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect(f"{reverse('licences:wallet')}?holder={holder}")
    data = selectors.wallet(holder) if holder else None
    if data is not None:
        services.record_wallet_read(request.user, holder)
    return render(request, "licences/wallet.html", {**(data or {}), "holder": holder, "holder_view": False,
                                                      "wallet_link": selectors.wallet_url(holder) if holder else ""})


@login_required
def use(request):
    """Read a holder's licence for a case (the holder consented): logged; the answer is the annotated copy."""
    if request.method == "POST":
        try:
            licence = services.find_licence(request.POST.get("identifier", ""))
            case = _case_or_none(request, request.POST.get("case"))
            if case is None:
                raise DomainError("case_required", "请填写使用证照的办件编号", field="case")
            u = services.use_licence(request.user, licence, case=case, reason=request.POST.get("reason", ""))
            return redirect("licences:use_copy", u.pk)
        except DomainError as e:
            messages.error(request, e.message)
    return render(request, "licences/use.html", {"post": request.POST})


@login_required
def use_copy(request, use_id):
    u = get_object_or_404(Use.objects.select_related("licence__licence_type", "licence__issuer__region", "case", "department"),
                          pk=use_id, allowed=True, purpose=Use.Purpose.READ)
    if not is_visible(request.user, u.case, staff_only=True):
        raise Http404("未找到")
    response = HttpResponse(documents.annotated_copy(u), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{u.licence.number}-copy.pdf"'
    return response
