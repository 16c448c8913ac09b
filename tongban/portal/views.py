"""The public pages (一网通办 portal): home, catalogue, search, service guides, bundles, the 市县同权 report and
the progress page behind the QR code on every notice. Anyone may open them; nothing here changes anything.
The applicant's own account (issue: Portal) will live here too."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from tongban.cases import selectors as case_selectors
from tongban.cases import services as case_services
from tongban.cases.models import Case, CaseState
from tongban.catalog import selectors
from tongban.catalog.models import Bundle, ItemVersion, PubStatus, ServiceObject, Topic, in_force
from tongban.core.paging import clamp_page
from tongban.core.qr import qr_svg
from tongban.org.models import Department, Level, Region, Role
from tongban.org.scopes import has_role
from tongban.workflow.definitions import effective_process
from tongban.workflow.diagram import outline

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
    return render(request, "portal/home.html", {
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
    return render(request, "portal/catalogue.html", {
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
    response = render(request, "portal/search.html", {
        "q": q, **result, "pages": pages, "region": region, "regions": selectors.search_regions(),
    })
    if "region" in request.GET:  # only a region that exists is remembered (a cookie carries nothing else)
        if region is not None:
            response.set_cookie(REGION_COOKIE, region.code, max_age=365 * 86400, samesite="Lax")
        else:
            response.delete_cookie(REGION_COOKIE)
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
    return render(request, "portal/guide.html", {
        "v": version, "item": version.item, "qr": qr_svg(url, scale=3, title="手机扫码查看办事指南"), "qr_url": url,
        "history": history, "bundles": bundles, "is_current": number is None, "process": outline(process) if process else None,
        "can_edit": request.user.is_authenticated and has_role(request.user, Role.CATALOG_ADMIN, department=version.item.department),
    })


def bundle_page(request, code):
    bundle = get_object_or_404(Bundle, code=code, status=PubStatus.PUBLISHED)
    url = settings.SITE_URL + bundle.get_absolute_url()
    from .services import bundle_form

    return render(request, "portal/bundle.html", {**bundle_form(bundle), "qr": qr_svg(url, scale=3, title="手机扫码查看")})


def delegation_page(request):
    city = Region.objects.filter(code=request.GET.get("region") or CITY_CODE, level=Level.CITY).first() or _home_region()
    if city is None:
        raise Http404("没有设区市")
    return render(request, "portal/delegation.html", {"report": selectors.delegation_report(city)})


def track(request, number, token):
    """Public progress page (the QR on every notice): no personal data beyond a masked name; the
    address carries a token, so case numbers cannot be walked through."""
    import hmac

    case = Case.objects.select_related("item_version", "handler", "bundle").filter(number=number).first()
    if case is None or not hmac.compare_digest(token, case_services.track_token(number)):
        raise Http404("未找到该办件")
    name = case.applicant.name
    masked = name[0] + "*" * (len(name) - 1) if case.applicant.kind == "person" else name
    return render(request, "portal/track.html", {"case": case, "applicant": masked, "clock": case_selectors.clock_status(case),
                                                "notice": case_selectors.latest_return_notice(case) if case.state == CaseState.RETURNED else None,
                                                "corrections": case_selectors.outstanding_corrections(case) if case.state == CaseState.RETURNED else [],
                                                "qr": qr_svg(settings.SITE_URL + request.path, scale=3)})
