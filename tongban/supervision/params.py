"""The dashboard's filters from a query string, checked at the edge: the page and the API read them the same way.

A region outside the supervisor's subtree, or an id that does not exist, is refused with a Chinese message naming
the field (a region out of scope and a region that does not exist get the same answer)."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from tongban.catalog.models import Item
from tongban.cases.models import Channel
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Department, Hall, Region, Role, Window
from tongban.org.scopes import grants

from .metrics import Filters

MAX_DAYS = 3 * 366 + 1  # a period of at most three years


def roots(user) -> list[Region]:
    """The regions whose subtrees the user supervises (the top of the region filter)."""
    if user.is_superuser:
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    seen = {}
    for role in (Role.SUPERVISOR, Role.SYSTEM_ADMIN):
        for g in grants(user, role):
            seen.setdefault(g.region.path, g.region)
    paths = sorted(seen)
    return [seen[p] for p in paths if not any(p != q and p.startswith(q) for q in paths)]


def covers(user, region: Region) -> bool:
    return any(region.path.startswith(r.path) for r in roots(user))


def _date(data, name: str, label: str, default: dt.date) -> dt.date:
    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    try:
        if len(raw) == 7:  # a month: 2025-03
            return dt.date.fromisoformat(raw + "-01")
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError("invalid_date", f"{label}不是有效日期(格式 2025-03-31)", field=name) from None


def _id(data, name: str, label: str, model, scope: Q | None = None):
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise DomainError("invalid_id", f"{label}无效", field=name)
    if not model.objects.filter(scope or Q(), pk=int(raw)).exists():
        raise NotFound(f"{label}不存在或不在督查范围内")
    return int(raw)


def parse(user, data) -> Filters:
    """Filters from a QueryDict (or dict). Period: `start`/`end` (default this year up to today), or `month`."""
    today = timezone.localdate()
    if (data.get("month") or "").strip():
        first = _date(data, "month", "月份", today)
        first = first.replace(day=1)
        start, end = first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    else:
        start = _date(data, "start", "开始日期", today.replace(month=1, day=1))
        end = _date(data, "end", "结束日期", today)
    if end < start:
        raise DomainError("invalid_period", "结束日期不得早于开始日期", field="end")
    if (end - start).days > MAX_DAYS:
        raise DomainError("period_too_long", "统计期间最长三年", field="start")
    region = None
    code = (data.get("region") or "").strip()
    if code:
        if len(code) > 12 or not code.isdigit():
            raise DomainError("invalid_region", "区划代码无效", field="region")
        region = Region.objects.filter(code=code).first()
        if region is None or not covers(user, region):
            raise NotFound("区划不存在或不在督查范围内")
    tops = [region] if region else roots(user)
    def under(prefix: str) -> Q:
        q = Q(pk__in=[])
        for r in tops:
            q |= Q(**{prefix + "region__path__startswith": r.path})
        return q

    department_id = _id(data, "department", "部门", Department, under(""))
    hall_id = _id(data, "hall", "大厅", Hall, under(""))
    window_id = _id(data, "window", "窗口", Window, under("hall__"))
    item_id = _id(data, "item", "事项", Item)
    channel = (data.get("channel") or "").strip()
    if channel and channel not in Channel.values:
        raise DomainError("invalid_channel", "渠道无效", field="channel")
    return Filters(start=start, end=end, region=region, department_id=department_id, hall_id=hall_id,
                   window_id=window_id, item_id=item_id, channel=channel, today=today)


def query(f: Filters, **extra) -> str:
    """The filters back as a query string (for drill-down and export links)."""
    from urllib.parse import urlencode

    pairs = {"start": f.start.isoformat(), "end": f.end.isoformat(), "region": f.region.code if f.region else "",
             "department": f.department_id or "", "hall": f.hall_id or "", "window": f.window_id or "",
             "item": f.item_id or "", "channel": f.channel, **extra}
    return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})
