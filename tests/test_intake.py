import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tongban.cases import services
from tongban.cases.models import Breach, Case, CaseMaterial, CaseState, Notice, PostCheck
from tongban.catalog import services as catalog_services
from tongban.core.audit import verify_chain
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.workcal import days
from tongban.workcal.days import add_working_days
from tongban.workcal.scan import scan_lights

pytestmark = pytest.mark.django_db
D = dt.date
S = CaseMaterial.Status
PDF = factories.pdf_bytes()


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


@pytest.fixture
def clerk(db):
    return factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk")


@pytest.fixture
def food(admin):
    return factories.make_item(admin, informed_commitment=True)


@pytest.fixture
def shop(clerk):
    return services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 12345678, authority="9", kind="2"),
                                       name="济宁市任城区鲁味轩餐饮店", phone="13905371234", address="济宁市任城区古槐路88号")


def materials_of(item, *roles):
    return [m for m in item.versions.get().materials.all() if not roles or m.role in roles]


def pdf(name="申请书.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def submit(clerk, shop, item, *, skip=(), on=None):
    given = [{"material": m.pk, "status": "provided", "file": pdf()} for m in materials_of(item) if m.name not in skip]
    return services.submit_case(clerk, applicant=shop, item=item, materials=given, on=on)


def test_applicant_is_identified_by_a_valid_number(clerk):
    with pytest.raises(DomainError) as e:
        services.register_applicant(clerk, kind="person", id_number="370881199001011234", name="孔祥东")
    assert "校验位错误" in e.value.message
    person = services.register_applicant(clerk, kind="person", id_number=make_id_card("370881", D(1990, 1, 1), 123), name="孔祥东", phone="13805370000")
    assert person.masked_phone == "138****0000" and "*" in person.masked_id
    again = services.register_applicant(clerk, kind="person", id_number=person.id_number, name="孔祥东", phone="13805371111")
    assert again.pk == person.pk and again.phone == "13805370000"  # the registry is not overwritten by an application
    assert services.contact_given(again, "13805371111") == {"phone": "13805371111"}  # it is kept on the case instead


def test_case_number_is_region_date_and_daily_sequence(clerk, shop, food):
    a = submit(clerk, shop, food, on=D(2025, 3, 3))
    b = submit(clerk, shop, food, on=D(2025, 3, 3))
    c = submit(clerk, shop, food, on=D(2025, 3, 4))
    assert (a.number, b.number, c.number) == ("370800-20250303-000001", "370800-20250303-000002", "370800-20250304-000001")
    assert a.item_version == food.versions.get() and a.visits == 1


def test_clerk_accepts_complete_case_and_the_clock_starts(clerk, shop, food):
    case = submit(clerk, shop, food)
    case = services.accept_case(clerk, case, on=D(2025, 3, 3))
    assert case.state == CaseState.ACCEPTED and case.handler == clerk
    assert case.clock.deadline == add_working_days(D(2025, 3, 3), 5).date == case.deadline
    assert Notice.objects.filter(case=case, kind="acceptance").exists()
    assert verify_chain(f"cases.case:{case.pk}") is None


def test_accepting_with_a_main_material_missing_is_refused(clerk, shop, food):
    case = submit(clerk, shop, food, skip=["营业执照"])
    with pytest.raises(DomainError) as e:
        services.accept_case(clerk, case)
    assert "营业执照" in e.value.message and "一次性告知" in e.value.message


def test_one_time_notice_then_supply_continues_the_same_case(clerk, shop, food):
    case = submit(clerk, shop, food, skip=["营业执照"], on=D(2025, 3, 3))
    licence = next(m for m in materials_of(food) if m.name == "营业执照")
    plan = next(m for m in materials_of(food) if m.name.startswith("与食品经营"))
    services.notify_missing(clerk, case, items=[
        {"material": licence.pk, "status": "missing"},
        {"material": plan.pk, "status": "defective", "reason": "布局图未标注加工操作间面积"},
    ], on=D(2025, 3, 3))
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION
    services.supply_materials(clerk, case, supplied=[{"material": licence.pk, "file": pdf()}, {"material": plan.pk, "file": pdf()}], on=D(2025, 3, 5))
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED and case.resubmitted_on == D(2025, 3, 5)
    services.accept_case(clerk, case, on=D(2025, 3, 5))
    assert Case.objects.count() == 1


def test_second_notice_for_a_material_accepted_the_first_time_is_refused(clerk, shop, food):
    case = submit(clerk, shop, food, skip=["营业执照"])
    licence = next(m for m in materials_of(food) if m.name == "营业执照")
    application = next(m for m in materials_of(food) if m.name == "食品经营许可申请书")
    services.notify_missing(clerk, case, items=[{"material": licence.pk, "status": "missing"}], on=D(2025, 3, 3))
    services.supply_materials(clerk, case, supplied=[{"material": licence.pk, "file": pdf()}], on=D(2025, 3, 4))
    with pytest.raises(Conflict) as e:
        services.notify_missing(clerk, case, items=[{"material": application.pk, "status": "defective", "reason": "未签字"}], on=D(2025, 3, 4))
    assert "一次性告知" in e.value.message
    # the material the first notice named may be objected to again (still defective)
    services.notify_missing(clerk, case, items=[{"material": licence.pk, "status": "defective", "reason": "复印件不清晰"}], on=D(2025, 3, 4))


def test_material_not_in_the_guide_can_never_be_demanded(clerk, shop, food, admin):
    other = factories.make_item(admin, name="公共场所卫生许可", materials=[{"name": "卫生检测报告", "role": "main"}])
    case = submit(clerk, shop, food)
    with pytest.raises(DomainError) as e:
        services.notify_missing(clerk, case, items=[{"material": other.versions.get().materials.get().pk, "status": "missing"}])
    assert "不在本事项办事指南" in e.value.message


def test_gap_acceptance_blocks_delivery_until_the_material_is_supplied(clerk, shop, food, admin):
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    aux = materials_of(food, "auxiliary")[0]
    case = submit(clerk, shop, food, skip=[aux.name], on=D(2025, 3, 3))
    main = materials_of(food, "main")[0]
    with pytest.raises(DomainError):
        services.accept_case(clerk, case, gaps=[main.pk], gap_days=5)  # a main material is never 容缺
    with pytest.raises(DomainError):
        services.accept_case(clerk, case, gaps=[aux.pk])  # no commitment deadline
    case = services.accept_case(clerk, case, gaps=[aux.pk], gap_days=5, on=D(2025, 3, 3))
    assert case.gap_open and case.gap.deadline == D(2025, 3, 10)
    services.record_decision(leader, case, approve=True, on=D(2025, 3, 6))
    with pytest.raises(Conflict) as e:
        services.deliver(clerk, case, method="electronic")
    assert "容缺" in e.value.message
    services.supply_materials(clerk, case, supplied=[{"material": aux.pk, "file": pdf()}], on=D(2025, 3, 7))
    case = services.deliver(clerk, Case.objects.get(pk=case.pk), method="electronic", on=D(2025, 3, 7))
    assert case.state == CaseState.COMPLETED


def test_overdue_gap_commitment_turns_the_case_red(clerk, shop, food):
    aux = materials_of(food, "auxiliary")[0]
    case = submit(clerk, shop, food, skip=[aux.name], on=D(2025, 3, 3))
    services.accept_case(clerk, case, gaps=[aux.pk], gap_days=1, on=D(2025, 3, 3))
    scan_lights(D(2025, 3, 5))  # the clock is fine (deadline 10 March) but the commitment ran out on 4 March
    case.refresh_from_db()
    assert case.light == "red" and case.clock.light != "red"
    from tongban.supervision.selectors import overdue_commitments

    assert list(overdue_commitments(factories.grant(factories.UserFactory(), "supervisor"), D(2025, 3, 5))) == [case]


def test_informed_commitment_creates_a_post_check_and_a_failed_check_is_a_breach(clerk, shop, food):
    reviewer = factories.grant(factories.UserFactory(), "reviewer")
    plan = next(m for m in materials_of(food) if m.name.startswith("与食品经营"))
    case = submit(clerk, shop, food, skip=[plan.name], on=D(2025, 3, 3))
    case = services.accept_case(clerk, case, informed=[plan.pk], on=D(2025, 3, 3))
    check = PostCheck.objects.get(case=case)
    assert check.deadline == add_working_days(D(2025, 3, 3), 20).date
    services.record_post_check(reviewer, case, passed=False, note="现场核查:经营场所与承诺布局不符")
    assert Breach.objects.filter(applicant=shop).count() == 1


def test_informed_commitment_only_where_the_item_allows_it(clerk, shop, admin):
    item = factories.make_item(admin, name="药品零售企业经营许可", informed_commitment=False)
    case = submit(clerk, shop, item)
    with pytest.raises(DomainError) as e:
        services.accept_case(clerk, case, informed=[materials_of(item)[0].pk])
    assert "告知承诺" in e.value.message


def test_immediate_item_is_decided_and_handed_over_in_one_visit(clerk, shop, admin):
    item = factories.make_item(admin, name="个体工商户变更登记", case_kind="immediate", legal_limit=1, promised_limit=0,
                               materials=[{"name": "个体工商户变更登记申请书", "role": "main"}])
    case = submit(clerk, shop, item)
    case = services.decide_immediately(clerk, case, approve=True)
    assert case.state == CaseState.COMPLETED and case.visits == 1
    food = factories.make_item(admin)
    with pytest.raises(DomainError):
        services.decide_immediately(clerk, submit(clerk, shop, food))


def test_refusal_carries_reason_and_remedies(clerk, shop, food):
    case = submit(clerk, shop, food)
    with pytest.raises(DomainError):
        services.refuse_case(clerk, case, reason=" ")
    services.refuse_case(clerk, case, reason="申请事项依法不需要取得行政许可")
    notice = Notice.objects.get(case=case, kind="refusal")
    assert "行政复议" in notice.data["remedies"] and "行政诉讼" in notice.data["remedies"]
    with pytest.raises(Conflict):
        services.accept_case(clerk, case)


def test_case_received_and_left_five_working_days_is_accepted_from_receipt_across_a_holiday(clerk, shop, food):
    case = submit(clerk, shop, food, on=D(2025, 9, 26))  # Friday before 国庆; 28 Sep worked, 1–8 Oct off
    assert services.auto_accept_due(D(2025, 10, 9)) == []  # 28, 29, 30 Sep and 9 Oct: four working days
    assert services.auto_accept_due(D(2025, 10, 11)) == [case.number]  # the fifth (10 Oct) has passed
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and case.auto_accepted and case.accepted_on == D(2025, 9, 26)
    assert "第三十二条" in case.events.get(action="accepted").reason


def test_bundle_is_one_application_with_shared_material_asked_once(clerk, shop, admin):
    food = factories.make_item(admin)
    trader = factories.make_item(admin, name="个体工商户设立登记", materials=[
        {"name": "个体工商户登记(备案)申请书", "role": "main"},
        {"name": "经营者身份证明", "role": "main", "shared_key": "legal_rep_id"},
    ])
    bundle = catalog_services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"),
                                          promised_limit=5, items=[trader, food])
    from tongban.catalog.selectors import bundle_guide

    merged = bundle_guide(bundle)["materials"]
    first_of_key = {}
    for m in [*materials_of(trader), *materials_of(food)]:
        first_of_key.setdefault(m.merge_key, m)
    given = [{"material": first_of_key[row["key"]].pk, "status": "provided"} for row in merged]
    parent = services.submit_case(clerk, applicant=shop, bundle=bundle, materials=given, on=D(2025, 3, 3))
    assert parent.children.count() == 2
    identity = [cm for child in parent.children.all() for cm in child.materials.all() if cm.material.shared_key == "legal_rep_id"]
    assert len(identity) == 2  # given once, counted for both items
    parent = services.accept_case(clerk, parent, on=D(2025, 3, 3))
    assert set(parent.children.values_list("state", flat=True)) == {CaseState.ACCEPTED}
    # the bundle's own promise of 5 working days is clocked on the parent: Mon 3 Mar → Mon 10 Mar 2025
    assert parent.clock.limit_days == 5 and parent.deadline == D(2025, 3, 10) == parent.clock.deadline
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    for child in parent.children.all():
        services.record_decision(leader, child, approve=True)
        services.deliver(clerk, Case.objects.get(pk=child.pk), method="electronic")
    parent.refresh_from_db()
    assert parent.state == CaseState.COMPLETED and parent.clock.state == "stopped"


def test_window_handover_checks_the_pickup_code_and_the_receivers_id(clerk, shop, food):
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    case = services.accept_case(clerk, submit(clerk, shop, food))
    services.record_decision(leader, case, approve=True)
    with pytest.raises(DomainError):
        services.deliver(clerk, case, method="window", received_by="王芳", id_checked=True, code="000000")
    with pytest.raises(DomainError):
        services.deliver(clerk, case, method="window", received_by="王芳", id_checked=False, code=services.pickup_code(case))
    case = services.deliver(clerk, case, method="window", received_by="王芳", id_checked=True, code=services.pickup_code(case))
    assert case.state == CaseState.COMPLETED and case.visits == 2


def test_mailed_result_completes_only_when_delivered(clerk, shop, food):
    leader = factories.grant(factories.UserFactory(), "bureau_leader")
    case = services.accept_case(clerk, submit(clerk, shop, food))
    services.record_decision(leader, case, approve=True)
    services.register_mail(clerk, case, recipient="孔祥东", address="济宁市任城区古槐路88号", phone="13905371234",
                           courier="中国邮政EMS", tracking_number="1178342290937")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    case = services.confirm_mail_delivered(clerk, case)
    assert case.state == CaseState.COMPLETED and case.delivery.mail_state == "delivered"


def test_first_handler_changes_only_by_a_recorded_reassignment(clerk, shop, food):
    other = factories.grant(factories.UserFactory(display_name="孟凡强"), "window_clerk")
    case = services.accept_case(clerk, submit(clerk, shop, food))
    case = services.reassign_handler(clerk, case, other, reason="原负责人调岗")
    assert case.handler == other and case.events.filter(action="handler_reassigned").exists()


def test_clerk_of_another_county_cannot_accept(shop, food, clerk):
    outsider = factories.grant(factories.UserFactory(), "window_clerk", "370830")
    case = submit(clerk, shop, food)
    with pytest.raises(NotAllowed):
        services.accept_case(outsider, case)


def test_forged_pdf_is_rejected_by_content(clerk, shop, food):
    exe = SimpleUploadedFile("营业执照.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, content_type="application/pdf")
    m = materials_of(food)[0]
    with pytest.raises(DomainError) as e:
        services.submit_case(clerk, applicant=shop, item=food, materials=[{"material": m.pk, "file": exe}])
    assert "按文件内容识别" in e.value.message
    assert Case.objects.count() == 0


def test_ofd_png_and_jpg_are_accepted(clerk, shop, food):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD/>")
    files = [SimpleUploadedFile("a.ofd", buf.getvalue()), SimpleUploadedFile("b.png", factories.image_bytes("PNG")),
             SimpleUploadedFile("c.jpg", factories.image_bytes("JPEG"))]
    ms = materials_of(food)
    case = services.submit_case(clerk, applicant=shop, item=food, materials=[{"material": m.pk, "file": f} for m, f in zip(ms, files)])
    assert sorted(case.materials.values_list("content_type", flat=True)) == ["application/ofd", "image/jpeg", "image/png"]


def test_unpublished_item_cannot_be_applied_for(clerk, shop, admin):
    draft = factories.make_item(admin, name="放射诊疗许可", publish=False)
    with pytest.raises(DomainError) as e:
        services.submit_case(clerk, applicant=shop, item=draft)
    assert "不在已发布" in e.value.message
