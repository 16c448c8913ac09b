"""电子监察 pages: the dashboard (figures under filters, charts, rankings, region breakdown, warnings), the cases
behind every figure, Excel exports of every table, the monthly inspection report (PDF), and the 预警 list a
department head and a supervisor see. Thin: the figures come from `metrics`, the filters from `params`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.core.replica import replica_reads
from tongban.org.models import Role
from tongban.org.scopes import has_role
from tongban.workcal import selectors as workcal
from tongban.cases.models import Case
from tongban.workflow import issuing, oversight

from . import exports, metrics, params, selectors


def _forbidden(request):
    return render(request, "supervision/dashboard.html", {"forbidden": True}, status=403)


def _filters(request):
    """The filters of the query string, or the defaults with the error to show beside the form."""
    try:
        return params.parse(request.user, request.GET), None
    except DomainError as e:
        return params.parse(request.user, {}), e


def _figure(key: str) -> metrics.Figure:
    fig = metrics.FIGURES.get(key)
    if fig is None:
        raise Http404
    return fig


@login_required
@replica_reads
def dashboard(request):
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    f, error = _filters(request)
    board = selectors.board(request.user, f)
    qs = params.query(f)
    chart = {
        "trend": {"months": [f"{r['month']:%Y-%m}" for r in board["trend"]], "accepted": [r["accepted"] for r in board["trend"]],
                  "completed": [r["completed"] for r in board["trend"]]},
        "lights": [{"name": metrics.FIGURES[k].label, "value": board["values"][k].value, "key": k}
                   for k in ("open_red", "open_yellow", "open_green", "open_paused")],
        "drill": f"?{qs}",
    }
    return render(request, "supervision/dashboard.html", {
        **board, "f": f, "error": error, "qs": qs, "chart": chart, "choices": selectors.filter_choices(request.user, f),
        "channels": selectors.CHANNELS,
        "warnings": workcal.calendar_warnings(), "years": workcal.years(),
        "events": selectors.recent_warnings(request.user),
        "overdue_gaps": selectors.overdue_commitments(request.user),
        "breaches": selectors.breaches(request.user),
        "escalations": oversight.escalations(request.user, limit=10),
        "failed_documents": issuing.failed_documents(Case.objects.filter(selectors.supervised(request.user))),
        "month": (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m"),
    })


@login_required
@replica_reads
def figure(request, key):
    """The cases behind one figure under the dashboard's filters, newest first, paged by key."""
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    fig = _figure(key)
    f, error = _filters(request)
    page = selectors.figure_cases(request.user, key, f, after=request.GET.get("after") or None)
    total = metrics.count(request.user, key, f)
    denominator = metrics.count(request.user, fig.denominator, f) if fig.kind == "rate" else None
    return render(request, "supervision/figure.html", {
        "fig": fig, "f": f, "error": error, "page": page, "total": total, "denominator": denominator,
        "qs": params.query(f), "first_page": not request.GET.get("after"), "figures": metrics.FIGURES,
    })


@login_required
@replica_reads
def cases(request):
    """The list behind a light card (kept for old links): the same cases as the 在办 figures."""
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    light = request.GET.get("light", "red")
    if light not in selectors.LIGHTS:
        light = "red"
    page = selectors.cases_by_light(request.user, light, after=request.GET.get("after") or None)
    return render(request, "supervision/cases.html", {
        "light": light, "light_names": selectors.LIGHTS, "lights": selectors.light_counts(request.user),
        "page": page, "first_page": not request.GET.get("after"),
    })


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@replica_reads
def export_dashboard(request):
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    f, _ = _filters(request)
    return _xlsx(exports.dashboard_workbook(request.user, f), f"supervision-{f.start:%Y%m%d}-{f.end:%Y%m%d}.xlsx")


@login_required
@replica_reads
def export_figure(request, key):
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    _figure(key)
    f, _ = _filters(request)
    return _xlsx(exports.figure_workbook(request.user, key, f), f"supervision-{key}-{f.start:%Y%m%d}-{f.end:%Y%m%d}.xlsx")


@login_required
@replica_reads
def report(request):
    """The monthly inspection report (月度电子监察通报) as PDF: `?month=2025-03` plus the dashboard's filters."""
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    data = request.GET.copy()
    if not data.get("month"):
        data["month"] = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m")
    try:
        f = params.parse(request.user, data)
    except DomainError as e:
        return render(request, "supervision/dashboard.html", {"forbidden": False, "error": e, "report_error": True}, status=e.status)
    pdf = exports.monthly_report(request.user, f)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="supervision-report-{f.start:%Y-%m}.pdf"'
    return response


@login_required
@replica_reads
def warnings(request):
    """预警: the open cases and back-office steps on yellow and red in the user's charge — a supervisor's region,
    a department head's (审批局负责人) department — nearest deadline first."""
    if not (has_role(request.user, Role.SUPERVISOR) or has_role(request.user, Role.BUREAU_LEADER)):
        return render(request, "supervision/warnings.html", {"forbidden": True}, status=403)
    light = request.GET.get("light", "red")
    if light not in ("red", "yellow"):
        light = "red"
    w = selectors.warning_lists(request.user, light)
    return render(request, "supervision/warnings.html", {"light": light, **w})
