"""Browser test of 电子监察: a county supervisor opens the red card and a case behind it, on a desktop and a phone;
the header shows them only 电子监察."""

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.test_browser import _login, page  # noqa: F401 - the playwright page fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHOTS = os.environ.get("TONGBAN_SHOTS") or os.environ.get("TB_SCREENSHOTS")  # a directory: save screenshots there to look at them


def _shot(tab, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        tab.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def counties(live_server):
    from tests.test_supervision import QUFU, WENSHANG, accepted_case
    from tongban.workcal.scan import scan_lights

    admin = factories.catalog_admin()
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    qufu = [accepted_case(admin, clerk, QUFU, n) for n in range(2)]
    wenshang = [accepted_case(admin, clerk, WENSHANG, 10 + n, on=dt.date(2025, 1, 2)) for n in range(3)]
    scan_lights()
    sup = factories.grant(factories.UserFactory(username="ws_sup", display_name="汶上督查", is_staff=True), "supervisor", WENSHANG)
    sup.set_password("Tongban@2026")
    sup.save()
    return qufu, wenshang


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_county_supervisor_opens_the_red_card_and_a_case_behind_it(live_server, counties, page, width, height):  # noqa: F811
    qufu, wenshang = counties
    page.set_viewport_size({"width": width, "height": height})
    _login(page, live_server.url, "ws_sup")
    page.goto(live_server.url + "/supervision/")
    assert page.locator("#fig-open_red .fig-value").inner_text() == "3"
    assert page.locator("#fig-open_green .fig-value").inner_text() == "0"  # 曲阜市's green cases are not theirs
    _shot(page, f"supervision-dashboard-{width}.png")
    page.click("#fig-open_red")
    page.wait_for_selector("#cases")
    rows = page.locator("#cases li.case-row")
    assert rows.count() == 3 and all(c.number in page.locator("#cases").inner_text() for c in wenshang)
    assert not any(c.number in page.content() for c in qufu)
    box = page.locator("#cases").bounding_box()
    assert box["x"] >= 0
    _shot(page, f"supervision-cases-red-{width}.png")
    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert "/hall/cases/" in page.url and page.locator("h1").count() > 0
    if width < 768:
        page.click(".navbar-toggler")
        page.wait_for_selector("#nav.show:not(.collapsing)")
    nav = page.locator("#staff-nav").inner_text()
    assert "电子监察" in nav and "受理工作台" not in nav and "审批待办" not in nav and "管理后台" not in nav
    _shot(page, f"supervision-case-{width}.png")


@pytest.fixture
def march(live_server):
    from tests.supervision_data import build

    cases = build(factories.catalog_admin("370800"))
    sup = factories.grant(factories.UserFactory(username="jn_sup", display_name="济宁督查", is_staff=True), "supervisor", "370800")
    sup.set_password("Tongban@2026")
    sup.save()
    return cases


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_city_supervisor_filters_to_a_county_opens_a_red_figure_and_lands_on_its_cases(live_server, march, page, width, height):  # noqa: F811
    from tests.supervision_data import QUFU

    page.set_viewport_size({"width": width, "height": height})
    _login(page, live_server.url, "jn_sup")
    page.goto(live_server.url + "/supervision/?start=2025-03-01&end=2025-03-31")
    assert page.locator("#fig-accepted .fig-value").inner_text() == "6"
    page.wait_for_selector("#chart-trend canvas")  # ECharts drew the trend from the page's JSON
    _shot(page, f"supervision-board-city-{width}.png")
    page.select_option("#f-region", QUFU)  # htmx swaps the board in place and pushes the filtered URL
    expect(page.locator("#fig-accepted .fig-value")).to_have_text("4")
    assert f"region={QUFU}" in page.url and "曲阜市" in page.locator("#filter-label").inner_text()
    page.wait_for_selector("#chart-trend canvas")
    assert page.locator("#fig-decided_late.fig-red .fig-value").inner_text() == "1"
    assert page.locator("#fig-open_red .fig-value").inner_text() == "0"  # 汶上县's overdue case is filtered out
    box = page.locator("#board").bounding_box()
    assert box["x"] >= 0 and box["width"] <= width
    _shot(page, f"supervision-board-county-{width}.png")
    page.click("#fig-decided_late")
    page.wait_for_selector("#cases")
    rows = page.locator("#cases li.case-row")
    assert rows.count() == 1 and march["A2"].number in rows.first.inner_text()
    assert page.locator("#figure-total").inner_text() == "1" and "曲阜市" in page.content()
    _shot(page, f"supervision-figure-late-{width}.png")
    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert march["A2"].number in page.content()


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_department_head_sees_the_red_list_and_the_administrator_subscribes_the_province(live_server, march, page, width, height):  # noqa: F811
    from tests.supervision_data import WENSHANG

    page.set_viewport_size({"width": width, "height": height})
    head = factories.grant(factories.UserFactory(username="ws_head", display_name="汶上审批局长"), "bureau_leader", WENSHANG,
                           department=march["A4"].item.department)
    head.set_password("Tongban@2026")
    head.save()
    _login(page, live_server.url, "ws_head")
    page.goto(live_server.url + "/supervision/warnings/")
    assert march["A4"].number in page.locator("#warning-cases").inner_text()
    assert march["A5"].number not in page.content()  # 曲阜市's yellow case is not theirs
    _shot(page, f"supervision-warnings-{width}.png")
    page.context.clear_cookies()
    admin = factories.grant(factories.UserFactory(username="jn_sysadmin", display_name="系统管理员", is_staff=True), "system_admin", "370800")
    admin.set_password("Tongban@2026")
    admin.save()
    _login(page, live_server.url, "jn_sysadmin")
    page.goto(live_server.url + "/exchange/")
    page.fill("#s-name", "山东省电子监察系统")
    page.fill("#s-url", live_server.url + "/exchange/receiver/")
    page.fill("#s-region", "370800")
    page.click("#subscribe button")
    page.wait_for_selector(".alert-success")
    assert "山东省电子监察系统" in page.locator("#subscriptions").inner_text()
    _shot(page, f"exchange-{width}.png")
