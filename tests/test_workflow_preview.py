"""The leader's preview of the decision document in the decision queue: the same template as the sealed
document, marked 预览 · 未签发, never sealed or stored, and only for the leader who may decide."""

import os
import shutil
import subprocess

import pytest

from tests import factories
from tests.test_workflow_definitions import planning, steps  # noqa: F401 - fixtures and spec
from tests.test_workflow_engine import agree, running, step  # noqa: F401
from tongban.cases.models import CaseState
from tongban.cases.models import CaseDocument
from tongban.workflow.seal import provider

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI: pdftotext (poppler-utils) is missing")
        pytest.skip("pdftotext not installed")
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def waiting(running):  # noqa: F811
    """Every branch agreed: the case waits in the leader's queue."""
    case, reviewers, leader = running
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"))
    return case, reviewers, leader


def url(case, kind):
    return f"/office/decisions/{case.number}/preview-{kind}.pdf"


def test_leader_previews_both_decisions_unsealed_and_unstored_from_the_queue(client, waiting):
    case, _, leader = waiting
    client.force_login(leader)
    queue = client.get("/office/decisions/").content.decode()
    assert f'src="{url(case, "approval")}"' in queue and f'src="{url(case, "denial")}"' in queue  # inline, lazily loaded
    assert f'formaction="{url(case, "denial")}"' in queue  # and with the reasons typed in the decision form

    r = client.get(url(case, "approval"))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r["X-Frame-Options"] == "SAMEORIGIN"
    assert r["Content-Disposition"].startswith("inline")
    approval = r.content
    assert not provider().verify(approval).signed
    text = text_of(approval)
    assert "准予行政许可决定书" in text and "预览 · 未签发" in text and "济宁城投置业有限公司" in text and "第三十八条第一款" in text

    r = client.post(url(case, "denial"), {"note": "建筑退让道路红线不足,不符合控制性详细规划"})
    denial = text_of(r.content)
    assert "不予行政许可决定书" in denial and "预览 · 未签发" in denial and "退让道路红线不足" in denial and "行政复议" in denial

    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and not CaseDocument.objects.exists()
    assert step(case, "decide").state == "ready"  # previewing decides nothing


def test_only_the_deciding_authoritys_leader_may_fetch_the_preview(client, running, planning):  # noqa: F811
    case, reviewers, leader = running
    client.force_login(leader)
    r = client.get(url(case, "approval"))
    assert r.status_code == 409 and "不在待决定状态" in r.content.decode()  # the branches are still open
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"))

    client.force_login(reviewers["fire"])
    r = client.get(url(case, "approval"))
    assert r.status_code == 403 and "仅济宁市行政审批服务局负责人可以预览决定书" in r.content.decode()
    qufu_bureau = factories.DepartmentFactory(name="曲阜市行政审批服务局", function="approval", region=factories.region("370881"))
    other_leader = factories.grant(factories.UserFactory(), "bureau_leader", "370881", department=qufu_bureau)
    client.force_login(other_leader)
    assert client.get(url(case, "denial")).status_code == 404  # out of scope: as if it did not exist
    assert client.post(url(case, "denial"), {"note": "x"}).status_code == 404
    client.logout()
    assert client.get(url(case, "approval")).status_code == 302  # to the login page
    client.force_login(leader)
    assert client.get(f"/office/decisions/{case.number}/preview-licence.pdf").status_code == 404


def test_a_county_decision_names_the_county_hall_and_the_responsible_clerk(admin):
    """A county case prints its own hall (not the city's) and the 首办负责人 in the contact line."""
    import datetime as dt

    from tongban.cases import services as intake
    from tongban.core.identifiers import make_id_card
    from tongban.org.models import Hall
    from tongban.workflow.documents import _context

    Hall.objects.create(name="济宁市为民服务中心", region=factories.region("370800"), address="济宁市任城区")
    Hall.objects.create(name="曲阜市为民服务中心", region=factories.region("370881"), address="曲阜市静轩西路")
    county_dept = factories.DepartmentFactory(name="曲阜市行政审批服务局", function="approval", region=factories.region("370881"))
    item = factories.make_item(admin, department=county_dept, level=3)
    clerk = factories.grant(factories.UserFactory(display_name="孔凡荣", phone="05374412345"), "window_clerk", region_code="370881")
    person = intake.register_applicant(clerk, kind="person", id_number=make_id_card("370881", dt.date(1985, 2, 3), 41), name="孔祥林")
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=person, item=item, materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]))
    ctx = _context(case, county_dept, dt.date.today(), approve=True, note="符合条件")
    assert ctx["hall"]["name"] == "曲阜市为民服务中心"
    assert ctx["case"]["handler"] == "孔凡荣" and ctx["case"]["handler_phone"] == "05374412345"
