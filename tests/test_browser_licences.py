"""The licence library in the browser: a citizen scans a demo licence's QR code and sees 有效; the issuing bureau's
leader revokes it; the citizen reloads and sees 已撤销. The window offers the applicant's licence at intake with a
consent tick. The printed licence and the decision carry the authority's red seal (photographed: set TB_SCREENSHOTS
to keep the pictures)."""

import datetime as dt
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import factories
from tests.test_browser_journey import Desk
from tongban.catalog import demo as catalog_demo
from tongban.cases import services as intake
from tongban.cases.models import Applicant, CaseMaterial
from tongban.core.identifiers import make_uscc
from tongban.licences import demo as licences_demo
from tongban.licences.models import Licence
from tongban.org import demo as org_demo
from tongban.org.models import Department, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHOPS = [("济宁市任城区鲁味轩餐饮店", "370811"), ("曲阜市三孔人家饭庄", "370881"), ("汶上县宝相寺便利店", "370830"),
         ("济宁圣源药房连锁有限公司", "370800")]


def png_pages(pdf: bytes, out: Path, name: str) -> list[Path]:
    if not shutil.which("pdftoppm"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI: pdftoppm is missing (poppler-utils)")
        pytest.skip("pdftoppm not installed")
    source = out / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(out / name)], check=True, timeout=60)
    return sorted(out.glob(f"{name}-*.png"))


def red_share(png: Path) -> float:
    """The share of the page's pixels in the seal's red (the dashed black circle had none)."""
    from PIL import Image

    data = Image.open(png).convert("RGB").tobytes()
    red = sum(1 for i in range(0, len(data), 3) if data[i] > 170 and data[i + 1] < 110 and data[i + 2] < 110)
    return red / (len(data) // 3)


def qr_text(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(png))]


@pytest.fixture
def city(live_server, settings):
    settings.SITE_URL = live_server.url  # the QR codes point at this server
    data = catalog_demo.read_data()
    org_demo.load_towns()
    org_demo.load_departments(data["departments"])
    org_demo.load_halls(data["zones"])
    org_demo.load_staff()
    clerk = User.objects.get(username="clerk")
    for i, (name, region) in enumerate(SHOPS):
        intake.register_applicant(clerk, kind="org", id_number=make_uscc(region, 20260000 + i, authority="9", kind="2"), name=name,
                                  phone=f"0537-223{i:04d}", address=f"{name[:3]}某路{10 + i}号")
    licences_demo.load_types()
    assert licences_demo.load_licences() >= 6
    return live_server.url


def test_qr_verification_revocation_reuse_and_the_red_seal(city, browser, tmp_path):
    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    base = city
    licence = Licence.objects.get(licence_type__name="食品经营许可证", holder_name="济宁市任城区鲁味轩餐饮店")
    assert licence.render_state == "issued" and (licence.valid_until - dt.date.today()).days <= 30

    # the printed licence: its QR code opens the verification page; the red seal is on it
    [page_png] = png_pages(licence.file.read(), shots, "licence-printed")
    [url] = qr_text(page_png)
    assert url == f"{base}/licences/verify/{licence.identifier}/"
    assert red_share(page_png) > 0.0015

    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    citizen.goto(url)
    assert citizen.inner_text("#licence-status") == "有效"
    assert "济宁市任城区鲁味轩餐饮店" in citizen.inner_text("#verify-result")
    citizen.screenshot(path=str(shots / "verify-valid-390.png"), full_page=True)
    overflow = citizen.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1

    # the holder's own wallet (the address the window hands over) reminds them it expires within 30 days
    shop = Applicant.objects.get(name="济宁市任城区鲁味轩餐饮店")
    clerk = Desk(browser, base, "clerk", shots)
    clerk.go(f"/licences/wallet/?holder={shop.id_number}")
    clerk.shoot("wallet-window")
    link = clerk.page.inner_text("#wallet-link")
    assert shop.id_number not in link
    holder = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    holder.goto(link)
    assert "到期提醒" in holder.inner_text("#reminders") and licence.number in holder.inner_text("#reminders")

    # the issuing bureau's leader revokes it from the licence's page
    leader = Desk(browser, base, "leader", shots)
    leader.go("/licences/")
    leader.page.click(f"a[href='/licences/manage/{licence.identifier}/']")
    leader.page.wait_for_selector("#status-form")
    leader.shoot("licence-manage")
    leader.page.select_option("#st", "revoked")
    leader.page.fill("#st-reason", "以欺骗手段取得许可(济宁市行政审批服务局撤销决定)")
    leader.page.click("#btn-status")
    leader.page.wait_for_selector("#licence-status")
    assert leader.page.inner_text("#licence-status") == "已撤销"

    citizen.reload()
    assert citizen.inner_text("#licence-status") == "已撤销"
    assert "以欺骗手段取得许可" in citizen.inner_text("#status-note")
    citizen.set_viewport_size({"width": 1366, "height": 768})
    citizen.screenshot(path=str(shots / "verify-revoked-1366.png"), full_page=True)

    # at the window: a new 食品经营许可 application; the shop's 营业执照 is offered, the applicant consents
    admin = User.objects.get(username="admin")
    bureau = Department.objects.get(region__code="370800", function="approval")
    food = factories.make_item(admin, department=bureau, licence_type="食品经营许可证")
    clerk_user = User.objects.get(username="clerk")
    case = intake.submit_case(clerk_user, applicant=shop, item=food, form_data={"经营场所": "济宁市任城区古槐路88号", "经营项目": "热食类食品制售"})
    business = Licence.objects.get(licence_type__name="营业执照", holder_id=shop.id_number)
    clerk.go(f"/hall/cases/{case.number}/")
    offer = clerk.page.locator(f"input[value='licence:{business.identifier}']")
    assert offer.count() == 1
    clerk.shoot("intake-offer")
    offer.check()
    clerk.page.check("#all_received")
    clerk.page.click("#btn-accept")
    clerk.page.wait_for_selector("#case-state")
    assert clerk.page.inner_text("#case-state") == "已受理"
    material = CaseMaterial.objects.get(case=case, material__name="营业执照")
    assert material.status == "shared" and material.reference == f"licence:{business.identifier}"

    # the leader decides on the case's page; the decision names the licence and carries the red seal
    leader.go(f"/hall/cases/{case.number}/")
    leader.page.fill("#decide input[name=note]", "符合食品经营许可条件")
    leader.page.click("#decide button[value='1']")
    leader.page.wait_for_selector("#case-state")
    case.refresh_from_db()
    assert case.state == "approved"
    issued = Licence.objects.get(case=case)
    [decision_png] = png_pages(case.documents.get().file.read(), shots, "decision-printed")
    assert red_share(decision_png) > 0.0015
    from tongban.licences import services

    with ThreadPoolExecutor(1) as worker:  # the background worker (pyHanko runs its own event loop, not playwright's)
        assert worker.submit(services.render_licence, issued.pk).result()["state"] == "issued"
    issued.refresh_from_db()
    [new_png] = png_pages(issued.file.read(), shots, "licence-new")
    assert qr_text(new_png) == [f"{base}/licences/verify/{issued.identifier}/"]

    # the holder's wallet shows the use of the 营业执照 for this case; the revoked licence reminds no more
    holder.reload()
    uses = holder.inner_text("#uses")
    assert case.number in uses and "营业执照" in uses
    assert holder.locator("#reminders").count() == 0
    assert "已撤销" in holder.inner_text("#licences")
    overflow = holder.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    holder.screenshot(path=str(shots / "wallet-390.png"), full_page=True)
