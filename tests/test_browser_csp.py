"""Every page renders under the Content-Security-Policy: chromium reports no violation on the public pages, the
staff pages, the admin and the API docs."""

import pytest

from tests import factories
from tests.test_browser import page  # noqa: F401 - the playwright page fixture
from tongban.catalog import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site(live_server):
    admin = factories.catalog_admin()
    food = factories.make_item(admin)
    trader = factories.make_item(admin, name="个体工商户设立登记")
    services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"), promised_limit=5,
                         items=[trader, food], description="餐饮店开办一次办")
    staff = factories.UserFactory(username="all_roles", is_staff=True)
    for role in ("window_clerk", "system_admin", "supervisor", "catalog_admin", "reviewer", "bureau_leader"):
        factories.grant(staff, role)
    staff.set_password("Tongban@2026")
    staff.save()
    return food.implementation_code


def test_no_page_violates_the_content_security_policy(live_server, site, page):  # noqa: F811
    violations, failures = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    public = ["/", "/search/?q=饭店", f"/guide/{site}/", "/catalog/", "/bundles/YJS-CY01/", "/catalog/delegation/",
              "/accounts/login/", "/api/v1/docs"]
    for path in public:
        assert page.goto(live_server.url + path).ok, path
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "all_roles")
    page.fill("#id_password", "Tongban@2026")
    page.press("#id_password", "Enter")
    page.wait_for_url("**/hall/")
    staff = ["/hall/", "/hall/new/", "/office/", "/office/decisions/", "/office/lead/", "/office/escalations/",
             "/supervision/", "/workcal/notice/", "/catalog/import/", "/admin/", "/admin/catalog/itemversion/",
             "/admin/axes/accessattempt/"]
    for path in staff:
        response = page.goto(live_server.url + path)
        assert response.status < 500, path
    page.goto(live_server.url + f"/guide/{site}/")
    page.evaluate("window.print = () => { window.printed = true }")  # the real dialog would block headless chromium
    page.click("[data-print]")  # the print button works without its old inline onclick
    assert page.evaluate("window.printed") is True
    assert violations == [] and failures == []
