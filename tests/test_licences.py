"""The electronic licence library: identifiers (GB/T 36904), issue on approval named in the decision, the sealed
face and its verification, status changes and new versions, the wallet with consent and the use log, reuse at
intake, reminders, and the base-registry check at intake."""

import datetime as dt
import os
import re
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings as hsettings, strategies as st

from tests import factories
from tongban.cases import services as intake
from tongban.cases.models import CaseMaterial, RegistryEntity
from tongban.cases.selectors import case_out
from tongban.core.errors import DomainError, NotAllowed
from tongban.core.identifiers import (
    LICENCE_ROOT, licence_check_char, make_id_card, make_licence_identifier, make_uscc, parse_licence_identifier, validate_licence_identifier,
)
from tongban.core.pdf import blank_pdf
from tongban.licences import documents, services
from tongban.licences.models import Consent, Licence, LicenceType, Reminder, Use
from tongban.workcal import days
from tongban.workflow import engine

pytestmark = pytest.mark.django_db
REAL = [
    LICENCE_ROOT + "11100000000013338W011.11430000006122244L.20230000403.001.U",
    LICENCE_ROOT + "11100000MB03271699022.340100.000000016.001.9",
]
SAMR = make_uscc("100000", 1371, kind="1")


# --- identifiers ----------------------------------------------------------------------------------------------

def test_real_identifiers_from_other_provinces_are_accepted_and_our_check_character_agrees():
    for identifier in REAL:
        parts = parse_licence_identifier(identifier)
        body = identifier[len(LICENCE_ROOT):].rsplit(".", 1)[0]
        assert licence_check_char(body) == identifier[-1] == parts["check"]
    assert parse_licence_identifier(REAL[0])["issuer"] == "11430000006122244L"  # an issuer's credit code
    assert parse_licence_identifier(REAL[1])["issuer"] == "340100"  # an issuer that uses its region code (合肥市)
    assert validate_licence_identifier(REAL[1].lower()) == REAL[1]


@pytest.mark.parametrize("wrong, message", [
    (REAL[0][:-1] + "V", "校验位错误"),
    (REAL[1][:-1] + "8", "校验位错误"),
    (REAL[0].replace("20230000403", "20230000404"), "校验位错误"),
    (REAL[0][len(LICENCE_ROOT):], "根节点"),
    (REAL[0].replace(".001.", ".01."), "格式错误"),
    ("", "根节点"),
])
def test_wrong_identifiers_are_refused_with_a_chinese_message(wrong, message):
    with pytest.raises(DomainError) as e:
        validate_licence_identifier(wrong)
    assert message in e.value.message and e.value.field == "identifier"


@hsettings(max_examples=60, deadline=None)
@given(serial=st.integers(0, 10**7 - 1), version=st.integers(1, 999), year=st.integers(2000, 2099),
       position=st.integers(0, 200), char=st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"))
def test_generated_identifiers_validate_and_any_changed_character_is_caught(serial, version, year, position, char):
    identifier = make_licence_identifier(SAMR + "011", make_uscc("370800", 80000132), f"{year}{serial:07d}", version)
    assert validate_licence_identifier(identifier) == identifier
    body = identifier[len(LICENCE_ROOT):]
    digits = [i for i, c in enumerate(body) if c != "."]
    i = digits[position % len(digits)]
    if body[i] != char:
        changed = LICENCE_ROOT + body[:i] + char + body[i + 1:]
        with pytest.raises(DomainError):
            validate_licence_identifier(changed)


# --- fixtures: a food licence type, an item that issues it, a shop, a leader -----------------------------------

@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


@pytest.fixture
def types(db):
    food = LicenceType.objects.create(
        authority_name="国家市场监督管理总局", authority_code=SAMR, sequence="011", name="食品经营许可证", holder_kind="001",
        validity_years=5, number_prefix="JY", content_field="经营项目",
        face_fields=[{"name": "经营者名称", "required": True, "max_length": 120}, {"name": "经营场所", "required": True, "max_length": 200},
                     {"name": "主体业态", "max_length": 60}, {"name": "经营项目", "max_length": 300}])
    business = LicenceType.objects.create(
        authority_name="国家市场监督管理总局", authority_code=SAMR, sequence="001", name="营业执照", holder_kind="001",
        face_fields=[{"name": "名称", "required": True}, {"name": "经营范围"}], content_field="经营范围")
    return {"food": food, "business": business}


@pytest.fixture
def bureau(db):
    return factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval", is_approval_bureau=True)


@pytest.fixture
def food(admin, bureau, types):
    return factories.make_item(admin, department=bureau, licence_type="食品经营许可证")


@pytest.fixture
def clerk(db):
    return factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")


@pytest.fixture
def leader(bureau):
    return factories.grant(factories.UserFactory(display_name="闵建国"), "bureau_leader", department=bureau)


@pytest.fixture
def shop(clerk):
    RegistryEntity.objects.create(credit_code=make_uscc("370811", 12345678, authority="9", kind="2"), name="济宁市任城区鲁味轩餐饮店",
                                  legal_rep="孔德成")
    return intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 12345678, authority="9", kind="2"),
                                     name="济宁市任城区鲁味轩餐饮店", phone="13905371234", address="济宁市任城区古槐路88号")


def pdf():
    return SimpleUploadedFile("材料.pdf", blank_pdf(), content_type="application/pdf")


FORM = {"经营场所": "济宁市任城区古槐路88号", "主体业态": "餐饮服务经营者(小型餐馆)", "经营项目": "热食类食品制售"}


def approved(clerk, leader, applicant, item, form=FORM, skip=()):
    version = item.versions.get()
    case = intake.submit_case(clerk, applicant=applicant, item=item, form_data=form, materials=[
        {"material": m.pk, "status": "provided", "file": pdf()} for m in version.materials.all() if m.name not in skip])
    case = intake.accept_case(clerk, case)
    return engine.decide(leader, case, approve=True, note="经营场所与食品安全管理制度符合要求")


def issued_decision(case) -> bytes:
    """The decision document as the worker issues it after the decision commits."""
    from tongban.workflow.issuing import issue

    doc = case.documents.get()
    issue("decision", doc.pk)
    doc.refresh_from_db()
    return doc.file.read()


def pdf_text(pdf_bytes: bytes) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI: pdftotext is missing (poppler-utils)")
        pytest.skip("pdftotext not installed")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf_bytes, capture_output=True, check=True, timeout=30)
    return re.sub(r"[\s\u200b]+", "", out.stdout.decode())


# --- issue on approval ----------------------------------------------------------------------------------------

def test_approval_issues_the_licence_and_the_decision_names_it(clerk, leader, shop, food, bureau):
    case = approved(clerk, leader, shop, food)
    licence = Licence.objects.get(case=case)
    assert licence.holder_id == shop.id_number and licence.holder_name == "济宁市任城区鲁味轩餐饮店"
    assert licence.issuer == bureau and licence.issuer_code == bureau.credit_code
    assert licence.face["经营场所"] == "济宁市任城区古槐路88号" and licence.content == "热食类食品制售"
    assert licence.valid_from == licence.issued_on and licence.valid_until.year == licence.issued_on.year + 5
    assert validate_licence_identifier(licence.identifier) == licence.identifier
    assert licence.identifier.startswith(f"{LICENCE_ROOT}{SAMR}011.{bureau.credit_code}.")
    assert licence.number.startswith("JY370800") and licence.render_state == "pending"

    text = pdf_text(issued_decision(case))
    assert "许可证编号" in text and licence.number in text
    assert "许可内容" in text and "热食类食品制售" in text
    assert "有效期" in text and f"{licence.valid_until:%Y年%m月%d日}" in text
    assert "审批专用章" in text  # the red seal drawn from the authority's name


def test_an_item_without_a_licence_type_issues_none(clerk, leader, shop, admin, bureau, types):
    item = factories.make_item(admin, department=bureau)
    case = approved(clerk, leader, shop, item)
    assert not Licence.objects.filter(case=case).exists()
    assert "许可证编号" not in pdf_text(issued_decision(case))


def test_face_fields_are_validated_on_issue(clerk, leader, food, types):
    person = intake.register_applicant(clerk, kind="person", id_number=make_id_card("370811", dt.date(1985, 3, 10), 101), name="孔德成")
    with pytest.raises(DomainError) as e:
        approved(clerk, leader, person, food, form={"经营项目": "热食类食品制售"})
    assert "经营场所" in e.value.message  # the decision is not recorded without the licence's required face


def test_rendering_is_idempotent_and_the_sealed_face_verifies(clerk, leader, shop, food):
    licence = Licence.objects.get(case=approved(clerk, leader, shop, food))
    first = services.render_licence(licence.pk)
    assert first["state"] == "issued" and first["again"] is True
    licence.refresh_from_db()
    sha = licence.sha256
    assert services.render_licence(licence.pk)["again"] is False  # a retried task changes nothing
    licence.refresh_from_db()
    assert licence.sha256 == sha
    pdf_bytes = licence.file.read()
    check = documents.check_pdf(pdf_bytes)
    assert check["seal_ok"] and check["licence"] == licence
    text = pdf_text(pdf_bytes)
    assert "食品经营许可证" in text and licence.number in text and "审批专用章" in text and licence.identifier in text


def test_a_pdf_altered_after_sealing_fails_verification(clerk, leader, shop, food):
    licence = Licence.objects.get(case=approved(clerk, leader, shop, food))
    services.render_licence(licence.pk)
    licence.refresh_from_db()
    original = licence.file.read()
    # an edit appended after the signature (an incremental update changing the holder's name)
    tampered = original + b"\n9999 0 obj\n<< /Type /Annot /Contents (\xe5\x8f\x98\xe6\x9b\xb4) >>\nendobj\n"
    check = documents.check_pdf(tampered)
    assert not check["seal_ok"] and not check["matches_master"]
    # a byte changed inside the signed range
    i = original.index(b"/MediaBox")
    flipped = original[:i] + b"/MediaBax" + original[i + 9:]
    assert not documents.check_pdf(flipped)["seal_ok"]
    assert not documents.check_pdf(blank_pdf())["seal_ok"]  # no seal at all


# --- status, versions, verification page ------------------------------------------------------------------------

def test_revocation_shows_on_the_verification_page(client, clerk, leader, shop, food):
    case = approved(clerk, leader, shop, food)
    licence = Licence.objects.get(case=case)
    page = client.get(f"/licences/verify/{licence.identifier}/")
    assert page.status_code == 200 and "有效" in page.content.decode() and "济宁市任城区鲁味轩餐饮店" in page.content.decode()
    assert shop.id_number not in page.content.decode()  # the holder's code is masked
    with pytest.raises(NotAllowed):
        services.change_status(clerk, licence, status="revoked", reason="以欺骗手段取得许可")  # not the issuer
    services.change_status(leader, licence, status="revoked", reason="以欺骗手段取得许可", case=case)
    body = client.get(f"/licences/verify/{licence.identifier}/").content.decode()
    assert "已撤销" in body and "以欺骗手段取得许可" in body
    with pytest.raises(DomainError):
        services.change_status(leader, licence, status="cancelled", reason="再次注销")  # only a valid licence
    assert [c.to_status for c in licence.status_changes.all()] == ["revoked"]


def test_unknown_and_malformed_identifiers_answer_404_on_the_page(client, db):
    assert client.get(f"/licences/verify/{REAL[0]}/").status_code == 404  # well formed, not in this library
    assert "校验位错误" in client.get(f"/licences/verify/{REAL[0][:-1]}V/").content.decode()


def test_change_issues_a_new_version_linked_to_the_old(clerk, leader, shop, food):
    old = Licence.objects.get(case=approved(clerk, leader, shop, food))
    new = services.new_version(leader, old, kind="change", reason="经营场所变更", face={"经营场所": "济宁市任城区红星中路16号"})
    old.refresh_from_db()
    assert new.version == 2 and new.previous == old and new.serial == old.serial and new.valid_until == old.valid_until
    assert new.identifier.endswith(f".{old.serial}.002.{new.identifier[-1]}") and validate_licence_identifier(new.identifier)
    assert old.status == "superseded" and new.face["经营场所"] == "济宁市任城区红星中路16号"
    renewed = services.new_version(leader, new, kind="renew", reason="有效期届满延续")
    assert renewed.version == 3 and renewed.valid_until > new.valid_until


def test_revoking_the_approval_revokes_its_licence(clerk, leader, shop, food, admin):
    case = approved(clerk, leader, shop, food)
    from tongban.cases.events import case_revoked

    case_revoked.send(sender=type(case), case=case, actor=leader, on=dt.date.today(), reason="告知承诺不实")
    assert Licence.objects.get(case=case).status == "revoked"


# --- wallet, consent, use ---------------------------------------------------------------------------------------

@pytest.fixture
def business_licence(shop, bureau, types, admin):
    face = services.face_of(types["business"], {"name": shop.name, "id_number": shop.id_number}, {"经营范围": "餐饮服务"})
    licence = services.create_licence(admin, licence_type=types["business"], holder_kind="001", holder_id=shop.id_number,
                                      holder_name=shop.name, issuer=bureau, face=face, content="餐饮服务", on=dt.date(2023, 3, 1))
    return licence


def test_a_material_is_satisfied_from_the_wallet_with_consent_recorded(clerk, shop, food, business_licence):
    version = food.versions.get()
    material = version.materials.get(name="营业执照")
    from tongban.cases import reuse

    offers = [o for o in reuse.offers(shop, version) if o.material_id == material.pk]
    assert [o.reference for o in offers] == [business_licence.identifier] and "电子证照:营业执照" in offers[0].label
    entry = {"material": material.pk, "status": "shared", "source": "licence", "reference": business_licence.identifier}
    with pytest.raises(DomainError) as e:
        intake.submit_case(clerk, applicant=shop, item=food, materials=[entry])
    assert e.value.code == "reuse_consent"
    case = intake.submit_case(clerk, applicant=shop, item=food, materials=[{**entry, "consent": True}])
    cm = CaseMaterial.objects.get(case=case, material=material)
    assert cm.status == "shared" and cm.reference == f"licence:{business_licence.identifier}"
    consent = Consent.objects.get(licence=business_licence, case=case)
    assert consent.mode == "window" and consent.department == food.department
    use = Use.objects.get(licence=business_licence, case=case)
    assert use.purpose == "reuse" and use.allowed and use.holder_id == shop.id_number
    from tongban.cases.models import Notice
    from tongban.cases.notices import render

    text = pdf_text(render(Notice.objects.get(case=case, kind="receipt")))
    assert "免提交(电子证照)" in text and business_licence.identifier in text


def test_a_revoked_licence_is_not_offered(clerk, shop, food, business_licence, leader):
    from tongban.cases import reuse

    services.change_status(leader, business_licence, status="penalty_revoked", reason="吊销营业执照(行政处罚决定书济市监罚〔2026〕12号)")
    assert not [o for o in reuse.offers(shop, food.versions.get()) if o.source == "licence"]


def test_reading_without_consent_is_refused_and_the_attempt_logged(clerk, shop, food, business_licence):
    case = intake.submit_case(clerk, applicant=shop, item=food)
    with pytest.raises(NotAllowed) as e:
        services.use_licence(clerk, business_licence, case=case, reason="核对营业执照")
    assert "未授权" in e.value.message
    refused = Use.objects.get(licence=business_licence, case=case)
    assert not refused.allowed and refused.refusal
    services.grant_consent(clerk, business_licence, case=case, reason="办理食品经营许可", mode="window")
    use = services.use_licence(clerk, business_licence, case=case, reason="核对营业执照")
    assert use.allowed and use.mode == "window"
    copy = documents.annotated_copy(use)
    text = pdf_text(copy)
    assert f"仅供办理“{case.title}”事项使用" in text and "加注件" in text
    assert documents.check_pdf(copy)["seal_ok"]  # sealed, but not the master file
    assert not documents.check_pdf(copy)["matches_master"]


def test_consent_only_for_the_holders_own_case(clerk, food, business_licence):
    other = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370830", 555, authority="9", kind="2"),
                                      name="汶上县宝相寺便利店")
    case = intake.submit_case(clerk, applicant=other, item=food)
    with pytest.raises(DomainError):
        services.grant_consent(clerk, business_licence, case=case, reason="办理食品经营许可", mode="window")


def test_earlier_case_materials_are_offered_for_reuse(clerk, leader, shop, food):
    approved(clerk, leader, shop, food)
    from tongban.cases import reuse

    offers = [o for o in reuse.offers(shop, food.versions.get()) if o.source == "earlier_case"]
    names = {o.extra["material_name"] for o in offers}
    assert "食品安全管理制度" in names and "营业执照" not in names  # licences come from the wallet


# --- reminders --------------------------------------------------------------------------------------------------

def test_one_reminder_per_threshold_however_often_the_scan_runs(shop, bureau, types, admin):
    today = dt.date(2026, 11, 2)

    def issue(until):
        return services.create_licence(admin, licence_type=types["food"], holder_kind="001", holder_id=shop.id_number,
                                       holder_name=shop.name, issuer=bureau, face={"经营者名称": shop.name}, content="热食类食品制售",
                                       on=dt.date(2021, 12, 1), valid_until=until)

    soon, later, far = issue(today + dt.timedelta(days=20)), issue(today + dt.timedelta(days=60)), issue(today + dt.timedelta(days=200))
    assert services.send_reminders(today) == {"reminders": 3}
    assert services.send_reminders(today) == {"reminders": 0}
    assert services.send_reminders(today + dt.timedelta(days=1)) == {"reminders": 0}
    assert sorted(Reminder.objects.filter(licence=soon).values_list("threshold", flat=True)) == [30, 90]
    assert list(Reminder.objects.filter(licence=later).values_list("threshold", flat=True)) == [90]
    assert not Reminder.objects.filter(licence=far).exists()
    assert services.send_reminders(today + dt.timedelta(days=31)) == {"reminders": 1}  # `later` now within 30 days
    assert "还有" in Reminder.objects.filter(licence=soon).first().message


def test_the_reminder_job_is_registered_with_the_scheduler():
    from tongban.core import schedule

    assert schedule.get("licence_reminders").func is services.send_reminders


# --- base registries at intake ----------------------------------------------------------------------------------

def test_intake_checks_the_applicant_against_the_base_registries_without_blocking(clerk, shop, food):
    case = intake.submit_case(clerk, applicant=shop, item=food)
    assert case_out(case, clerk)["registry_check"]["ok"] is True
    stranger = intake.register_applicant(clerk, kind="org", id_number=make_uscc("440106", 777, authority="9", kind="1"),
                                         name="广州市天河区岭南茶点有限公司")
    case = intake.submit_case(clerk, applicant=stranger, item=food)
    check = case_out(case, clerk)["registry_check"]
    assert check["ok"] is False and "未查到" in check["message"] and case.state == "received"


def test_the_window_sees_a_registry_mismatch_and_the_wallet_offer(client, clerk, shop, food, business_licence):
    RegistryEntity.objects.filter(credit_code=shop.id_number).update(name="济宁市任城区鲁味轩饭店")
    case = intake.submit_case(clerk, applicant=shop, item=food)
    client.force_login(clerk)
    page = client.get(f"/hall/cases/{case.number}/").content.decode()
    assert "基础库核验不一致" in page and "济宁市任城区鲁味轩饭店" in page
    assert business_licence.identifier in page and "用证授权" in page
    material = food.versions.get().materials.get(name="营业执照")
    client.post(f"/hall/cases/{case.number}/act/", {"action": "check", f"reuse{material.pk}": f"licence:{business_licence.identifier}"})
    assert CaseMaterial.objects.get(case=case, material=material).status == "shared"
    assert Consent.objects.filter(case=case, licence=business_licence, mode="window").exists()


# --- speed: statements per read ----------------------------------------------------------------------------------

def _wallet_statements(client, clerk, holder_id, token) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django.test import Client

    out = {}
    client.force_login(clerk)
    for name, c, path, headers in [
        ("api", Client(), f"/api/v1/licences/wallet?holder={holder_id}", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("page", client, f"/licences/wallet/?holder={holder_id}", {}),
    ]:
        c.get(path, **headers)  # warm: the session, the token, the audit chain's head
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(path, **headers)
        assert response.status_code == 200
        out[name] = [q["sql"] for q in ctx.captured_queries]
    return out


def test_a_wallet_read_costs_the_same_statements_however_many_licences_the_holder_has(client, clerk, shop, food, bureau, types, admin):
    """The window's wallet read (API and page): one query for the licences with what they show (type, case, previous
    version), one each for the reminders and the use log, one insert for the audit entry; not one more per licence."""
    from tongban.org.models import ApiToken

    token = ApiToken.issue(clerk, "wallet")[1]
    case = intake.submit_case(clerk, applicant=shop, item=food)

    def issue(k, previous=None):
        face = services.face_of(types["business"], {"name": shop.name, "id_number": shop.id_number}, {"经营范围": f"餐饮服务{k}"})
        return services.create_licence(admin, licence_type=types["business"], holder_kind="001", holder_id=shop.id_number,
                                       holder_name=shop.name, issuer=bureau, face=face, content="餐饮服务", on=dt.date(2024, 3, 1),
                                       case=case, previous=previous)

    first = issue(0)
    services.grant_consent(clerk, first, case=case, reason="办理食品经营许可", mode="window")
    services.use_licence(clerk, first, case=case, reason="核对营业执照")
    one = _wallet_statements(client, clerk, shop.id_number, token)
    previous = first
    for k in range(1, 8):
        previous = issue(k, previous if k % 2 else None)
        services.grant_consent(clerk, previous, case=case, reason="办理食品经营许可", mode="window")
        services.use_licence(clerk, previous, case=case, reason="核对营业执照")
    many = _wallet_statements(client, clerk, shop.id_number, token)
    assert Licence.objects.filter(holder_id=shop.id_number).count() == 8
    for name in ("api", "page"):
        assert len(many[name]) == len(one[name]), (name, many[name])
        reads = [re.search(r'FROM "?(licences_\w+)', q).group(1) for q in many[name]
                 if q.lstrip().upper().startswith("SELECT") and re.search(r'FROM "?licences_', q)]
        assert sorted(reads) == ["licences_licence", "licences_reminder", "licences_use"], reads
        audit = [q for q in many[name] if "core_auditevent" in q]
        assert len(audit) == 1 and audit[0].lstrip().upper().startswith("INSERT"), audit


def test_verification_is_one_indexed_lookup(client, business_licence):
    """The QR code's target (page and API, no sign-in): the licence with its type by its unique identifier, nothing
    else (the audit of personal-data reads does not apply: the holder is masked)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path in (f"/api/v1/licences/verify/{business_licence.identifier}", f"/licences/verify/{business_licence.identifier}/"):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        assert ('"valid": true' if "/api/" in path else "有效") in response.content.decode()
        assert len(ctx.captured_queries) == 1 and '"licences_licence"."identifier" =' in ctx.captured_queries[0]["sql"], ctx.captured_queries
