import datetime as dt

from django.utils import timezone

from .models import CalendarYear


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


def years(today: dt.date | None = None):
    today = today or timezone.localdate()
    return CalendarYear.objects.filter(year__gte=today.year - 1, year__lte=today.year + 1)

