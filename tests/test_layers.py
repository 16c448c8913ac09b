"""The apps' layers (issue #9): core imports no app, org keeps the tokens and the roles, schedules are registered."""

from django.test import RequestFactory

from tests import factories
from tongban.org import auth as org_auth
from tongban.org.models import ApiToken


def test_a_bearer_token_is_checked_by_org(db):
    clerk = factories.grant(factories.UserFactory(), "clerk")
    _, key = ApiToken.issue(clerk, "叫号机")
    bearer = org_auth.STAFF_AUTH[0]
    assert bearer.authenticate(RequestFactory().get("/"), key) == clerk
    assert bearer.authenticate(RequestFactory().get("/"), key + "x") is None


def test_a_system_administrator_reads_the_audit_log_in_the_admin_and_cannot_change_it(client, db):
    sysadmin = factories.grant(factories.UserFactory(is_staff=True), "system_admin")
    client.force_login(sysadmin)
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/auditevent/add/").status_code == 403


def test_each_app_registers_its_daily_jobs_and_the_worker_runs_them_by_name(db, settings):
    import datetime as dt

    settings.TASKS = settings.DB_TASKS

    from django_tasks_db.models import DBTaskResult

    from tongban.core import schedule
    from tongban.workcal.management.commands.run_schedule import run_due

    assert [(j.name, j.at, j.every_day) for j in schedule.jobs()] == [
        ("sweep_uploads", dt.time(3, 0), True), ("licence_render_sweep", dt.time(3, 30), True), ("seal_audit", dt.time(6, 0), True),
        ("auto_accept", dt.time(6, 15), False), ("scan_clocks", dt.time(6, 30), False),
        ("project_forecasts", dt.time(6, 45), False), ("licence_reminders", dt.time(7, 0), True),
        ("rating_reminders", dt.time(8, 30), True),
    ]
    assert run_due(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))) == [j.name for j in schedule.jobs()]
    assert DBTaskResult.objects.filter(task_path="tongban.core.schedule.run_job").count() == 8
    assert schedule.run_job.call("project_forecasts", "2025-03-03") == {"projects": 0}
    assert schedule.run_job.call("scan_clocks", "2025-03-03")["day"] == "2025-03-03"
    assert schedule.run_job.call("auto_accept", "2025-03-03") == []
    assert schedule.run_job.call("sweep_uploads", "2025-03-03") in ([], {"removed": 0})  # before and after the cases patch
    from django.utils import timezone

    today = timezone.localdate()
    assert schedule.run_job.call("seal_audit", today.isoformat())["day"] == str(today - dt.timedelta(days=1))
