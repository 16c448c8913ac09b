"""Documents leave the request path (issue #14): the decision answers at once with 签发中, a background task
renders, seals and stores the document, a duplicated task issues one document, a failing render is retried and
then listed for supervision, and a document whose worker died is put back on the queue by the scheduler's tick.

The leader decides through the API (bearer token) and the page; the queue is the database backend, worked off
by `db_worker --batch` as the demo's worker does."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.test_workflow_definitions import planning  # noqa: F401 - fixture
from tests.test_workflow_engine import agree, running, step  # noqa: F401 - fixtures
from tongban.cases.models import CaseDocument, Notice
from tongban.org.models import ApiToken
from tongban.workflow import issuing
from tongban.workflow.seal import provider

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}


def reviewed(running):  # noqa: F811
    case, reviewers, leader = running
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"))
    return case, leader


def work_off_queue():
    """The demo's worker, run here inside the test's transaction: its between-task connection check would close the
    test's connection on PostgreSQL (the connection is not in autocommit), so that check is skipped."""
    from unittest import mock

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def test_the_decision_answers_before_its_document_exists_and_the_link_follows_the_task(
        client, running, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.TASKS = settings.DB_TASKS  # a real queue: nothing is issued until the worker runs
    case, leader = reviewed(running)
    auth = bearer(leader)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/workflow/cases/{case.number}/decide", {"approve": True, "note": "符合规划条件"},
                        content_type="application/json", **auth)
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "approved" and r.json()["document"] is None and r.json()["document_state"] == "issuing"
    doc = CaseDocument.objects.get(case=case)
    assert doc.state == "issuing" and not doc.file  # answered before the document exists

    listed = client.get(f"/api/v1/cases/{case.number}/documents", **auth).json()
    assert listed == [{**listed[0], "state": "issuing", "state_name": "签发中", "pdf": None}]
    assert client.get(f"/api/v1/cases/{case.number}/documents/{doc.pk}.pdf", **auth).status_code == 409
    client.force_login(leader)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "签发中" in page and f"/documents/{doc.pk}.pdf" not in page
    waiting = client.get(f"/hall/cases/{case.number}/documents/{doc.pk}.pdf")
    assert waiting.status_code == 202 and "文书签发中" in waiting.content.decode() and b'http-equiv="refresh"' in waiting.content

    work_off_queue()
    doc.refresh_from_db()
    assert doc.state == "issued" and doc.sha256 and doc.attempts == 1
    listed = client.get(f"/api/v1/cases/{case.number}/documents", **auth).json()
    assert listed[0]["state"] == "issued" and listed[0]["pdf"] == f"/api/v1/cases/{case.number}/documents/{doc.pk}.pdf"
    pdf = client.get(listed[0]["pdf"], **auth)
    assert pdf.status_code == 200 and provider().verify(pdf.content).ok
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"/documents/{doc.pk}.pdf" in page and "打印准予行政许可决定书" in page
    assert case.events.filter(action="document_issued").count() == 1


def test_a_duplicated_task_issues_one_document(running, django_capture_on_commit_callbacks, settings):  # noqa: F811
    settings.TASKS = settings.DB_TASKS
    case, leader = reviewed(running)
    from tongban.workflow import engine

    with django_capture_on_commit_callbacks(execute=True):
        engine.decide(leader, case, approve=True, note="")
    doc = CaseDocument.objects.get(case=case)
    issuing.issue_task.enqueue("decision", doc.pk)  # the same task twice on the queue (a retry after a lost answer)
    work_off_queue()
    doc.refresh_from_db()
    assert doc.state == "issued" and case.events.filter(action="document_issued").count() == 1
    assert issuing.issue("decision", doc.pk) == "already issued"


def test_two_copies_running_at_once_keep_one_file(running, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
    """The second copy renders while the first one stores: it loses the row lock's check and deletes its file."""
    from django.core.files.storage import default_storage

    from tongban.workflow import documents, engine

    case, leader = reviewed(running)
    engine.decide(leader, case, approve=True, note="")  # queued on commit: not run here (callbacks not executed)
    doc = CaseDocument.objects.get(case=case)
    real = documents.render_decision
    inner = []

    def render_while_another_copy_finishes(*args, **kwargs):
        pdf = real(*args, **kwargs)
        if not inner:
            inner.append("running")
            inner[0] = issuing.issue("decision", doc.pk)  # the other copy finishes first
        return pdf

    monkeypatch.setattr(documents, "render_decision", render_while_another_copy_finishes)
    folder = f"decisions/{doc.issued_on:%Y}"
    before = set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()
    assert issuing.issue("decision", doc.pk) == "duplicate" and inner == ["issued"]
    doc.refresh_from_db()
    assert set(default_storage.listdir(folder)[1]) - before == {doc.file.name.rsplit("/", 1)[1]}  # the loser's copy was deleted


def test_a_failing_render_is_retried_then_listed_for_supervision_and_reissued(
        client, running, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
    from tongban.workflow import documents, engine

    case, leader = reviewed(running)
    real = documents.render_decision

    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(documents, "render_decision", broken)
    with django_capture_on_commit_callbacks(execute=True):
        engine.decide(leader, case, approve=True, note="")
    doc = CaseDocument.objects.get(case=case)
    assert doc.state == "issuing" and doc.attempts == 1 and "字体缺失" in doc.last_error  # queued again with a back-off
    for _ in range(issuing.MAX_ATTEMPTS - 1):  # the worker picks the retries up when their time comes
        issuing.issue("decision", doc.pk)
    doc.refresh_from_db()
    assert doc.state == "failed" and doc.attempts == issuing.MAX_ATTEMPTS and "字体缺失" in doc.last_error
    assert case.events.filter(action="document_failed").count() == 1

    supervisor = factories.grant(factories.UserFactory(), "supervisor", case.region.code[:6])
    client.force_login(supervisor)
    board = client.get("/supervision/").content.decode()
    assert "签发失败的文书" in board and case.number in board and "字体缺失" in board
    outsider = factories.grant(factories.UserFactory(), "supervisor", "110101")
    r = client.post(f"/api/v1/workflow/documents/decision/{doc.pk}/retry", **bearer(outsider))
    assert r.status_code == 404  # out of scope answers like nonexistent

    monkeypatch.setattr(documents, "render_decision", real)  # the cause is fixed
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/v1/workflow/documents/decision/{doc.pk}/retry", **bearer(supervisor))
    assert r.status_code == 200 and r.json()["state"] == "issuing"
    doc.refresh_from_db()
    assert doc.state == "issued" and provider().verify(doc.file.read()).ok
    assert case.number not in client.get("/supervision/").content.decode().split("签发失败的文书")[1].split("</section>")[0]


def test_a_document_whose_worker_died_is_queued_again_once(running, django_capture_on_commit_callbacks):  # noqa: F811
    from tongban.workflow import engine

    case, leader = reviewed(running)
    engine.decide(leader, case, approve=True, note="")  # its task was lost with the worker (callbacks not run)
    doc = CaseDocument.objects.get(case=case)
    assert issuing.requeue_stalled() == 0  # not yet stalled
    later = timezone.now() + issuing.STALL + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert issuing.requeue_stalled(now=later) >= 1
    doc.refresh_from_db()
    assert doc.state == "issued"
    assert issuing.requeue_stalled(now=later + issuing.STALL * 2) == 0  # issued: never again


def test_notices_are_issued_sealed_and_stored_so_a_reprint_is_the_issued_file(
        client, running, django_capture_on_commit_callbacks):  # noqa: F811
    case, _, _ = running
    notice = Notice.objects.get(case=case, kind="acceptance")
    assert notice.state == "issuing"  # recorded by the acceptance; the fixture's callbacks did not run
    with django_capture_on_commit_callbacks(execute=True):
        issuing.requeue_stalled(now=timezone.now() + issuing.STALL * 2)
    notice.refresh_from_db()
    assert notice.state == "issued" and provider().verify(notice.file.read()).ok
    clerk = factories.grant(factories.UserFactory(), "window_clerk", case.region.code[:6])
    first = client.get(f"/api/v1/cases/{case.number}/notices/{notice.pk}.pdf", **bearer(clerk))
    again = client.get(f"/api/v1/cases/{case.number}/notices/{notice.pk}.pdf", **bearer(clerk))
    assert first.status_code == 200 and first.content == again.content  # the stored file, byte for byte

