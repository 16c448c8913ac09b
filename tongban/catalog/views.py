import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tongban.core.errors import DomainError
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import excel, selectors, services
from .models import Item

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

def _require_catalog_admin(request):
    if not has_role(request.user, Role.CATALOG_ADMIN):
        raise DomainError("forbidden", "仅事项管理员可以导入导出事项目录")


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    report = None
    try:
        _require_catalog_admin(request)
    except DomainError as e:
        return render(request, "catalog/import.html", {"error": e.message}, status=403)
    mode = request.POST.get("mode", "all")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择要导入的 Excel 文件(.xlsx)")
            return redirect("catalog:import")
        report = excel.import_workbook(request.user, upload, mode=mode)
        status = 200 if report.ok or report.written else 400
        return render(request, "catalog/import.html", {"report": report, "modes": excel.MODES, "mode": mode}, status=status)
    return render(request, "catalog/import.html", {"report": report, "modes": excel.MODES, "mode": mode})


@login_required
def template_view(request):
    try:
        _require_catalog_admin(request)
    except DomainError as e:
        return HttpResponse(e.message, status=403, content_type="text/plain; charset=utf-8")
    response = HttpResponse(excel.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E4%BA%8B%E9%A1%B9%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    return response


@login_required
def export_view(request):
    try:
        _require_catalog_admin(request)
    except DomainError as e:
        return HttpResponse(e.message, status=403, content_type="text/plain; charset=utf-8")
    data = excel.export_workbook()
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="catalogue-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def drafts_page(request):
    """草稿审核发布: the drafts the user may publish, published together from one effective date, or as a
    same-day correction (更正) of the version published today."""
    try:
        _require_catalog_admin(request)
    except DomainError as e:
        return render(request, "catalog/drafts.html", {"error": e.message}, status=403)
    drafts = selectors.drafts_for(request.user, q=request.GET.get("q", "").strip())
    preselect = {int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()}
    if preselect:  # from the admin's "publish the selected drafts" action
        drafts = drafts.filter(pk__in=preselect)
    result = None
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("version") if i.isdigit()]
        if request.POST.get("all_matching"):  # every draft the filter shows, on every page
            chosen = list(selectors.drafts_for(request.user, q=request.POST.get("q", "").strip()))
        else:
            chosen = list(selectors.drafts_for(request.user).filter(pk__in=ids))
        correction = request.POST.get("correction", "").strip() if request.POST.get("as_correction") else ""
        valid_from = None
        if not chosen:
            messages.error(request, "请勾选要发布的草稿")
        elif request.POST.get("valid_from") and not correction:
            try:
                valid_from = dt.date.fromisoformat(request.POST["valid_from"])
            except ValueError:
                messages.error(request, "生效日期格式应为 YYYY-MM-DD")
                chosen = []
        if request.POST.get("as_correction") and not correction:
            messages.error(request, "更正须填写更正原因")
            chosen = []
        if chosen:
            if correction:
                done, failed = [], []
                for v in chosen:
                    try:
                        done.append(services.publish_version(request.user, v, correction=correction))
                    except DomainError as e:
                        failed.append({"name": v.name, "message": e.message})
            else:
                done, failed = services.publish_drafts(request.user, chosen, valid_from)
            result = {"done": done, "failed": failed, "correction": bool(correction)}
            drafts = selectors.drafts_for(request.user, q=request.GET.get("q", "").strip())
    page = Paginator(drafts, 100).get_page(request.GET.get("page"))
    return render(request, "catalog/drafts.html", {
        "page": page, "result": result, "today": timezone.localdate(), "q": request.GET.get("q", ""), "preselect": preselect,
    })


@login_required
@require_http_methods(["POST"])
def new_draft_view(request, code):
    """A new draft from the item's own page (guide or admin): then edited in the admin."""
    item = get_object_or_404(Item, implementation_code=code)
    try:
        draft = services.new_draft(request.user, item)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect(item.get_absolute_url())
    return redirect(reverse("admin:catalog_itemversion_change", args=[draft.pk]))
