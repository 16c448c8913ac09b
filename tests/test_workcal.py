import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tongban.core.errors import Conflict, DomainError
from tongban.workcal import clocks, days, services
from tongban.workcal.days import add_working_days, is_working_day, working_days_between
from tongban.workcal.models import CalendarYear, Clock, ClockEvent, ClockState, Light, WarningPolicy, WorkdayIndex
from tongban.workcal.scan import scan_lights
from tongban.workcal.statutory import statutory_holidays

pytestmark = pytest.mark.django_db
D = dt.date
HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()  # a calendar cached by an earlier test's rolled-back transaction must not leak
    yield
    days.invalidate()


@pytest.fixture
def leader(db):
    return factories.grant(factories.UserFactory(), "bureau_leader")


def clock(start=D(2025, 9, 22), limit=10, legal=20, item_version=None, **kw):
    kw.setdefault("on", start)  # the light as of the day the clock starts, not as of the test run
    return clocks.start_clock(None, subject_type="test", subject_id="1", start_date=start, limit_days=limit,
                              legal_limit_days=legal, item_version=item_version, **kw)


# --- the calendar ---------------------------------------------------------------------------

def test_spring_festival_2025_with_its_make_up_sunday_and_saturday():
    assert add_working_days(D(2025, 1, 24), 1).date == D(2025, 1, 26)  # Sunday, 春节调休上班
    assert add_working_days(D(2025, 1, 24), 2).date == D(2025, 1, 27)
    assert add_working_days(D(2025, 1, 24), 3).date == D(2025, 2, 5)  # 1月28日至2月4日放假
    assert add_working_days(D(2025, 1, 24), 6).date == D(2025, 2, 8)  # Saturday, 调休上班
    assert not is_working_day(D(2025, 1, 28)).working and is_working_day(D(2025, 1, 28)).name == "春节"


def test_spring_festival_2024_with_its_two_make_up_sundays():
    assert is_working_day(D(2024, 2, 4)).working and is_working_day(D(2024, 2, 18)).working
    assert add_working_days(D(2024, 2, 8), 1).date == D(2024, 2, 9)
    assert add_working_days(D(2024, 2, 8), 2).date == D(2024, 2, 18)  # 2月10日至17日放假, 18日(周日)上班
    assert working_days_between(D(2024, 2, 9), D(2024, 2, 18)).days == 1


def test_national_day_2025_with_28_september_and_11_october_working():
    assert add_working_days(D(2025, 9, 26), 1).date == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 30), 1).date == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 10), 1).date == D(2025, 10, 11)
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 12)) == (3, False)


def test_start_day_is_not_counted():
    assert add_working_days(D(2025, 3, 3), 1).date == D(2025, 3, 4)  # accepted Monday: Tuesday is day 1
    assert working_days_between(D(2025, 3, 3), D(2025, 3, 3)).days == 0


def test_unpublished_year_is_computed_from_statutory_holidays_and_flagged():
    r = add_working_days(D(2031, 9, 29), 3)
    assert r == (D(2031, 10, 7), True)  # 国庆 1–3 Oct (中秋 falls on 1 Oct 2031), no make-up days guessed
    assert is_working_day(D(2031, 1, 22)) == (False, True, "春节")  # 除夕 2031
    assert add_working_days(D(2025, 3, 3), 5).provisional is False


@HYP
@given(start=st.dates(D(2004, 1, 1), D(2040, 12, 31)), n=st.integers(0, 400))
def test_counting_back_what_was_added_gives_n(start, n):
    end = add_working_days(start, n).date
    assert working_days_between(start, end).days == n


@HYP
@given(start=st.dates(D(2004, 1, 1), D(2040, 12, 31)), n=st.integers(1, 400))
def test_adding_never_lands_on_a_day_off(start, n):
    assert is_working_day(add_working_days(start, n).date).working


def test_working_day_index_table_matches_the_calendar():
    cal = days.get_calendar()
    for d in [D(2004, 1, 1), D(2025, 1, 26), D(2025, 10, 11), D(2031, 1, 22)]:
        row = WorkdayIndex.objects.get(day=d)
        assert row.idx == cal.index_of(d) and row.working == is_working_day(d).working


@pytest.mark.parametrize(
    "params, words",
    [
        ({"start": "2025-02-30", "days": 3}, "start"),
        ({"start": "2025-03-01", "days": -1}, "days"),
        ({"start": "2025-03-01", "days": 3651}, "days"),
        ({"start": "1999-03-01", "days": 3}, "超出日历范围"),
    ],
)
def test_api_refuses_bad_dates_and_absurd_counts_in_chinese(client, params, words):
    r = client.get("/api/v1/calendar/workdays/add", params)
    assert r.status_code == 422
    assert words in r.json()["message"] and any("\u4e00" <= c <= "\u9fff" for c in r.json()["message"])


def test_api_adds_and_counts_working_days(client):
    assert client.get("/api/v1/calendar/workdays/add", {"start": "2025-09-30", "days": 1}).json() == {"date": "2025-10-09", "provisional": False}
    assert client.get("/api/v1/calendar/workdays/count", {"start": "2025-09-30", "end": "2025-10-12"}).json() == {"days": 3, "provisional": False}
    assert client.get("/api/v1/calendar/workdays/add", {"start": "2031-06-02", "days": 10}).json()["provisional"] is True
    r = client.get("/api/v1/calendar/workdays/count", {"start": "2025-10-12", "end": "2025-09-30"})
    assert r.status_code == 422 and "不得早于" in r.json()["message"]


# --- clocks ----------------------------------------------------------------------------------

def test_clock_deadline_counts_working_days_after_acceptance():
    c = clock(start=D(2025, 9, 22), limit=10)
    assert c.deadline == D(2025, 10, 11)  # across 国庆, with 28 Sep and 11 Oct working
    assert c.legal_deadline == add_working_days(D(2025, 9, 22), 20).date
    assert ClockEvent.objects.filter(clock=c, kind="start").exists()


def test_suspension_across_a_holiday_moves_the_deadline_by_the_working_days_suspended():
    c = clock(start=D(2025, 9, 22), limit=10)
    c = clocks.suspend_clock(None, c, "correction", on=D(2025, 9, 26))
    assert c.state == ClockState.PAUSED and c.deadline is None
    c = clocks.resume_clock(None, c, on=D(2025, 10, 10))
    assert c.suspended_days == 5  # 28, 29, 30 Sep and 9, 10 Oct; 1–8 Oct were off anyway
    assert c.deadline == D(2025, 10, 17)
    status = clocks.status(c, on=D(2025, 10, 13))
    assert status["elapsed"] == 6 and status["remaining"] == 4  # 23–26 Sep, then 11 and 13 Oct; 14–17 Oct left


@HYP
@given(start=st.dates(D(2024, 1, 1), D(2026, 6, 30)), limit=st.integers(1, 30), at=st.integers(0, 10), k=st.integers(0, 15))
def test_suspending_for_k_working_days_moves_the_deadline_by_exactly_k(start, limit, at, k):
    c = clock(start=start, limit=limit, legal=60)
    before = c.deadline
    s = add_working_days(start, min(at, limit)).date
    e = add_working_days(s, k).date
    clocks.suspend_clock(None, c, "expert_review", on=s)
    c = clocks.resume_clock(None, c, on=e)
    assert working_days_between(before, c.deadline).days == k


def test_a_paused_clock_keeps_its_light_and_does_not_turn_red():
    c = clock(start=D(2025, 3, 3), limit=5)  # deadline 10 March
    scan_lights(D(2025, 3, 6))
    c.refresh_from_db()
    assert c.light == Light.YELLOW
    clocks.suspend_clock(None, c, "correction", on=D(2025, 3, 6))
    scan_lights(D(2025, 6, 30))
    c.refresh_from_db()
    assert c.light == Light.YELLOW and c.state == ClockState.PAUSED
    assert not ClockEvent.objects.filter(clock=c, kind="red").exists()


def test_suspension_reason_must_be_allowed_for_the_item(admin):
    item = factories.make_item(admin)
    c = clock(item_version=item.versions.get(), limit=None, legal=None, start=D(2025, 3, 3))
    with pytest.raises(DomainError) as e:
        clocks.suspend_clock(None, c, "publicity", on=D(2025, 3, 4))
    assert "公示" in e.value.message
    clocks.suspend_clock(None, c, "testing", on=D(2025, 3, 4))  # 检测: 行政许可法 art. 45
    with pytest.raises(Conflict):
        clocks.suspend_clock(None, c, "testing", on=D(2025, 3, 5))


def test_extension_refused_where_the_item_does_not_allow_it(admin, leader):
    item = factories.make_item(admin, name="个体工商户设立登记", extension_allowed=False, extension_days=0)
    c = clock(item_version=item.versions.get(), limit=None, legal=None, start=D(2025, 3, 3))
    with pytest.raises(DomainError) as e:
        clocks.extend_clock(None, c, 5, "情况复杂", approver=leader, on=D(2025, 3, 10))
    assert "不允许延长" in e.value.message


def test_extension_within_the_legal_maximum_moves_the_deadline(admin, leader):
    item = factories.make_item(admin, name="建设工程规划许可证核发", legal_limit=20, promised_limit=15, extension_allowed=True, extension_days=10)
    c = clock(item_version=item.versions.get(), limit=None, legal=None, start=D(2025, 3, 3))
    before = c.deadline
    c = clocks.extend_clock(None, c, 10, "需组织多部门会商", approver=leader, on=D(2025, 3, 10))
    assert working_days_between(before, c.deadline).days == 10
    with pytest.raises(DomainError) as e:
        clocks.extend_clock(None, c, 1, "再延长", approver=leader, on=D(2025, 3, 11))
    assert "超过可延长上限10个工作日" in e.value.message

def test_only_the_authoritys_own_leader_approves_an_extension(admin, leader):
    item = factories.make_item(admin, name="建设工程规划许可证核发", legal_limit=20, promised_limit=15, extension_allowed=True, extension_days=10)
    c = clock(item_version=item.versions.get(), limit=None, legal=None, start=D(2025, 3, 3))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    other = factories.DepartmentFactory(name="济宁市卫生健康委员会", function="health")
    other_leader = factories.grant(factories.UserFactory(), "bureau_leader", department=other)
    for approver in (clerk, other_leader):
        with pytest.raises(DomainError) as e:
            clocks.extend_clock(None, c, 1, "情况复杂", approver=approver, on=D(2025, 3, 10))
        assert e.value.code == "extension_approver"
    own = factories.grant(factories.UserFactory(), "bureau_leader", department=item.department)
    assert clocks.extend_clock(None, c, 1, "情况复杂", approver=own, on=D(2025, 3, 10)).extended_days == 1


def test_extension_cap_is_10_alone_15_jointly_unless_the_item_states_a_longer_basis(admin, leader):
    long = factories.make_item(admin, name="取水许可", legal_limit=45, promised_limit=20, extension_allowed=True, extension_days=30)
    assert clock(item_version=long.versions.get(), limit=None, legal=None).max_extension_days == 10
    assert clock(item_version=long.versions.get(), limit=None, legal=None, joint=True).max_extension_days == 15
    special = factories.make_item(admin, name="建设项目环境影响评价文件审批", legal_limit=60, promised_limit=30,
                                  extension_allowed=True, extension_days=30, extension_basis="《环境影响评价法》第二十二条")
    assert clock(item_version=special.versions.get(), limit=None, legal=None).max_extension_days == 30


def test_lights_turn_yellow_then_red_and_each_change_is_a_warning_once():
    c = clock(start=D(2025, 3, 3), limit=10)  # deadline 2025-03-17
    assert c.deadline == D(2025, 3, 17) and c.light == Light.GREEN
    assert scan_lights(D(2025, 3, 5))["changed"] == 0
    r = scan_lights(D(2025, 3, 13))  # 2 working days left
    assert r == {"day": "2025-03-13", "changed": 1, "warnings": 1}
    c.refresh_from_db()
    assert c.light == Light.YELLOW
    assert scan_lights(D(2025, 3, 13))["changed"] == 0  # nothing moved: nothing written
    scan_lights(D(2025, 3, 18))
    c.refresh_from_db()
    assert c.light == Light.RED
    assert list(ClockEvent.objects.filter(clock=c, kind__in=["yellow", "red"]).values_list("kind", flat=True)) == ["yellow", "red"]


def test_warning_thresholds_can_be_set_per_item(admin):
    item = factories.make_item(admin)
    WarningPolicy.objects.create(item=item, days=0, percent=100)
    c = clock(item_version=item.versions.get(), limit=None, legal=None, start=D(2025, 3, 3))  # 5 days → 2025-03-10
    control = clock(start=D(2025, 3, 3), limit=5, legal=10)
    scan_lights(D(2025, 3, 7))  # 1 day left: yellow by default, green under the item's own policy
    c.refresh_from_db()
    control.refresh_from_db()
    assert (c.light, control.light) == (Light.GREEN, Light.YELLOW)


@HYP
@given(start=st.dates(D(2024, 1, 1), D(2026, 12, 1)), limit=st.integers(1, 20), extra=st.integers(0, 10),
       after=st.integers(0, 45), pct=st.sampled_from([50, 80, 100]))
def test_the_sql_scan_agrees_with_the_python_rule(start, limit, extra, after, pct):
    c = clock(start=start, limit=limit, legal=30)
    Clock.objects.filter(pk=c.pk).update(extended_days=extra, max_extension_days=10, warn_percent=pct)
    c.refresh_from_db()
    clocks.recompute(c, start)
    c.save()
    today = start + dt.timedelta(days=after)  # any calendar day, weekends and holidays included
    scan_lights(today)
    c.refresh_from_db()
    assert c.light == clocks.light_for(c, today)


def test_town_steps_may_not_exceed_six_working_days_of_the_month():
    case = clock(start=D(2025, 3, 3), limit=30, legal=30)
    clock(start=D(2025, 3, 3), limit=4, legal=6, parent=case, level=4, label="镇街初审")
    with pytest.raises(DomainError) as e:
        clock(start=D(2025, 3, 3), limit=3, legal=6, parent=case, level=5, label="村级公示")
    assert "乡镇(街道)、村办理环节合计7个工作日" in e.value.message and "6个工作日" in e.value.message
    clock(start=D(2025, 3, 3), limit=24, legal=24, parent=case, level=3, label="县级部门审批")
    with pytest.raises(DomainError):
        clock(start=D(2025, 3, 3), limit=1, legal=1, parent=case, level=3, label="县级复核")


# --- publishing a year -----------------------------------------------------------------------

NOTICE_2027 = "\n".join([
    "日期,类型,名称",
    "2027-01-01,休,元旦",
    *[f"2027-02-{d:02d},休,春节" for d in range(5, 13)],  # 2月5日至12日放假
    "2027-02-14,班,春节调休", "2027-02-20,班,春节调休",
    "2027-04-05,休,清明节", *[f"2027-05-{d:02d},休,劳动节" for d in range(1, 6)], "2027-06-09,休,端午节",
    "2027-09-15,休,中秋节", *[f"2027-10-{d:02d},休,国庆节" for d in range(1, 8)],
])


def test_year_published_after_deadlines_were_computed_provisionally(django_capture_on_commit_callbacks, settings):
    settings.TASKS = settings.DB_TASKS
    admin = factories.grant(factories.UserFactory(), "system_admin")
    c = clock(start=D(2027, 1, 25), limit=20, legal=20)
    assert c.provisional
    before = c.deadline
    rows = services.parse_notice(SimpleUploadedFile("2027.csv", NOTICE_2027.encode()), 2027)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_year(admin, 2027, rows, "国务院办公厅关于2027年部分节假日安排的通知(测试用)")
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="recompute_years_task").count() == 2  # now, and once more shortly
    from tongban.workcal.tasks import recompute_years_task

    assert recompute_years_task.call([2027]) == {"checked": 1, "moved": 1}
    c.refresh_from_db()
    assert not c.provisional
    assert c.deadline == add_working_days(D(2027, 1, 25), 20).date != before
    moved = ClockEvent.objects.get(clock=c, kind="deadline_moved")
    assert moved.data["from"] == str(before) and moved.data["to"] == str(c.deadline)
    assert is_working_day(D(2027, 2, 20)).working and not is_working_day(D(2027, 2, 10)).working


def test_a_bad_notice_is_refused_row_by_row():
    bad = "2027-02-30,休,春节\n2026-10-01,休,国庆节\n2027-03-01,放,x\n"
    with pytest.raises(DomainError) as e:
        services.parse_notice(SimpleUploadedFile("n.csv", bad.encode()), 2027)
    assert len(e.value.details) == 3 and "第1行" in e.value.message


def test_only_system_admins_publish_a_year():
    with pytest.raises(DomainError):
        services.publish_year(factories.catalog_admin(), 2027, [(D(2027, 1, 1), "holiday", "元旦")], "通知")


def test_a_one_row_notice_is_refused_as_the_official_calendar_of_a_year(client):
    admin = factories.grant(factories.UserFactory(), "system_admin")
    with pytest.raises(DomainError) as e:
        services.publish_year(admin, 2031, [(D(2031, 1, 1), "holiday", "元旦")], "通知")
    assert e.value.code == "notice_incomplete" and "01月22日(春节)" in e.value.message and "10月03日(国庆节)" in e.value.message
    assert not CalendarYear.objects.filter(year=2031, published=True).exists()
    rows = [(d, "holiday", name) for d, name in statutory_holidays(2031).items() if name != "国庆节"]
    with pytest.raises(DomainError, match="国庆节"):
        services.publish_year(admin, 2031, rows, "通知")
    client.force_login(admin)
    r = client.post("/workcal/notice/", {"year": 2031, "source": "通知", "file": SimpleUploadedFile("n.csv", "2031-01-01,休,元旦\n".encode())},
                    follow=True)
    assert r.status_code == 200 and "缺少法定节假日" in r.content.decode()


def test_past_years_are_checked_under_the_rules_then_in_force():
    from tongban.workcal.statutory import required_in_notice

    assert D(2014, 1, 30) not in required_in_notice(2014)  # 除夕 2014 was a working day
    assert D(2024, 5, 2) not in required_in_notice(2024) and D(2025, 5, 2) in required_in_notice(2025)
    assert D(2006, 5, 3) in required_in_notice(2006) and not any(n == "清明节" for n in required_in_notice(2006).values())
    import chinese_calendar

    for year in (2006, 2014, 2019, 2024, 2025, 2026):  # every real notice lists all of them
        assert all(chinese_calendar.is_holiday(d) for d in required_in_notice(year)), year


def test_notice_page_publishes_a_year_from_excel(client):
    from openpyxl import Workbook

    admin = factories.grant(factories.UserFactory(), "system_admin")
    client.force_login(admin)
    wb = Workbook()
    for line in NOTICE_2027.splitlines():
        wb.active.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/workcal/notice/", {"year": 2027, "source": "国办发明电(测试)", "file": SimpleUploadedFile("n.xlsx", buf.getvalue())}, follow=True)
    assert "已录入" in r.content.decode()
    assert not is_working_day(D(2027, 2, 12)).working


# --- supervision -----------------------------------------------------------------------------

def test_supervisor_is_warned_from_1_december_while_next_year_is_unpublished(client):
    from tongban.workcal.selectors import calendar_warnings

    assert calendar_warnings(D(2026, 11, 30)) == []
    assert "2027年节假日安排尚未录入" in calendar_warnings(D(2026, 12, 1))[0]
    assert calendar_warnings(D(2025, 12, 15)) == []  # 2026 is published
    supervisor = factories.grant(factories.UserFactory(), "supervisor")
    client.force_login(supervisor)
    page = client.get("/supervision/")
    assert page.status_code == 200 and "电子监察" in page.content.decode()


def test_scheduler_enqueues_the_morning_scan_once_per_working_day(settings):
    from django.utils import timezone

    from tongban.workcal.management.commands.run_schedule import run_due

    settings.TASKS = settings.DB_TASKS  # enqueued for the worker, not run here
    tz = timezone.get_current_timezone()
    monday_0700 = dt.datetime(2025, 3, 3, 7, 0, tzinfo=tz)
    assert run_due(dt.datetime(2025, 3, 3, 5, 0, tzinfo=tz)) == ["sweep_uploads", "licence_render_sweep"]  # housekeeping
    assert run_due(monday_0700) == ["seal_audit", "auto_accept", "scan_clocks", "project_forecasts", "licence_reminders"]
    assert run_due(monday_0700 + dt.timedelta(hours=2)) == ["rating_reminders"]
    assert run_due(monday_0700 + dt.timedelta(hours=3)) == []
    # 国庆: no scan, no acceptance clock, no forecasts; the every-day jobs run
    assert run_due(dt.datetime(2025, 10, 3, 7, 0, tzinfo=tz)) == ["sweep_uploads", "licence_render_sweep", "seal_audit", "licence_reminders"]
    assert run_due(dt.datetime(2025, 10, 11, 7, 0, tzinfo=tz)) == [  # Saturday, 调休上班
        "sweep_uploads", "licence_render_sweep", "seal_audit", "auto_accept", "scan_clocks", "project_forecasts", "licence_reminders"]



# --- regressions from review ------------------------------------------------------------------

def test_suspended_days_are_recounted_when_the_year_is_published(django_capture_on_commit_callbacks):
    admin = factories.grant(factories.UserFactory(), "system_admin")
    c = clock(start=D(2027, 1, 20), limit=20, legal=20)
    clocks.suspend_clock(None, c, "correction", on=D(2027, 1, 25))
    c = clocks.resume_clock(None, c, on=D(2027, 2, 19))
    rows = services.parse_notice(SimpleUploadedFile("2027.csv", NOTICE_2027.encode()), 2027)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_year(admin, 2027, rows, "通知(测试用)")
    services.recompute_years([2027])
    c.refresh_from_db()
    assert c.suspended_days == working_days_between(D(2027, 1, 25), D(2027, 2, 19)).days
    assert c.deadline == add_working_days(D(2027, 1, 20), 20 + c.suspended_days).date


def test_correcting_a_published_year_recomputes_deadlines_in_it(django_capture_on_commit_callbacks):
    factories.grant(factories.UserFactory(), "system_admin")
    c = clock(start=D(2026, 2, 2), limit=10, legal=10)
    before = c.deadline
    from tongban.workcal.models import CalendarDay

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=D(2026, 2, 3), kind="holiday", name="临时增设假日(测试)")  # an admin edit
    assert is_working_day(D(2026, 2, 3)).working is False
    services.recompute_years([2026])
    c.refresh_from_db()
    assert c.deadline == add_working_days(before, 1).date


def test_scan_rebuilds_a_stale_index_when_a_holiday_moves():
    from tongban.workcal.index import index_is_current
    from tongban.workcal.models import CalendarDay

    CalendarDay.objects.filter(date=D(2025, 10, 8)).update(date=D(2025, 10, 13))
    days.invalidate()
    assert not index_is_current()
    c = clock(start=D(2025, 9, 26), limit=3, legal=10)
    scan_lights(D(2025, 9, 30))
    c.refresh_from_db()
    assert c.light == clocks.light_for(c, D(2025, 9, 30))
    assert index_is_current()


def test_a_clock_stopped_on_time_is_green_after_recompute():
    c = clock(start=D(2025, 3, 3), limit=5)
    c = clocks.stop_clock(None, c, on=D(2025, 3, 10))
    assert c.light == Light.GREEN
    late = clocks.stop_clock(None, clock(start=D(2025, 3, 3), limit=5), on=D(2025, 3, 11))
    assert late.light == Light.RED


def test_a_clock_yellow_from_the_start_gets_its_warning_card():
    """Started back-dated (accepted Monday, entered Tuesday), a two-day clock is yellow when it is made."""
    c = clock(start=D(2025, 3, 3), limit=2, legal=5, on=D(2025, 3, 4))
    assert c.light == Light.YELLOW
    assert sorted(ClockEvent.objects.filter(clock=c).values_list("kind", flat=True)) == ["start", "yellow"]


def test_a_clock_no_longer_than_the_warning_window_starts_green():
    """A one- or two-day step is not yellow the moment it opens (the two-day warning would cover all of it):
    it turns yellow once a working day has passed, both when computed and in the daily scan."""
    from tongban.workcal.scan import scan_lights

    c = clock(start=D(2025, 3, 3), limit=2, legal=5)
    assert c.light == Light.GREEN and not ClockEvent.objects.filter(clock=c, kind="yellow").exists()
    scan_lights(D(2025, 3, 3))
    c.refresh_from_db()
    assert c.light == Light.GREEN
    scan_lights(D(2025, 3, 4))
    c.refresh_from_db()
    assert c.light == Light.YELLOW


def test_overlapping_or_backdated_suspensions_and_stops_are_refused():
    c = clock(start=D(2025, 3, 3), limit=20, legal=20)
    clocks.suspend_clock(None, c, "correction", on=D(2025, 3, 10))
    c = clocks.resume_clock(None, c, on=D(2025, 3, 20))
    with pytest.raises(DomainError):
        clocks.suspend_clock(None, c, "correction", on=D(2025, 3, 12))
    with pytest.raises(DomainError):
        clocks.stop_clock(None, c, on=D(2025, 2, 28))
    clocks.suspend_clock(None, c, "testing", on=D(2025, 3, 24))
    with pytest.raises(DomainError) as e:
        clocks.stop_clock(None, c, on=D(2025, 3, 21))
    assert "暂停计时日" in e.value.message


def test_adding_zero_days_is_never_provisional():
    assert add_working_days(D(2031, 3, 3), 0) == (D(2031, 3, 3), False)


def test_notice_with_a_duplicated_date_is_refused():
    with pytest.raises(DomainError) as e:
        services.parse_notice(SimpleUploadedFile("n.csv", "2027-01-01,休,元旦\n2027-01-01,休,元旦\n".encode()), 2027)
    assert "重复" in e.value.message
