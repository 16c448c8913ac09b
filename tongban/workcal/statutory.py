"""Holidays of a year whose State Council notice is not yet published, from the statutory rules of
《全国年节及纪念日放假办法》 as revised in 2024 (effective 2025): 元旦 1 day; 春节 4 days (除夕 to 正月初三);
清明 on the solar term; 劳动节 1–2 May; 端午 (五月初五); 中秋 (八月十五); 国庆 1–3 October. No make-up days
are guessed, so results that depend on these days are marked provisional."""

import datetime as dt

from lunar_python import Lunar, Solar


def statutory_holidays(year: int) -> dict[dt.date, str]:
    def lunar(month: int, day: int) -> dt.date:
        s = Lunar.fromYmd(year, month, day).getSolar()
        return dt.date(s.getYear(), s.getMonth(), s.getDay())

    new_year = lunar(1, 1)
    qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    days = {dt.date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):  # 除夕, 初一, 初二, 初三
        days[new_year + dt.timedelta(days=offset)] = "春节"
    days[dt.date(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = "清明节"
    days[dt.date(year, 5, 1)] = days[dt.date(year, 5, 2)] = "劳动节"
    days[lunar(5, 5)] = "端午节"
    days[lunar(8, 15)] = "中秋节"
    for d in (1, 2, 3):
        days[dt.date(year, 10, d)] = "国庆节"
    return days


def required_in_notice(year: int) -> dict[dt.date, str]:
    """The statutory holidays a year's notice must list as 休 before it can become the official calendar.
    From 2025 the rules above; earlier years under the rules then in force (1999: 元旦, 春节 初一–初三, 劳动节 1–3 May,
    国庆 1–3 October; 2008: 劳动节 1 May only, plus 清明, 端午, 中秋; 除夕 was a statutory day only in 2008–2013 and
    from 2025, so it is not required in between)."""
    if year >= 2025:
        return statutory_holidays(year)
    every = statutory_holidays(year)
    new_year = min(d for d, name in every.items() if name == "春节") + dt.timedelta(days=1)  # 初一
    days = {d: name for d, name in every.items() if name in ("元旦", "国庆节") and d.year == year}
    for offset in range(3):
        days[new_year + dt.timedelta(days=offset)] = "春节"
    if year >= 2008:
        days.update({d: name for d, name in every.items() if name in ("清明节", "端午节", "中秋节")})
        days[dt.date(year, 5, 1)] = "劳动节"
    else:
        for d in (1, 2, 3):
            days[dt.date(year, 5, d)] = "劳动节"
    return days
