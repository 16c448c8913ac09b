"""Browser tests: playwright drives Debian's /usr/bin/chromium against the live test server."""

import os

import pytest

from tests import factories
from tongban.catalog import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture
def page(chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # playwright's loop runs in this thread; the server has its own
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        yield context.new_page()
        browser.close()


@pytest.fixture
def restaurant_code(live_server):
    """Data made before the browser starts: ORM calls inside playwright's greenlet would open a stray connection."""
    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    trader = factories.make_item(admin, name="个体工商户设立登记")
    services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"), promised_limit=5,
                         items=[trader, food], description="餐饮店开办一次办")
    return food.implementation_code


def test_citizen_searches_restaurant_and_opens_the_guide_with_its_qr(live_server, restaurant_code, page):
    page.goto(live_server.url + "/")
    assert "一网通办" in page.content()
    page.fill("#home-q", "饭店")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("#bundle-results").inner_text().count("我要开饭店") == 1
    page.locator("#item-results a", has_text="食品经营许可").first.click()
    page.wait_for_url(f"**/guide/{restaurant_code}/")
    assert page.locator("h1").inner_text() == "食品经营许可"
    qr = page.locator("#guide-qr svg")
    assert qr.count() == 1 and qr.bounding_box()["width"] >= 100
    assert page.locator("#materials tbody tr").count() == 5


@pytest.fixture
def walk_in_setup(live_server):
    """A clerk with a password and a published 食品经营许可, made before the browser starts."""
    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    clerk = factories.grant(factories.UserFactory(username="clerk_yan", display_name="颜春梅"), "window_clerk")
    clerk.set_password("Tongban@2026")
    clerk.save()
    aux = next(m.pk for m in food.versions.get().materials.all() if m.role == "auxiliary")
    return {"aux": aux, "materials": [m.pk for m in food.versions.get().materials.all()]}


def test_clerk_accepts_a_walk_in_with_one_gap_and_prints_the_acceptance_notice(live_server, walk_in_setup, page):
    import datetime as dt

    from tongban.core.identifiers import make_id_card

    page.set_viewport_size({"width": 1366, "height": 768})  # the counter screen
    page.goto(live_server.url + "/hall/")
    page.fill("#id_username", "clerk_yan")
    page.fill("#id_password", "Tongban@2026")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/hall/")
    page.click("#new-case")
    page.fill("#item_q", "食品经营许可")
    page.press("#item_q", "Enter")
    page.wait_for_selector("input[name=target]")
    page.select_option("#kind", "person")
    page.fill("#id_number", make_id_card("370881", dt.date(1988, 5, 6), 17))
    page.fill("#name", "孔繁星")
    page.fill("#phone", "13905370001")
    page.click("#submit-case")
    page.wait_for_selector("#checklist")
    for pk in walk_in_setup["materials"]:
        page.select_option(f"select[name=m{pk}]", "gap" if pk == walk_in_setup["aux"] else "original_seen")
    page.click("#btn-accept")
    page.wait_for_selector("#case-state")
    assert page.inner_text("#case-state") == "已受理"
    number = page.inner_text("#case-number").strip()
    link = page.locator("#notices a", has_text="受理通知书")
    pdf = page.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    page.goto(live_server.url + "/hall/")
    assert number in page.inner_text("#case-list")
