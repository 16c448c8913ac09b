"""电子监察: the supervisor's dashboard (counts of their region's open cases by light, latest warnings, red steps,
overdue 容缺 commitments, the calendar) and the list behind each light card."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tongban.org.models import Role
from tongban.org.scopes import has_role
from tongban.workcal import selectors as workcal
from tongban.cases.models import Case
from tongban.workflow import issuing, oversight

from . import selectors


def _forbidden(request):
    return render(request, "supervision/dashboard.html", {"forbidden": True}, status=403)


@login_required
def dashboard(request):
    if not has_role(request.user, Role.SUPERVISOR):
        return _forbidden(request)
    return render(request, "supervision/dashboard.html", {
        "warnings": workcal.calendar_warnings(),
        "lights": selectors.light_counts(request.user),
        "light_names": selectors.LIGHTS,
        "events": selectors.recent_warnings(request.user),
        "years": workcal.years(),
        "overdue_gaps": selectors.overdue_commitments(request.user),
        "breaches": selectors.breaches(request.user),
        "escalations": oversight.escalations(request.user, limit=10),
        "failed_documents": issuing.failed_documents(Case.objects.filter(selectors.supervised(request.user))),
    })


@login_required
def cases(request):
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
