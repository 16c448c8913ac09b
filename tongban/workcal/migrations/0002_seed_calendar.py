"""Seed the official calendar from the `chinesecalendar` package (2004 to the last year it covers), the
global warning policy, the "at most one month" level budgets, and the working-day index."""

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar import constants

    from tongban.workcal.days import WorkCalendar
    from tongban.workcal.index import rebuild_index

    CalendarYear = apps.get_model("workcal", "CalendarYear")
    CalendarDay = apps.get_model("workcal", "CalendarDay")
    years = sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})
    rows = []
    for d, name in constants.holidays.items():
        if d.weekday() < 5:  # a holiday on a weekend does not break the Mon–Fri rule
            rows.append(CalendarDay(date=d, kind="holiday", name=NAMES.get(name, name)))
    for d, name in constants.workdays.items():
        if d.weekday() >= 5:
            rows.append(CalendarDay(date=d, kind="workday", name=NAMES.get(name, name) + "调休"))
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    source = f"chinesecalendar {chinese_calendar.__version__}(国务院办公厅节假日安排通知)"
    for y in range(years[0], years[-1] + 1):
        CalendarYear.objects.update_or_create(year=y, defaults={"published": True, "source": source})
    special = {r.date: (r.kind, r.name) for r in CalendarDay.objects.all()}
    rebuild_index(WorkCalendar(special, set(range(years[0], years[-1] + 1))), apps.get_model("workcal", "WorkdayIndex"))

    apps.get_model("workcal", "WarningPolicy").objects.get_or_create(item=None, defaults={"days": 2, "percent": 80})
    LevelBudget = apps.get_model("workcal", "LevelBudget")
    for code, name, levels, days in [
        ("town", "乡镇(街道)、村办理环节", [4, 5], 6),
        ("county", "县级部门办理环节", [3], 24),
        ("total", "全流程(最多跑一个月)", [1, 2, 3, 4, 5], 30),
    ]:
        LevelBudget.objects.get_or_create(code=code, defaults={"name": name, "levels": levels, "max_days": days})


class Migration(migrations.Migration):
    dependencies = [("workcal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
