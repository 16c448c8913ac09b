"""好差评 pages: the window's tablet (评价器), the 差评 handling desk, the publication page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from tongban.core import tx
from tongban.core.errors import DomainError
from tongban.org.models import Window

from . import selectors, services
from .models import INDICATORS, Handling, Level


@login_required
def tablet(request, window_id):
    window = Window.objects.select_related("hall__region").filter(pk=window_id).first()
    if window is None or not services.has_role(request.user, services.Role.WINDOW_CLERK, region=window.hall.region):
        raise Http404("未找到该窗口")
    if request.method == "POST":
        marks = {code: request.POST.get(f"ind_{code}") for code, _ in INDICATORS["window"] if request.POST.get(f"ind_{code}")}
        try:
            with tx.outer():
                services.rate_visit(request.user, window, level=request.POST.get("level"), indicators=marks,
                                    comment=request.POST.get("comment", "")[:500])
            messages.success(request, "感谢您的评价!")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("ratings:tablet", window_id=window_id)
    return render(request, "ratings/tablet.html", {"window": window, "levels": Level.choices, "indicators": INDICATORS["window"]})


@login_required
def handlings(request):
    state = request.GET.get("state") if request.GET.get("state") in Handling.State.values else None
    rows = list(selectors.handlings_for(request.user, state=state)[:200])
    return render(request, "ratings/handlings.html", {"rows": rows, "today": timezone.localdate(), "state": state,
                                                      "states": Handling.State.choices})


@login_required
def handling(request, pk):
    h = selectors.handling_in_scope(request.user, pk)
    if h is None:
        raise Http404("未找到该差评")
    if request.method == "POST":
        action, p = request.POST.get("action"), request.POST
        try:
            with tx.outer():
                if action == "verify":
                    days = p.get("days")
                    services.verify(request.user, h, outcome=p.get("outcome", ""), verification=p.get("verification", "")[:2000],
                                    answer=p.get("answer", "")[:2000], appeal_reason=p.get("appeal_reason", "")[:2000],
                                    days=int(days) if days and days.isdigit() else None)
                elif action == "rectified":
                    services.finish_rectification(request.user, h, answer=p.get("answer", "")[:2000])
                elif action == "appeal":
                    services.decide_appeal(request.user, h, upheld=p.get("upheld") == "1", note=p.get("note", "")[:2000])
                elif action == "return_visit":
                    services.record_return_visit(request.user, h, note=p.get("note", "")[:2000], satisfied=p.get("satisfied") == "1")
            messages.success(request, "已保存")
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("ratings:handling", pk=pk)
    return render(request, "ratings/handling.html", {
        "h": h, "r": h.rating, "today": timezone.localdate(), "outcomes": Handling.Outcome.choices,
        "may_handle": services.may_handle(request.user, h.rating), "may_supervise": services.may_supervise(request.user, h.rating),
        "indicator_names": dict(INDICATORS[h.rating.channel]), "default_days": services.rectify_days(),
    })


def publication(request):
    return render(request, "ratings/publication.html", selectors.publication())
