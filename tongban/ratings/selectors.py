"""Reads of 好差评: handlings a user may work on, the applicant's view, and the publication figures."""

from django.db.models import Count, Q
from django.utils import timezone

from tongban.org.models import Role, RoleGrant

from .models import BAD, Handling, Rating


def handlings_for(user, *, state: str | None = None):
    """Handlings in the user's scope: department-bound grants their department's, region grants their region's."""
    if not user.is_authenticated:
        return Handling.objects.none()
    q = Q(pk__in=[])
    if user.is_superuser:
        q = Q()
    for g in RoleGrant.objects.filter(user=user, role__in=[Role.WINDOW_CLERK, Role.REVIEWER, Role.BUREAU_LEADER, Role.SUPERVISOR,
                                                            Role.SYSTEM_ADMIN]).select_related("region"):
        if g.department_id:
            q |= Q(rating__department_id=g.department_id)
        else:
            q |= Q(rating__region__path__startswith=g.region.path)
    qs = Handling.objects.filter(q).select_related("rating", "rating__case", "rating__department", "rating__window")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-id")


def handling_in_scope(user, pk: int) -> Handling | None:
    return handlings_for(user).filter(pk=pk).first()


def rating_of_case(case) -> Rating | None:
    return Rating.objects.filter(case=case, channel=Rating.Channel.ONLINE).select_related("handling").first()


def publication(region=None) -> dict:
    """公开评价结果: per department and per window, counts by level and the share of good ratings (1–3);
    ratings whose appeal was upheld are left out."""
    qs = Rating.objects.exclude(handling__appeal_upheld=True)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    levels = {f"l{n}": Count("id", filter=Q(level=n)) for n in range(1, 6)}

    def rows(key, name):
        out = []
        for r in qs.exclude(**{f"{key}__isnull": True}).values(key, name).annotate(total=Count("id"), **levels).order_by(name):
            bad = sum(r[f"l{n}"] for n in BAD)
            out.append({**r, "name": r[name], "good_rate": round(100 * (r["total"] - bad) / r["total"], 1) if r["total"] else None})
        return out

    today = timezone.localdate()
    return {"departments": rows("department", "department__name"), "windows": rows("window", "window__name"),
            "total": qs.count(), "overdue": Handling.objects.filter(state=Handling.State.RECTIFYING, deadline__lt=today).count()}
