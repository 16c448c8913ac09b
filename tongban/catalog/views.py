import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tongban.core.errors import DomainError
from tongban.core.paging import clamp_page
from tongban.core.qr import qr_svg
from tongban.org.models import Department, Level, Region, Role
from tongban.org.scopes import has_role
from tongban.workflow.definitions import effective_process
from tongban.workflow.diagram import outline

from . import excel, selectors, services
from .models import Bundle, Item, ItemVersion, PubStatus, ServiceObject, Topic, in_force

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CITY_CODE = "370800"


def _home_region():
    return Region.objects.filter(level=Level.CITY, items__isnull=False).distinct().order_by("code").first()


def home(request):
    today = timezone.localdate()
    effective = Q(items__versions__status=PubStatus.PUBLISHED) & in_force(today, "items__versions__")
    region = _home_region()
    departments = (
        Department.objects.filter(region=region).annotate(n=Count("items", filter=effective, distinct=True)).filter(n__gt=0)
        if region else Department.objects.none()
    )
    topics = Topic.objects.annotate(n=Count("item_versions", distinct=True)).order_by("kind", "order")
    return render(request, "catalog/home.html", {
        "region": region,
        "departments": departments,
        "person_topics": [t for t in topics if t.kind == Topic.Kind.PERSON],
        "enterprise_topics": [t for t in topics if t.kind == Topic.Kind.ENTERPRISE],
        "bundles": selectors.published_bundles()[:12],
        "levels": [(Level.CITY, "市级事项"), (Level.COUNTY, "县级事项"), (Level.TOWN, "乡镇(街道)事项")],
        "item_count": ItemVersion.objects.effective().count(),
    })


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def catalogue(request):
    q = request.GET.get("q", "").strip()
    level = _int(request.GET.get("level"))
    department_id = _int(request.GET.get("department"))
    topic = request.GET.get("topic") or None
    obj = request.GET.get("object") if request.GET.get("object") in ServiceObject.values else None
    page = clamp_page(request.GET.get("page"))
    count, versions = selectors.item_page(q=q, level=level, department_id=department_id, topic=topic, service_object=obj, page=page)
    pages = Paginator(range(count), selectors.PAGE_SIZE).get_page(page) if count else None
    title = "事项目录"
    if department_id:
        dept = Department.objects.filter(pk=department_id).first()
        title = dept.name if dept else title
    elif topic:
        t = Topic.objects.filter(code=topic).first()
        title = f"{t.get_kind_display()} · {t.name}" if t else title
    elif level:
        title = dict(Level.choices).get(level, title) + "事项"
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "catalog/catalogue.html", {
        "title": title, "versions": versions, "count": count, "pages": pages, "q": q, "query_string": params.urlencode(),
    })


SEARCH_PAGE_SIZE = 30
REGION_COOKIE = "tb_region"


def _search_region(request) -> Region | None:
    """The region whose items come first: the one chosen in the switcher (kept in a cookie), else the region
    of the user's first grant, else none."""
    code = request.GET.get("region")
    if code is None:
        code = request.COOKIES.get(REGION_COOKIE)
    if code:
        return Region.objects.filter(code=code).first()
    if request.user.is_authenticated:
        grant = request.user.grants.select_related("region").order_by("id").first()
        return grant.region if grant else None
    return None


def search_page(request):
    q = request.GET.get("q", "").strip()[:100]
    page = max(1, _int(request.GET.get("page"), 1))
    region = _search_region(request)
    result = selectors.search_all(q, SEARCH_PAGE_SIZE, page=page, prefer=region) if q else {"bundles": [], "items": [], "count": 0}
    pages = Paginator(range(result["count"]), SEARCH_PAGE_SIZE).get_page(page) if result["count"] else None
    response = render(request, "catalog/search.html", {
        "q": q, **result, "pages": pages, "region": region, "regions": selectors.search_regions(),
    })
    if "region" in request.GET:
        response.set_cookie(REGION_COOKIE, request.GET["region"][:12], max_age=365 * 86400, samesite="Lax")
    return response


def guide_page(request, code):
    number = _int(request.GET.get("v"))
    version = selectors.guide(code, number)
    if version is None:
        raise Http404("未找到已发布的事项")
    url = settings.SITE_URL + version.item.get_absolute_url()
    history = version.item.versions.filter(status=PubStatus.PUBLISHED).order_by("-number")
    bundles = Bundle.objects.filter(status=PubStatus.PUBLISHED, entries__item=version.item)
    process = effective_process(version.item) if number is None else None  # the process cases accepted today run on
    return render(request, "catalog/guide.html", {
        "v": version, "item": version.item, "qr": qr_svg(url, scale=3, title="手机扫码查看办事指南"), "qr_url": url,
        "history": history, "bundles": bundles, "is_current": number is None, "process": outline(process) if process else None,
        "can_edit": request.user.is_authenticated and has_role(request.user, Role.CATALOG_ADMIN, department=version.item.department),
    })


def bundle_page(request, code):
    bundle = get_object_or_404(Bundle, code=code, status=PubStatus.PUBLISHED)
    url = settings.SITE_URL + bundle.get_absolute_url()
    return render(request, "catalog/bundle.html", {**selectors.bundle_guide(bundle), "qr": qr_svg(url, scale=3, title="手机扫码查看")})


def delegation_page(request):
    city = Region.objects.filter(code=request.GET.get("region") or CITY_CODE, level=Level.CITY).first() or _home_region()
    if city is None:
        raise Http404("没有设区市")
    return render(request, "catalog/delegation.html", {"report": selectors.delegation_report(city)})


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
