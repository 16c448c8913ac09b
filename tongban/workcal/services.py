"""Calendar maintenance: publishing a year's official notice, and what follows from it."""

import contextvars
import csv
import datetime as dt
import io

from django.db import transaction
from django_tasks import default_task_backend
from django.utils import timezone

from tongban.core.audit import record
from tongban.core.errors import DomainError
from tongban.org.models import Role
from tongban.org.scopes import require

from . import days
from .models import CalendarDay, CalendarYear, DayKind
from .recompute import affected_clocks, clock_deadline_moved, recompute_years  # noqa: F401 (cases.signals imports the signal from here)
from .tasks import recompute_years_task

publishing: contextvars.ContextVar[bool] = contextvars.ContextVar("publishing", default=False)
KIND_WORDS = {"休": DayKind.HOLIDAY, "假": DayKind.HOLIDAY, "holiday": DayKind.HOLIDAY, "班": DayKind.WORKDAY, "workday": DayKind.WORKDAY}


def parse_notice(upload, year: int) -> list[tuple[dt.date, str, str]]:
    """Rows of a year's notice from CSV or Excel: 日期, 类型(休/班), 名称. Every bad row is reported."""
    name = getattr(upload, "name", "").lower()
    raw = upload.read()
    rows: list[list] = []
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            ws = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).active
        except Exception:  # noqa: BLE001 - any unreadable workbook
            raise DomainError("notice_unreadable", "无法读取 Excel 文件") from None
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
    out, errors = [], []
    for n, row in enumerate(rows, start=1):
        cells = [str(c).strip() if c is not None else "" for c in row] + ["", "", ""]
        if not any(cells) or cells[0] in ("日期", "date"):
            continue
        value = row[0]
        try:
            d = value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) else dt.date.fromisoformat(cells[0])
        except ValueError:
            errors.append(f"第{n}行:日期“{cells[0]}”格式应为 YYYY-MM-DD")
            continue
        kind = KIND_WORDS.get(cells[1])
        if d.year != year:
            errors.append(f"第{n}行:{d:%Y-%m-%d}不属于{year}年")
        elif kind is None:
            errors.append(f"第{n}行:类型应为“休”或“班”")
        else:
            out.append((d, kind, cells[2] or ("调休上班" if kind == DayKind.WORKDAY else "节假日")))
    seen = {}
    for d, _, _ in out:
        seen[d] = seen.get(d, 0) + 1
    errors += [f"{d:%Y-%m-%d}重复出现" for d, n in seen.items() if n > 1]
    if errors:
        raise DomainError("notice_invalid", ";".join(errors[:20]), details=errors)
    if not out:
        raise DomainError("notice_empty", "文件中没有节假日安排")
    return out


def publish_year(actor, year: int, rows: list[tuple[dt.date, str, str]], source: str) -> CalendarYear:
    """Enter (or correct) the State Council's notice for `year`. Deadlines that depend on the year are
    recomputed by a background task once this commits."""
    require(actor, Role.SYSTEM_ADMIN, what="公布节假日安排")
    if not source.strip():
        raise DomainError("source_required", "请注明通知文号,如 国办发明电〔2025〕7号", field="source")
    if not days.FIRST.year <= year <= days.LAST.year:
        raise DomainError("year_range", f"年份应在{days.FIRST.year}至{days.LAST.year}之间", field="year")
    _require_every_statutory_holiday(year, rows)
    token = publishing.set(True)
    try:
        return _publish(actor, year, rows, source)
    finally:
        publishing.reset(token)


def _require_every_statutory_holiday(year, rows) -> None:
    """A year's notice names every statutory holiday (as 休) before it can replace the computed calendar: a notice
    of one row, or one that forgot 国庆, would silently turn holidays into working days for every deadline."""
    from .statutory import required_in_notice

    off = {d for d, kind, _ in rows if kind == DayKind.HOLIDAY}
    missing = [f"{d:%m月%d日}({name})" for d, name in sorted(required_in_notice(year).items()) if d not in off]
    if missing:
        raise DomainError("notice_incomplete",
                          f"{year}年的通知缺少法定节假日:{'、'.join(missing)}。一年的通知须列出全部法定节假日(类型“休”)"
                          "才能作为正式日历公布", field="file", details=missing)


def _publish(actor, year, rows, source) -> CalendarYear:
    with transaction.atomic():
        cal_year, _ = CalendarYear.objects.select_for_update().get_or_create(year=year)
        CalendarDay.objects.filter(date__year=year).delete()
        differing = [
            CalendarDay(date=d, kind=k, name=name) for d, k, name in rows
            if (k == DayKind.HOLIDAY) == (d.weekday() < 5)  # only days that break the Mon–Fri rule
        ]
        CalendarDay.objects.bulk_create(differing)
        cal_year.published, cal_year.source, cal_year.published_at = True, source, timezone.now()
        cal_year.save()
        record(actor, "calendar.year_published", cal_year, data={"year": year, "days": len(differing), "source": source})
        schedule_recompute([year])
    return cal_year


def schedule_recompute(years) -> None:
    """After the calendar changes: queue the recompute (first, so a failure below cannot lose it), and
    again a little later for processes that still held the old calendar for a few seconds."""
    years = sorted(set(years))

    def enqueue():
        days.invalidate()
        recompute_years_task.enqueue(years)
        if default_task_backend.supports_defer:  # a backend that runs tasks at once has no later to recheck in
            recompute_years_task.using(run_after=timezone.now() + dt.timedelta(seconds=days.RECHECK_SECONDS * 5)).enqueue(years)

    transaction.on_commit(enqueue)
