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
