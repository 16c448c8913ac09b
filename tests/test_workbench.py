"""The clerk workbench pages: the same services as the API, driven by forms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tongban.cases.models import Case, CaseState
from tongban.core.identifiers import make_id_card

pytestmark = pytest.mark.django_db
PDF = factories.pdf_bytes()


@pytest.fixture
def clerk_client(client, db):
    clerk = factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")
    client.force_login(clerk)
    return client


def test_clerk_registers_a_walk_in_accepts_with_one_gap_and_prints_the_notice(clerk_client, admin, django_capture_on_commit_callbacks):
    food = factories.make_item(admin)
    page = clerk_client.get("/hall/new/", {"item_q": "食品经营许可"}).content.decode()
    assert "食品经营许可" in page and 'name="target"' in page
    r = clerk_client.post("/hall/new/", {"kind": "person", "id_number": make_id_card("370881", __import__("datetime").date(1988, 5, 6), 17),
                                         "name": "孔繁星", "phone": "13905370001", "target": f"item:{food.implementation_code}"}, follow=True)
    case = Case.objects.get()
    assert "已收件" in r.content.decode() and case.state == CaseState.RECEIVED
    form = {"action": "accept", "gap_days": "5"}
    for m in food.versions.get().materials.all():
        if m.role == "auxiliary":
            form[f"m{m.pk}"] = "gap"
        else:
            form[f"m{m.pk}"] = "provided"
            form[f"f{m.pk}"] = SimpleUploadedFile(f"{m.pk}.pdf", PDF)
    with django_capture_on_commit_callbacks(execute=True):  # the notices are issued once the acceptance commits
        r = clerk_client.post(f"/hall/cases/{case.number}/act/", form, follow=True)
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and case.gap_open, r.content.decode()[:2000]
    notice = case.notices.get(kind="acceptance")
    pdf = clerk_client.get(f"/hall/cases/{case.number}/notices/{notice.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert case.number in clerk_client.get("/hall/").content.decode()


def test_a_wrong_act_shows_a_chinese_message_not_a_500(clerk_client, admin):
    food = factories.make_item(admin)
    clerk_client.post("/hall/new/", {"kind": "person", "id_number": make_id_card("370881", __import__("datetime").date(1990, 1, 1), 3),
                                     "name": "孟凡", "target": f"item:{food.implementation_code}"})
    case = Case.objects.get()
    r = clerk_client.post(f"/hall/cases/{case.number}/act/", {"action": "accept"}, follow=True)
    assert r.status_code == 200 and "必要材料不齐" in r.content.decode()
    r = clerk_client.post("/hall/new/", {"kind": "person", "id_number": "370881199001011234", "name": "孟凡",
                                         "target": f"item:{food.implementation_code}"})
    assert "校验位错误" in r.content.decode()


def test_public_progress_page_shows_no_personal_data(client, admin):
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    from tongban.cases import services

    food = factories.make_item(admin)
    person = services.register_applicant(clerk, kind="person", id_number=make_id_card("370881", __import__("datetime").date(1988, 5, 6), 17),
                                         name="孔繁星", phone="13905370001")
    case = services.submit_case(clerk, applicant=person, item=food)
    from tongban.cases.services import track_token

    assert client.get(f"/track/{case.number}/000000000000/").status_code == 404  # numbers cannot be walked through
    page = client.get(f"/track/{case.number}/{track_token(case.number)}/").content.decode()
    assert "孔**" in page and "孔繁星" not in page and person.id_number not in page and "13905370001" not in page
    assert client.get("/track/370800-20990101-000001/abc/").status_code == 404


def test_workbench_needs_login(client):
    assert client.get("/hall/").status_code == 302


def test_the_to_do_count_counts_every_waiting_case_not_the_first_page(clerk_client, admin):
    import datetime as dt

    from django.contrib.auth import get_user_model

    from tongban.cases import services
    from tongban.cases.selectors import PAGE

    food = factories.make_item(admin)
    clerk = get_user_model().objects.get(display_name="颜春梅")
    for i in range(PAGE + 5):
        person = services.register_applicant(clerk, kind="person", id_number=make_id_card("370881", dt.date(1980, 1, 1) + dt.timedelta(days=i), 21),
                                             name=f"申请人{i}")
        case = services.submit_case(clerk, applicant=person, item=food)
        if i < 3:
            services.withdraw_case(clerk, case)
    page = clerk_client.get("/hall/").content.decode()
    assert f"待处理 <span class=\"text-secondary fw-normal\">({PAGE + 2})</span>" in page
    assert f"全部办件 <span class=\"text-secondary fw-normal\">({PAGE + 5})</span>" in page


def test_a_back_dated_receipt_pins_the_guide_in_force_that_day(admin):
    import datetime as dt

    from tongban.catalog import services as catalog
    from tongban.cases import services

    from tongban.catalog.models import ItemVersion

    food = factories.make_item(admin)
    first = food.versions.get()
    second = catalog.publish_version(admin, catalog.new_draft(admin, food), valid_from=dt.date.today() + dt.timedelta(days=1))
    # history as it stands a year on: the first guide was in force until 1 July 2025, the second since
    ItemVersion.objects.filter(pk=first.pk).update(valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 7, 1))
    ItemVersion.objects.filter(pk=second.pk).update(valid_from=dt.date(2025, 7, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    person = services.register_applicant(clerk, kind="person", id_number=make_id_card("370881", dt.date(1979, 3, 2), 33), name="颜廷玉")
    assert services.submit_case(clerk, applicant=person, item=food, on=dt.date(2025, 6, 2)).item_version == first
    assert services.submit_case(clerk, applicant=person, item=food).item_version == second
