"""我的办件 costs a fixed number of statements however many cases the account holds (page and API)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tongban.cases import services as intake
from tongban.cases.models import RegistryPerson
from tongban.core.identifiers import make_id_card
from tongban.org.models import ApiToken
from tongban.portal import services as portal
from tongban.workcal import days

pytestmark = pytest.mark.django_db
D = dt.date
PASSWORD = "Qufu-Kongmiao-2026"


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


def pdf():
    return SimpleUploadedFile("材料.pdf", factories.pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def setting(admin):
    clerk = factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")
    item = factories.make_item(admin)
    version = item.versions.get()
    me_id = make_id_card("370881", D(1988, 6, 12), 213)
    RegistryPerson.objects.create(id_number=me_id, name="孔令华")
    user = portal.register_person(id_number=me_id, name="孔令华", phone="13905371234", password=PASSWORD)
    me = portal.applicant_for(user, None)
    return {"clerk": clerk, "item": item, "version": version, "user": user, "me": me}


def add_cases(s, n, django_capture_on_commit_callbacks):
    """n cases of the account in the states 我的办件 shows differently: accepted with an auxiliary material owed
    (容缺: a running clock and a material to supply online), awaiting correction (a one-time notice and pending
    materials), received online."""
    materials = list(s["version"].materials.all())
    aux = [m for m in materials if m.role != "main"][0]
    for i in range(n):
        with django_capture_on_commit_callbacks(execute=True):
            if i % 3 == 0:
                case = portal.apply_online(s["user"], applicant=s["me"], version=s["version"], form_data={},
                                           files={m.pk: pdf() for m in materials if m != aux})
                intake.accept_case(s["clerk"], case, gaps=[aux.pk], gap_days=5)
                continue
            case = portal.apply_online(s["user"], applicant=s["me"], version=s["version"], form_data={},
                                       files={m.pk: pdf() for m in materials[1:]})
            if i % 3 == 1:
                intake.notify_missing(s["clerk"], case, items=[{"material": materials[0].pk, "status": "missing"}])


def count(fn):
    """Statements of one call, the process caches (calendar, settled settings: 60 s) warmed by a call just before;
    the fewer of two calls, so that a once-a-while statement (a cache refilled when it expires, a token's last use
    written at most once a minute) is not taken for a statement per case."""
    fn()
    counted = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            fn()
        counted.append(len(ctx.captured_queries))
    return min(counted)


def test_my_cases_cost_the_same_for_one_case_and_for_six(setting, client, django_capture_on_commit_callbacks):
    token = ApiToken.issue(setting["user"], "test")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def api():
        r = client.get("/api/v1/my/cases", **auth)
        assert r.status_code == 200
        return r.json()

    def page():
        r = client.get("/my/")
        assert r.status_code == 200

    add_cases(setting, 1, django_capture_on_commit_callbacks)
    client.force_login(setting["user"])
    one_api, one_page = count(api), count(page)
    add_cases(setting, 5, django_capture_on_commit_callbacks)
    six_api, six_page = count(api), count(page)
    listed = api()
    assert len(listed) == 6 and {c["state"] for c in listed} == {"correction", "accepted", "received"}
    owed = {c["state"]: [p["status"] for p in c["pending"]] for c in listed}
    assert owed == {"accepted": ["gap"], "correction": ["missing"], "received": []}, owed
    assert all(c["deadline"] for c in listed if c["state"] == "accepted")
    for c in listed:  # the case itself reads the same as in the list
        assert client.get(f"/api/v1/my/cases/{c['number']}", **auth).json() == c
        assert client.get(f"/my/cases/{c['number']}/").status_code == 200
    assert six_api == one_api, (one_api, six_api)
    assert six_page == one_page, (one_page, six_page)


def test_a_drafts_files_go_with_its_submission_and_leave_storage(setting, django_capture_on_commit_callbacks):
    """The draft's stored file is the case's material after submission, and the draft's copy is deleted; deleting a
    draft deletes its files too. A file that is no PDF/image is refused before anything is stored."""
    from django.core.files.storage import default_storage

    from tongban.core.errors import DomainError

    user, me, version = setting["user"], setting["me"], setting["version"]
    materials = list(version.materials.all())
    with pytest.raises(DomainError) as refused:
        portal.save_draft(user, applicant=me, version=version, form_data={},
                          files={materials[0].pk: SimpleUploadedFile("申请书.pdf", b"<html>")})
    assert refused.value.field == "file"
    with django_capture_on_commit_callbacks(execute=True):
        draft = portal.save_draft(user, applicant=me, version=version, form_data={}, files={materials[0].pk: pdf()})
    [kept] = draft.files.all()
    assert default_storage.exists(kept.file.name) and kept.name == "材料.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        case = portal.apply_online(user, applicant=me, version=version, form_data={}, draft=draft,
                                   files={m.pk: pdf() for m in materials[1:]})
    assert case.materials.get(material=materials[0]).file.read().startswith(b"%PDF")
    assert not default_storage.exists(kept.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        other = portal.save_draft(user, applicant=me, version=version, form_data={}, files={materials[1].pk: pdf()})
    name = other.files.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        portal.delete_draft(user, other)
    assert not default_storage.exists(name)
