"""Browser: a system administrator of 眉山市 (四川省) adds a town, imports the county's departments and items from a
messy workbook, fixes the error workbook, publishes the drafts; a citizen finds an item by an everyday word."""

import base64
import io
import os

import pytest
from openpyxl import load_workbook

from tests import messy_workbook
from tests.test_catalog_migration import fix_error_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHOTS = os.environ.get("TB_SHOTS")  # a directory: screenshots of each page at 1366×768 and 390×844


@pytest.fixture
def setup(live_server, tmp_path):
    """Made before the browser starts: the administrator with a password, the workbook on disk."""
    from tongban.org.models import Region

    admin = messy_workbook.meishan_admin("ms_browser")
    admin.set_password("Tongban@2026")
    admin.save()
    messy = messy_workbook.build(120)
    path = tmp_path / "仁寿县事项清单.xlsx"
    path.write_bytes(messy.bytes())
    return {"workbook": path, "messy": messy, "county_pk": Region.objects.get(code="511421").pk, "tmp": tmp_path}


def shot(page, name):
    if not SHOTS:
        return
    for w, h in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{w}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_a_county_outside_shandong_migrates_and_a_citizen_finds_an_item(live_server, setup, browser):
    base = live_server.url
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True).new_page()
    page.goto(base + "/admin/login/?next=/admin/")
    page.fill("#id_username", "ms_browser")
    page.fill("#id_password", "Tongban@2026")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/admin/")

    # a town the shipped table (county level) does not have
    page.goto(base + "/admin/org/region/add/")
    page.fill("#id_code", "511421102")
    page.fill("#id_name", "文宫镇")
    page.select_option("#id_level", "4")
    page.fill("#id_parent", str(setup["county_pk"]))
    page.fill("#id_note", "国家统计局统计用区划代码")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/org/region/")
    assert "文宫镇" in page.content()

    # the import is linked from the catalogue admin
    page.goto(base + "/admin/catalog/item/")
    page.click("#admin-import-link")
    page.wait_for_url("**/catalog/import/")
    page.set_input_files("input[name=file]", str(setup["workbook"]))
    page.check("#mode-valid")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    result = page.inner_text("#import-result")
    messy = setup["messy"]
    good = messy.items - len(messy.bad_items)
    assert f"新增事项 {good} 个" in result and "部门新增 16 个" in result and "有误的行未导入" in result
    shot(page, "import-result")
    href = page.get_attribute("#error-workbook", "href")
    wb = load_workbook(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert wb["事项"].max_row - 1 == len(messy.bad_items)
    fix_error_workbook(wb)
    fixed = setup["tmp"] / "改正后.xlsx"
    wb.save(fixed)
    page.set_input_files("input[name=file]", str(fixed))
    page.check("#mode-all")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert f"新增事项 {len(messy.bad_items)} 个" in page.inner_text("#import-result")

    # review and publish every draft
    page.click("text=去审核发布草稿")
    page.wait_for_url("**/catalog/drafts/")
    shot(page, "drafts")
    page.once("dialog", lambda d: d.accept())
    page.click("#publish-all")
    page.wait_for_selector("#publish-result")
    published = page.inner_text("#publish-result")
    assert f"已发布 {messy.items - len(messy.placeholders)} 项" in published or "已发布" in published
    for name in messy.placeholders:
        assert name in published  # each refused draft named, with its reason

    # a citizen, not logged in, on a phone
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    citizen.goto(base + "/search/?q=社保补缴")
    citizen.select_option("#region-switch", "511421")
    citizen.wait_for_url("**region=511421**")
    shot(citizen, "search")
    citizen.locator("#item-results a", has_text="社会保险费补缴").first.click()
    citizen.wait_for_url("**/guide/**")
    assert citizen.locator("h1").inner_text() == "社会保险费补缴"
    assert "511A" in citizen.inner_text("#province-codes")
    shot(citizen, "guide")
