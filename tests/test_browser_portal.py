"""The applicant's journey in the browser, on a phone (390×844) and at a desk (1366×768): register (a bad ID number
refused with the reason), open the guide (its tables readable on the phone), apply online with a wallet material
reused, read the one-time notice, correct online, follow the steps, download the decision, rate 差评; the
reviewer verifies and rectifies on the handling page; the applicant reads the answer. The enterprise page, the
public progress lookup, the kiosk mode, the window tablet and the publication page are photographed too.

TB_SCREENSHOTS keeps the screenshots."""

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.test_browser_journey import PASSWORD as STAFF_PASSWORD
from tests.test_journeys_api import world  # noqa: F401 - the demo city, pinned clock
from tests.test_portal_api import issue_id_card, issue_licence
from tongban.cases import services as intake
from tongban.cases.models import Case, CaseState, RegistryEntity, RegistryPerson
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.core.pdf import blank_pdf
from tongban.org.models import User, Window
from tongban.workflow import engine
from tongban.workflow.models import CaseStep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
D = dt.date
PASSWORD = "Qufu-Kongmiao-2026"


class Screen:
    def __init__(self, browser, base, shots, width=390, height=844):
        self.base, self.shots = base, shots
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.page = self.context.new_page()

    def go(self, path):
        self.page.goto(self.base + path)

    def shoot(self, name):
        for w, h in ((390, 844), (1366, 768)):
            self.page.set_viewport_size({"width": w, "height": h})
            self.page.screenshot(path=str(self.shots / f"{name}-{w}.png"), full_page=True)
            if w == 390:
                overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 1, f"{name}: {overflow}px wider than the phone"
        self.page.set_viewport_size({"width": 390, "height": 844})

    def staff_login(self, username):
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", STAFF_PASSWORD)
        self.page.press("#id_password", "Enter")
        self.page.wait_for_load_state()


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": blank_pdf()}


def test_applicant_journey_on_a_phone_and_at_a_desk(live_server, world, browser, tmp_path):  # noqa: F811
    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    version = world["versions"]["食品经营许可"]
    code = version.item.implementation_code
    me_id = make_id_card("370881", D(1988, 6, 12), 213)
    RegistryPerson.objects.create(id_number=me_id, name="孔令华")
    materials = list(version.materials.all())
    id_card = [m for m in materials if "身份证件" in m.name][0]
    issue_id_card(me_id, "孔令华", "山东省曲阜市鼓楼北街12号")  # in the licence library's wallet
    phone = Screen(browser, live_server.url, shots)
    p = phone.page

    # the guide on a phone: label above value, never one character per line
    phone.go(f"/guide/{code}/")
    widths = p.evaluate("Array.from(document.querySelectorAll('.guide-table td')).map(td => td.getBoundingClientRect().width)")
    assert min(widths) > 200, widths
    phone.shoot("01-guide")

    # register: a bad ID number is refused with the reason, then the right one
    phone.go("/my/register/")
    p.fill("#id_id_number", me_id[:-1] + ("0" if me_id[-1] != "0" else "1"))
    p.fill("#id_name", "孔令华")
    p.fill("#id_phone", "13905371234")
    p.fill("#id_password", PASSWORD)
    p.fill("#id_password2", PASSWORD)
    p.click("#register button[type=submit]")
    assert p.inner_text("#error-id_number") == "身份证号码校验位错误"
    phone.shoot("02-register-refused")
    p.fill("#id_id_number", me_id)
    p.fill("#id_password", PASSWORD)
    p.fill("#id_password2", PASSWORD)
    p.click("#register button[type=submit]")
    p.wait_for_selector("#my-cases")
    phone.shoot("03-my-home-empty")

    # apply online from the guide: the wallet's 居民身份证 ticked, the floor plan uploaded and kept in a draft
    plan = materials[2]
    phone.go(f"/guide/{code}/")
    p.click("#apply-online")
    p.wait_for_selector("#apply")
    assert p.is_checked(f"#reuse-{id_card.pk}") and "居民身份证" in p.inner_text(f"label[for=reuse-{id_card.pk}]")
    assert "事项共用" not in p.inner_text("#materials")
    p.fill("#field_0", "孔令华")
    p.set_input_files(f"input[name=file_{plan.pk}]", pdf("平面图.pdf"))
    p.click("#save-draft")
    p.wait_for_selector(f"#kept-{plan.pk}")
    assert "平面图.pdf" in p.inner_text(f"#kept-{plan.pk}") and "已保存1份材料文件" in p.inner_text("main")
    phone.shoot("04-apply-draft")

    # later, from 我的办件: the draft opens with its form and its file; the rest uploaded, one left out, mail delivery
    phone.go("/my/")
    p.click("#drafts a")
    p.wait_for_selector(f"#kept-{plan.pk}")
    assert p.input_value("#field_0") == "孔令华"
    for m in materials:
        if m not in (materials[1], id_card, plan):
            p.set_input_files(f"input[name=file_{m.pk}]", pdf("材料.pdf"))
    p.check("#d-mail")
    p.fill("input[name=recipient]", "孔令华")
    p.fill("input[name=mail_phone]", "13905371234")
    p.fill("input[name=address]", "曲阜市鼓楼北街12号")
    phone.shoot("04-apply")
    p.click("#submit")
    p.wait_for_selector("#my-case")
    case = Case.objects.get(applicant__id_number=me_id)
    assert case.channel == "online" and case.state == CaseState.RECEIVED
    assert case.materials.get(material=id_card).status == "shared"
    from_draft = case.materials.get(material=plan)
    assert from_draft.status == "provided" and from_draft.file.read().startswith(b"%PDF")

    # 网上预审: the clerk's one-time notice reaches the applicant's page
    clerk = User.objects.get(username="clerk")
    intake.notify_missing(clerk, case, items=[{"material": materials[1].pk, "status": "missing"}])
    phone.go(f"/my/cases/{case.number}/")
    assert materials[1].name in p.inner_text("#correction-notice")
    phone.shoot("05-one-time-notice")
    p.set_input_files(f"#file_{materials[1].pk}", pdf("补正.pdf"))
    p.click("#correct button[type=submit]")
    p.wait_for_selector("#my-case")
    assert "已收件" in p.inner_text("#state")

    # accepted, reviewed, decided, posted and delivered
    intake.accept_case(clerk, Case.objects.get(pk=case.pk))
    reviewer = User.objects.get(username="reviewer")
    step = CaseStep.objects.filter(case=case, state=CaseStep.State.READY).first()
    engine.claim(reviewer, step)
    step.refresh_from_db()
    engine.complete(reviewer, step, opinion="agree", text="", answers=[{"point": pt, "answer": "符合"} for pt in step.step.review_points])
    phone.go(f"/my/cases/{case.number}/")
    assert "材料审查" in p.inner_text("#steps")
    phone.shoot("06-steps")
    # the decision seals a PDF (pyHanko runs its own event loop): outside playwright's thread
    import threading

    from django.db import connection

    def decide():
        try:
            engine.decide(User.objects.get(username="leader"), Case.objects.get(pk=case.pk), approve=True, note="经审查,符合法定条件")
        finally:
            connection.close()

    worker = threading.Thread(target=decide)
    worker.start()
    worker.join()
    fresh = Case.objects.get(pk=case.pk)
    intake.register_mail(clerk, fresh, recipient="孔令华", address="曲阜市鼓楼北街12号", phone="13905371234", courier="中国邮政EMS",
                         tracking_number="1178234567890")
    intake.confirm_mail_delivered(clerk, Case.objects.get(pk=case.pk))
    phone.go(f"/my/cases/{case.number}/")
    with p.expect_download() as download:
        p.click("#notices a.fw-bold", modifiers=["Alt"])
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # 差评 with the online indicators
    p.click("label[for=level-5]")
    p.select_option("#ind-efficiency", "4")
    p.fill("textarea[name=comment]", "补正要求前后不一致,跑了两趟")
    phone.shoot("07-rate")
    p.click("#rate button[type=submit]")
    p.wait_for_selector("#my-rating")
    assert "非常不满意" in p.inner_text("#my-rating")

    # the reviewer verifies (限期整改, 5 working days) and rectifies on the handling page
    desk = Screen(browser, live_server.url, shots, 1366, 768)
    desk.staff_login("reviewer")
    desk.go("/ratings/")
    desk.page.click("#handlings a")
    desk.page.fill("#verification", "经核实,受理与审查的补正口径不一致")
    desk.page.select_option("#outcome", "rectify")
    desk.shoot("08-handling-verify")
    desk.page.click("#verify button")
    desk.page.wait_for_selector("#rectified")
    desk.page.fill("#answer", "已统一受理与审查的材料口径并在办事指南中注明平面图要求,感谢您的监督。")
    desk.page.click("#rectified button")
    desk.page.wait_for_selector("#handling-state")
    assert "待回访" in desk.page.inner_text("#handling-state")
    phone.go(f"/my/cases/{case.number}/")
    assert "统一受理与审查" in p.inner_text("#rating-answer")
    phone.shoot("09-rating-answer")
    phone.go("/my/")
    phone.shoot("10-my-home")

    # public progress lookup, kiosk mode, publication
    anon = Screen(browser, live_server.url, shots)
    anon.go("/progress/")
    anon.page.fill("#number", case.number)
    anon.page.fill("#who", me_id[-6:])
    anon.page.click("#progress button")
    assert "已办结" in anon.page.inner_text("#progress-result")
    anon.shoot("11-progress")
    anon.go(f"/kiosk/?next=/guide/{code}/")
    assert "tb-kiosk" in (anon.page.get_attribute("body", "class") or "")
    anon.shoot("12-kiosk-guide")
    anon.go("/ratings/public/")
    assert "非常不满意" in anon.page.inner_text("#by-department")
    anon.shoot("13-publication")


def test_enterprise_page_operators_and_window_tablet(live_server, world, browser, tmp_path):  # noqa: F811
    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    boss_id = make_id_card("370811", D(1975, 9, 1), 33)
    RegistryPerson.objects.create(id_number=boss_id, name="王立新")
    credit = make_uscc("370811", 20250401, authority="9", kind="1")
    RegistryEntity.objects.create(credit_code=credit, name="济宁市任城区鲁味轩餐饮店", legal_rep="王立新")
    from tongban.portal import services

    services.register_person(id_number=boss_id, name="王立新", phone="13905378888", password=PASSWORD)
    # the shop's 食品经营许可证 in the licence library, expiring on 30 April (within 90 days of the pinned 3 March)
    from tongban.licences.models import HolderKind
    from tongban.org.models import Department

    issue_licence("食品经营许可证", holder_kind=HolderKind.ORG, holder_id=credit, name="济宁市任城区鲁味轩餐饮店",
                  address="济宁市任城区古槐路18号", issuer=Department.objects.filter(region__code="370800", is_approval_bureau=True)
                  .order_by("id").first(), form={"主体业态": "餐饮服务经营者(小型餐馆)", "经营项目": "热食类食品制售",
                                                 "经营场所": "济宁市任城区古槐路18号"},
                  content="热食类食品制售", on=D(2020, 5, 1), valid_until=D(2025, 4, 30))
    s = Screen(browser, live_server.url, shots)
    s.go("/my/login/")
    s.page.fill("#id_username", boss_id)
    s.page.fill("#id_password", PASSWORD)
    s.page.click("#my-login button")
    s.page.wait_for_selector("#my-cases")
    s.page.fill("#bind-enterprise input[name=credit_code]", credit)
    s.page.fill("#bind-enterprise input[name=name]", "济宁市任城区鲁味轩餐饮店")
    s.page.click("#bind-enterprise button")
    s.page.click("text=一企一页:济宁市任城区鲁味轩餐饮店")
    s.page.wait_for_selector("#enterprise")
    assert "食品经营许可证" in s.page.inner_text("#ent-licences") and "即将到期" in s.page.inner_text("#ent-licences")
    s.shoot("20-enterprise")

    # the staff login refuses an applicant account; the applicant login refuses staff
    s = Screen(browser, live_server.url, shots)
    s.go("/my/login/")
    s.page.fill("#id_username", "clerk")
    s.page.fill("#id_password", "Tongban@2026")
    s.page.click("#my-login button")
    assert "不是网上办事账号" in s.page.inner_text("#my-login")

    # the window tablet rates the latest visit at the clerk's window
    clerk = User.objects.get(username="clerk")
    window = Window.objects.filter(hall__region__code="370800", comprehensive=True).first()
    version = world["versions"]["食品经营许可"]
    applicant = intake.register_applicant(clerk, kind="person", id_number=boss_id, name="王立新")
    intake.submit_case(clerk, applicant=applicant, item=version.item, window=window)
    t = Screen(browser, live_server.url, shots, 1366, 768)
    t.staff_login("clerk")
    t.go(f"/ratings/tablet/{window.pk}/")
    t.page.click("label[for=level-1]")
    t.shoot("21-tablet")
    t.page.click("#tablet button[type=submit]")
    assert "感谢您的评价" in t.page.inner_text("main")


def test_bundle_applied_online_on_a_phone(live_server, world, browser, tmp_path):  # noqa: F811
    """在线办理一件事 (二手房交易) from the bundle's guide page: one form, the merged material list with the wallet's
    居民身份证 ticked once for the three items, the bundle's case with its items in 我的办件."""
    from tests.test_portal_api import load_items
    from tongban.catalog.models import Bundle
    from tongban.portal import services

    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    load_items(bundles=["二手房交易一件事"])
    me_id = make_id_card("370811", D(1990, 10, 7), 26)
    RegistryPerson.objects.create(id_number=me_id, name="孟繁星")
    services.register_person(id_number=me_id, name="孟繁星", phone="13905376666", password=PASSWORD)
    issue_id_card(me_id, "孟繁星", "山东省济宁市任城区琵琶山路17号")
    spec = services.bundle_form(Bundle.objects.get(code="YJS-ESF01"))
    s = Screen(browser, live_server.url, shots)
    p = s.page
    s.go("/my/login/")
    p.fill("#id_username", me_id)
    p.fill("#id_password", PASSWORD)
    p.click("#my-login button")
    p.wait_for_selector("#my-cases")

    s.go("/bundles/YJS-ESF01/")
    widths = p.evaluate("Array.from(document.querySelectorAll('#merged-materials td:nth-child(2)')).map(td => td.getBoundingClientRect().width)")
    assert min(widths) > 200, widths  # the merged list reads label over value on a phone, never a character per line
    s.shoot("30-bundle-guide")
    p.click("#apply-online")
    p.wait_for_selector("#apply")
    assert "一件事 · 3 个事项" in p.inner_text("#apply-meta")
    reused = [r["id"] for r in spec["materials"] if len(r["items"]) == 3 and "身份证" in r["name"]]
    assert len(reused) == 1 and p.is_checked(f"#reuse-{reused[0]}")
    assert "3个事项共用,只需提交一次" in p.inner_text(f"#row-{reused[0]}")
    assert p.query_selector("#save-draft") is None  # a bundle is applied for in one go
    fields = spec["form_fields"]
    p.fill(f"#field_{fields.index('不动产坐落')}", "济宁市任城区琵琶山路17号3单元502室")
    for r in spec["materials"]:
        if r["id"] not in reused and r["role"] != "optional":
            p.set_input_files(f"input[name=file_{r['id']}]", pdf("材料.pdf"))
    s.shoot("31-bundle-apply")
    p.click("#submit")
    p.wait_for_selector("#bundle-items")
    items = p.inner_text("#bundle-items")
    assert all(name in items for name in ("契税申报", "不动产转移登记", "住房公积金提取")), items
    assert "二手房交易一件事" in p.inner_text("#my-case h1")
    s.shoot("32-bundle-case")
    parent = Case.objects.get(applicant__id_number=me_id, parent__isnull=True)
    assert parent.bundle.code == "YJS-ESF01" and parent.children.count() == 3 and parent.channel == "online"
