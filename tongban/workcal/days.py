"""Working-day arithmetic on the official calendar.

The calendar is held in memory as arrays over 2004-01-01 … 2060-12-31: `cum[i]` is the number of
working days from the first day up to day i. Adding n working days is a bisection for the first day
whose count is n higher; counting is a subtraction. A result is provisional when any day it depends on
lies in a year whose State Council notice is not yet published.

The start day is never counted (行政许可法 art. 82; 民法典 art. 201): the n-th working day strictly after
`start` is `add_working_days(start, n)`, and `working_days_between(a, b)` counts (a, b].
"""

import bisect
import datetime as dt
import threading
import time
from functools import lru_cache
from typing import NamedTuple

from tongban.core.errors import Invalid as DomainError  # bad input here answers 422

from .statutory import statutory_holidays

FIRST = dt.date(2004, 1, 1)
LAST = dt.date(2060, 12, 31)
MAX_DAYS = 3650
RECHECK_SECONDS = 2.0


class WorkdayResult(NamedTuple):
    date: dt.date
    provisional: bool


class CountResult(NamedTuple):
    days: int
    provisional: bool


class DayResult(NamedTuple):
    working: bool
    provisional: bool
    name: str


@lru_cache(maxsize=128)
def _statutory(year: int) -> dict[dt.date, str]:
    return statutory_holidays(year)


class WorkCalendar:
    def __init__(self, special: dict[dt.date, tuple[str, str]], published: set[int]):
        self.base = FIRST.toordinal()
        n = LAST.toordinal() - self.base + 1
        self.published = frozenset(published)
        working = bytearray(n)
        cum = [0] * n
        prov = [0] * n
        names: dict[int, str] = {}
        count = p = 0
        for i in range(n):
            d = dt.date.fromordinal(self.base + i)
            if d.year in self.published:
                kind, name = special.get(d, ("", ""))
                w = kind == "workday" or (kind != "holiday" and d.weekday() < 5)
            else:
                name = _statutory(d.year).get(d, "")
                w = d.weekday() < 5 and not name
                p += 1
            if name:
                names[i] = name
            working[i] = w
            count += w
            cum[i] = count
            prov[i] = p
        self.working, self.cum, self.prov, self.names = working, cum, prov, names

    def _index(self, d: dt.date) -> int:
        i = d.toordinal() - self.base
        if not 0 <= i < len(self.cum):
            raise DomainError("date_out_of_range", f"日期{d:%Y-%m-%d}超出日历范围({FIRST.year}—{LAST.year}年)", field="date")
        return i

    def add(self, start: dt.date, n: int) -> WorkdayResult:
        if not 0 <= n <= MAX_DAYS:
            raise DomainError("days_out_of_range", f"工作日数应为0至{MAX_DAYS}之间的整数", field="days")
        i = self._index(start)
        if n == 0:
            return WorkdayResult(start, False)  # the start itself: no day was counted
        j = bisect.bisect_left(self.cum, self.cum[i] + n, i + 1)
        if j >= len(self.cum):
            raise DomainError("date_out_of_range", f"结果超出日历范围({LAST.year}年以后)", field="days")
        return WorkdayResult(dt.date.fromordinal(self.base + j), self.prov[j] != self.prov[i])

    def between(self, a: dt.date, b: dt.date) -> CountResult:
        i, j = self._index(a), self._index(b)
        if j < i:
            raise DomainError("end_before_start", "结束日期不得早于开始日期", field="end")
        return CountResult(self.cum[j] - self.cum[i], self.prov[j] != self.prov[i])

    def day(self, d: dt.date) -> DayResult:
        i = self._index(d)
        return DayResult(bool(self.working[i]), d.year not in self.published, self.names.get(i, ""))

    def index_of(self, d: dt.date) -> int:
        return self.cum[self._index(d)]


_lock = threading.Lock()
_state: dict = {"calendar": None, "stamp": None, "checked": 0.0}


def _stamp():
    from django.db.models import Count, Max

    from .models import CalendarDay, CalendarYear

    years = CalendarYear.objects.aggregate(m=Max("changed_at"), n=Count("id"))
    days = CalendarDay.objects.aggregate(m=Max("id"), n=Count("id"))
    return (years["m"], years["n"], days["m"], days["n"])


def _load() -> WorkCalendar:
    from .models import CalendarDay, CalendarYear

    published = set(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
    special = {d.date: (d.kind, d.name) for d in CalendarDay.objects.all()}
    return WorkCalendar(special, published)


def get_calendar() -> WorkCalendar:
    """The current calendar; reloaded when the calendar tables change (checked every few seconds)."""
    now = time.monotonic()
    cal = _state["calendar"]
    if cal is not None and now - _state["checked"] < RECHECK_SECONDS:
        return cal
    with _lock:
        stamp = _stamp()
        if _state["calendar"] is None or stamp != _state["stamp"]:
            _state["calendar"] = _load()
            _state["stamp"] = stamp
        _state["checked"] = now
        return _state["calendar"]


def invalidate() -> None:
    _state["calendar"] = None
    _state["stamp"] = None


def add_working_days(start: dt.date, n: int) -> WorkdayResult:
    return get_calendar().add(start, n)


def working_days_between(a: dt.date, b: dt.date) -> CountResult:
    return get_calendar().between(a, b)


def is_working_day(d: dt.date) -> DayResult:
    return get_calendar().day(d)
