import datetime as dt

from django.db.models import Count
from django.utils import timezone

from .models import CalendarYear, Clock, ClockEvent, ClockState


def calendar_warnings(today: dt.date | None = None) -> list[str]:
    """From 1 December, a warning while next year's official holidays are not entered."""
    today = today or timezone.localdate()
    warnings = []
    if today.month == 12 and not CalendarYear.objects.filter(year=today.year + 1, published=True).exists():
        warnings.append(
            f"{today.year + 1}年节假日安排尚未录入:涉及{today.year + 1}年的办理期限均按法定节假日推算(无调休),"
            f"公布后将自动重算。请系统管理员在通知发布后及时录入。"
        )
    return warnings


def light_counts() -> dict:
    rows = Clock.objects.exclude(state=ClockState.STOPPED).values("state", "light").annotate(n=Count("id"))
    out = {"green": 0, "yellow": 0, "red": 0, "paused": 0}
    for r in rows:
        out["paused" if r["state"] == ClockState.PAUSED else r["light"]] += r["n"]
    return out


def recent_warnings(limit: int = 20):
    return ClockEvent.objects.filter(kind__in=[ClockEvent.Kind.YELLOW, ClockEvent.Kind.RED]).select_related("clock").order_by("-at")[:limit]


def years(today: dt.date | None = None):
    today = today or timezone.localdate()
    return CalendarYear.objects.filter(year__gte=today.year - 1, year__lte=today.year + 1)


def overdue_commitments(today: dt.date | None = None, limit: int = 50):
    """容缺 cases whose promised supply date has passed: listed for the supervisor."""
    from tongban.cases.models import Case

    today = today or timezone.localdate()
    return (Case.objects.filter(gap_open=True, gap__deadline__lt=today).select_related("gap", "item_version", "applicant", "handler")
            .order_by("gap__deadline")[:limit])
