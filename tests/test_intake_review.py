"""Regressions found in review of the intake module."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tongban.cases import services
from tongban.cases.models import Case, CaseState
from tongban.catalog import services as catalog_services
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.identifiers import make_uscc
from tongban.workcal import days

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


@pytest.fixture
def clerk(db):
    return factories.grant(factories.UserFactory(), "window_clerk")


@pytest.fixture
def shop(clerk):
    return services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 31337, authority="9", kind="2"), name="鲁味轩")


@pytest.fixture
def food(admin):
    return factories.make_item(admin)


def everything(item, skip=()):
    return [{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all() if m.name not in skip]


@pytest.fixture
def restaurant(admin, clerk, shop):
    food = factories.make_item(admin)
    trader = factories.make_item(admin, name="个体工商户设立登记", materials=[
        {"name": "个体工商户登记(备案)申请书", "role": "main"},
        {"name": "经营者身份证明", "role": "main", "shared_key": "legal_rep_id"},
    ])
    bundle = catalog_services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"),
                                          promised_limit=5, items=[trader, food])
    return bundle, food, trader


def test_an_agent_may_submit_but_never_accept_or_decide(clerk, shop, food):
    agent = factories.grant(factories.UserFactory(), "agent")
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food))
    with pytest.raises(NotAllowed):
        services.accept_case(agent, case)
    with pytest.raises(NotAllowed):
        services.submit_case(agent, applicant=shop, item=food, channel="window")


def test_bundle_parent_checklist_counts_for_the_children_and_other_acts_are_refused(clerk, shop, restaurant):
    bundle, food, trader = restaurant
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, on=D(2025, 3, 3))
    merged = [*everything(trader), *everything(food)]
    services.record_materials(clerk, parent, entries=merged)
    with pytest.raises(DomainError) as e:
        services.notify_missing(clerk, parent, items=[{"material": merged[0]["material"], "status": "missing"}])
    assert e.value.code == "bundle_parent"
    services.accept_case(clerk, parent, on=D(2025, 3, 3))
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    with pytest.raises(DomainError) as e:
        services.record_decision(leader, parent, approve=True)
    assert e.value.code == "bundle_parent"


def test_art_32_accepts_a_bundle_once_from_receipt(clerk, shop, restaurant):
    bundle, food, trader = restaurant
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, on=D(2025, 3, 3))
    services.auto_accept_due(D(2025, 3, 20))
    parent.refresh_from_db()
    assert parent.state == CaseState.ACCEPTED and parent.auto_accepted and parent.accepted_on == D(2025, 3, 3)
    for child in parent.children.all():
        assert child.state == CaseState.ACCEPTED and child.events.filter(action="accepted").count() == 1


def test_refusing_a_bundle_refuses_its_children(clerk, shop, restaurant):
    bundle, _, _ = restaurant
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, on=D(2025, 3, 3))
    services.refuse_case(clerk, parent, reason="经营场所不在本市", on=D(2025, 3, 3))
    services.auto_accept_due(D(2025, 3, 20))
    assert set(parent.children.values_list("state", flat=True)) == {CaseState.REFUSED}


def test_the_applicant_may_collect_at_the_window_after_a_mailing_was_registered(clerk, shop, food):
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    case = services.accept_case(clerk, services.submit_case(clerk, applicant=shop, item=food, materials=everything(food)))
    services.record_decision(leader, case, approve=True)
    services.register_mail(clerk, case, recipient="孔祥东", address="济宁市任城区古槐路88号", phone="13905371234", courier="EMS", tracking_number="1178342290937")
    case = services.deliver(clerk, Case.objects.get(pk=case.pk), method="window", received_by="孔祥东", id_checked=True, code=services.pickup_code(case))
    assert case.state == CaseState.COMPLETED and case.delivery.method == "window"


def test_a_missing_auxiliary_material_needs_a_gap_commitment(clerk, shop, food):
    aux = next(m for m in food.versions.get().materials.all() if m.role == "auxiliary")
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food, skip=[aux.name]))
    with pytest.raises(DomainError) as e:
        services.accept_case(clerk, case)
    assert aux.name in e.value.message


def test_the_first_notice_must_name_everything_missing(clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food, skip=["营业执照", "食品经营许可申请书"]))
    licence = next(m for m in food.versions.get().materials.all() if m.name == "营业执照")
    with pytest.raises(DomainError) as e:
        services.notify_missing(clerk, case, items=[{"material": licence.pk, "status": "missing"}])
    assert e.value.code == "notice_incomplete" and "食品经营许可申请书" in e.value.message


def test_no_notice_after_the_five_working_days_and_a_late_acceptance_dates_from_receipt(clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food), on=D(2025, 3, 3))
    licence = next(m for m in food.versions.get().materials.all() if m.name == "营业执照")
    with pytest.raises(Conflict) as e:
        services.notify_missing(clerk, case, items=[{"material": licence.pk, "status": "defective", "reason": "不清晰"}], on=D(2025, 3, 11))
    assert "第三十二条" in e.value.message
    case = services.accept_case(clerk, case, on=D(2025, 3, 11))
    assert case.accepted_on == D(2025, 3, 3) and case.handler == clerk


def test_the_fifth_working_day_is_still_within_the_answer_period(clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, on=D(2025, 9, 26))
    assert services.auto_accept_due(D(2025, 10, 10)) == []  # 10 Oct is the fifth working day
    assert services.auto_accept_due(D(2025, 10, 11)) == [case.number]


def test_a_resubmission_at_the_window_is_a_visit(clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food, skip=["营业执照"]))
    licence = next(m for m in food.versions.get().materials.all() if m.name == "营业执照")
    services.notify_missing(clerk, case, items=[{"material": licence.pk, "status": "missing"}])
    case = services.supply_materials(clerk, case, supplied=[{"material": licence.pk, "status": "original_seen"}])
    assert case.visits == 2


def test_uploads_are_stored_under_a_random_name_with_the_real_type(clerk, shop, food):
    m = food.versions.get().materials.first()
    case = services.submit_case(clerk, applicant=shop, item=food, materials=[
        {"material": m.pk, "file": SimpleUploadedFile("x.html", factories.pdf_bytes())}])
    stored = case.materials.get().file.name
    assert stored.endswith(".pdf") and "x.html" not in stored


@pytest.mark.parametrize("name, data", [
    ("x.pdf", b"%PDF-<html><script>alert(1)</script></html>"),
    ("y.pdf", b"<html>" + b" " * 200 + b"%PDF-1.7\n<script>alert(1)</script>"),
    ("z.pdf", factories.pdf_bytes()[:-60]),  # cut off: no cross-reference table to read
    ("a.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"),
    ("b.jpg", factories.image_bytes("JPEG")[:40]),
])
def test_disguised_or_damaged_uploads_are_refused(clerk, shop, food, name, data):
    m = food.versions.get().materials.first()
    with pytest.raises(DomainError) as e:
        services.submit_case(clerk, applicant=shop, item=food, materials=[{"material": m.pk, "file": SimpleUploadedFile(name, data)}])
    assert e.value.code == "file_damaged" and e.value.field == "file" and name in e.value.message


def test_a_damaged_zip_is_refused_not_a_crash(clerk, shop, food):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd/>")
    data = bytearray(buf.getvalue())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 6] = 0xFF
    m = food.versions.get().materials.first()
    with pytest.raises(DomainError) as e:
        services.submit_case(clerk, applicant=shop, item=food, materials=[{"material": m.pk, "file": SimpleUploadedFile("a.ofd", bytes(data))}])
    assert e.value.code == "file_type"


def test_pages_answer_404_out_of_scope_or_a_message_never_500(client, clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food))
    outsider = factories.grant(factories.UserFactory(), "window_clerk", "370830")
    client.force_login(outsider)
    assert client.get(f"/hall/cases/{case.number}/").status_code == 404  # out of scope answers like a number that does not exist
    assert client.post(f"/hall/cases/{case.number}/act/", {"action": "accept"}).status_code == 404
    r = client.get("/hall/", {"q": case.number})
    assert r.status_code == 200 and "没有您可查看" in r.content.decode()  # no redirect to a case outside the scope
    client.force_login(clerk)
    r = client.post(f"/hall/cases/{case.number}/act/", {"action": "accept", "gap_days": "abc"}, follow=True)
    assert r.status_code == 200 and "整数" in r.content.decode()


def test_only_case_roles_see_cases_and_department_grants_see_their_own(client, clerk, shop, food):
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food))
    for user, seen in [
        (factories.catalog_admin(), False),
        (factories.grant(factories.UserFactory(), "reviewer", department=factories.DepartmentFactory(name="济宁市卫生健康委员会", function="health")), False),
        (factories.grant(factories.UserFactory(), "reviewer", department=food.department), True),
        (factories.grant(factories.UserFactory(), "agent"), False),
    ]:
        client.force_login(user)
        r = client.get(f"/api/v1/cases/{case.number}")
        assert (r.status_code == 200) is seen, user


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_accepts_with_one_idempotency_key_both_get_the_answer(needs_postgres):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    shop = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 9090, authority="9", kind="2"), name="鲁味轩")
    case = services.submit_case(clerk, applicant=shop, item=food, materials=everything(food))
    barrier = threading.Barrier(2)

    def accept(_):
        try:
            c = Client()
            c.force_login(clerk)
            barrier.wait()
            r = c.post(f"/api/v1/cases/{case.number}/accept", {}, content_type="application/json", headers={"Idempotency-Key": "same"})
            return r.status_code, r.json().get("state")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(accept, range(2))) == [(200, "accepted"), (200, "accepted")]
    assert Case.objects.get(pk=case.pk).events.filter(action="accepted").count() == 1


def test_an_id_number_registered_under_another_name_is_refused(clerk, shop):
    with pytest.raises(DomainError) as e:
        services.register_applicant(clerk, kind="org", id_number=shop.id_number, name="改名")
    assert e.value.code == "applicant_name_mismatch"
    shop.refresh_from_db()
    assert shop.name == "鲁味轩"


def test_the_acceptance_notice_carries_the_pickup_code_and_lists_originals_seen(clerk, shop, food):
    from tongban.cases.notices import context

    case = services.accept_case(clerk, services.submit_case(clerk, applicant=shop, item=food, materials=everything(food)))
    ctx = context(case.notices.get(kind="acceptance"))
    assert ctx["pickup_code"] == services.pickup_code(case)
    assert all(m["received"] for m in ctx["materials"]) and len(ctx["materials"]) == food.versions.get().materials.count()
    assert services.track_token(case.number) in ctx["track_url"]


def test_uploaded_materials_are_served_only_within_scope(client, clerk, shop, food):
    m = food.versions.get().materials.first()
    case = services.submit_case(clerk, applicant=shop, item=food, materials=[{"material": m.pk, "file": SimpleUploadedFile("a.pdf", factories.pdf_bytes(1))}])
    assert client.get(f"/hall/cases/{case.number}/materials/{m.pk}/").status_code == 302  # login first
    client.force_login(factories.grant(factories.UserFactory(), "window_clerk", "370830"))
    assert client.get(f"/hall/cases/{case.number}/materials/{m.pk}/").status_code == 404
    client.force_login(clerk)
    r = client.get(f"/hall/cases/{case.number}/materials/{m.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment;") and f"{case.number}-{m.pk}.pdf" in r["Content-Disposition"]


def test_audit_seals_only_finished_days_and_a_deleted_seal_day_is_reported(admin, food_item, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tongban.core.audit import seal_day, verify_all
    from tongban.core.models import AuditSeal

    with pytest.raises(ValueError):
        seal_day(timezone.localdate())
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        for back in (3, 2, 1):
            seal_day(today - dt.timedelta(days=back))
    assert verify_all() == []
    AuditSeal.objects.filter(day=today - dt.timedelta(days=2)).delete()
    assert any("日封缺失" in p for p in verify_all())


def test_a_bundle_completes_when_the_other_child_was_withdrawn(clerk, shop, restaurant):
    bundle, food, trader = restaurant
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, on=D(2025, 3, 3))
    services.record_materials(clerk, parent, entries=[*everything(trader), *everything(food)])
    services.accept_case(clerk, parent, on=D(2025, 3, 3))
    first, second = parent.children.order_by("id")
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    services.record_decision(leader, first, approve=True, on=D(2025, 3, 5))
    services.deliver(clerk, Case.objects.get(pk=first.pk), method="electronic", on=D(2025, 3, 5))
    parent.refresh_from_db()
    assert parent.state == CaseState.ACCEPTED
    services.withdraw_case(clerk, second, reason="申请人暂不办理该项", on=D(2025, 3, 6))
    parent.refresh_from_db()
    assert parent.state == CaseState.COMPLETED


def test_one_case_that_cannot_be_auto_accepted_does_not_stop_the_others(clerk, shop, food, monkeypatch):
    a = services.submit_case(clerk, applicant=shop, item=food, on=D(2025, 3, 3))
    b = services.submit_case(clerk, applicant=shop, item=food, on=D(2025, 3, 3))
    real = services.accept_case

    def flaky(actor, case, **kw):
        if case.pk == a.pk:
            raise DomainError("broken", "测试:该办件无法受理")
        return real(actor, case, **kw)

    monkeypatch.setattr(services, "accept_case", flaky)
    assert services.auto_accept_due(D(2025, 3, 20)) == [b.number]


def test_a_clerk_receives_only_at_windows_within_their_own_scope(admin, shop):
    from tongban.org.models import Hall, Window

    qufu_dept = factories.DepartmentFactory(name="曲阜市行政审批服务局", function="approval", region=factories.region("370881"))
    item = factories.make_item(admin, department=qufu_dept, level=3)
    qufu_clerk = factories.grant(factories.UserFactory(), "window_clerk", "370881")
    hall = Hall.objects.create(name="汶上县为民服务中心", region=factories.region("370830"), address="汶上县圣泽大街")
    window = Window.objects.create(hall=hall, number="A01", name="综合受理", comprehensive=True)
    with pytest.raises(DomainError) as e:
        services.submit_case(qufu_clerk, applicant=shop, item=item, window=window)
    assert e.value.code == "window_region"
    own = Window.objects.create(hall=Hall.objects.create(name="曲阜市为民服务中心", region=factories.region("370881"), address="曲阜市"),
                                number="A01", name="综合受理", comprehensive=True)
    assert services.submit_case(qufu_clerk, applicant=shop, item=item, window=own).window == own


def test_a_pdf_with_bytes_before_its_header_is_accepted(clerk, shop, food):
    m = food.versions.get().materials.first()
    case = services.submit_case(clerk, applicant=shop, item=food, materials=[
        {"material": m.pk, "file": SimpleUploadedFile("scan.pdf", b"\r\n\xef\xbb\xbf" + factories.pdf_bytes())}])
    assert case.materials.get().content_type == "application/pdf"


def test_files_left_by_a_rolled_back_submit_are_swept_after_a_day(clerk, shop, food, settings, tmp_path):
    import os
    import time

    from django.core.files.storage import default_storage
    from django.db import transaction

    from tongban.cases.files import sweep_orphans

    settings.MEDIA_ROOT = tmp_path
    m = food.versions.get().materials.first()
    kept = services.submit_case(clerk, applicant=shop, item=food, materials=[
        {"material": m.pk, "file": SimpleUploadedFile("a.pdf", factories.pdf_bytes(2))}]).materials.get().file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit_case(clerk, applicant=shop, item=food, materials=[
            {"material": m.pk, "file": SimpleUploadedFile("b.pdf", factories.pdf_bytes(1))}])
        raise RuntimeError("the request failed after the file was stored")
    stored = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.pdf"))
    orphan = next(n for n in stored if n != kept)
    assert sweep_orphans() == []  # a young file may belong to an upload still in flight
    old = time.time() - 2 * 86400
    for name in stored:
        os.utime(tmp_path / name, (old, old))
    assert sweep_orphans() == [orphan]
    assert default_storage.exists(kept) and not default_storage.exists(orphan)


def test_a_superseded_upload_is_kept_as_evidence(clerk, shop, food, settings, tmp_path):
    """The defective first scan a one-time notice rests on stays when the corrected one replaces it."""
    import os
    import time

    from django.core.files.storage import default_storage

    from tongban.cases.files import sweep_orphans

    settings.MEDIA_ROOT = tmp_path
    m = food.versions.get().materials.first()
    case = services.submit_case(clerk, applicant=shop, item=food, materials=[
        {"material": m.pk, "file": SimpleUploadedFile("a.pdf", factories.pdf_bytes(2))}])
    first = case.materials.get().file.name
    services.record_materials(clerk, case, entries=[{"material": m.pk, "file": SimpleUploadedFile("b.pdf", factories.pdf_bytes(1))}])
    cm = case.materials.get()
    assert cm.file.name != first and sorted(cm.files.values_list("file", flat=True)) == sorted([first, cm.file.name])
    old = time.time() - 2 * 86400
    for p in tmp_path.rglob("*.pdf"):
        os.utime(p, (old, old))
    assert sweep_orphans() == [] and default_storage.exists(first)


def test_a_bundle_whose_items_are_all_withdrawn_ends_withdrawn_and_its_clock_stops(clerk, shop, restaurant):
    bundle, food, trader = restaurant
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, on=D(2025, 3, 3))
    services.record_materials(clerk, parent, entries=[*everything(trader), *everything(food)])
    parent = services.accept_case(clerk, parent, on=D(2025, 3, 3))
    for child in parent.children.order_by("id"):
        services.withdraw_case(clerk, Case.objects.get(pk=child.pk), on=D(2025, 3, 4))
    parent.refresh_from_db()
    assert parent.state == CaseState.WITHDRAWN and parent.clock.state == "stopped"
