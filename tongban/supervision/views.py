from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tongban.org.models import Role
from tongban.org.scopes import has_role
from tongban.workcal import selectors as workcal
from tongban.workflow import oversight


@login_required
def dashboard(request):
    if not has_role(request.user, Role.SUPERVISOR):
        return render(request, "supervision/dashboard.html", {"forbidden": True}, status=403)
    return render(request, "supervision/dashboard.html", {
        "warnings": workcal.calendar_warnings(),
        "lights": workcal.light_counts(),
        "events": workcal.recent_warnings(),
        "years": workcal.years(),
        "overdue_gaps": workcal.overdue_commitments(),
        "escalations": oversight.escalations(request.user, limit=10),
    })
