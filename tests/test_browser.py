"""Browser tests: playwright drives Debian's /usr/bin/chromium against the live test server."""


import pytest

from tests import factories
from tongban.catalog import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    yield context.new_page()


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


@pytest.fixture
def back_office_setup(live_server):
    """A planning case with three parallel reviews; fire and environment already agreed (made before the browser)."""
    import datetime as dt

    from tests.test_workflow_definitions import steps
    from tongban.cases import services as intake
    from tongban.core.identifiers import make_uscc
    from tongban.workflow import definitions, engine
    from tongban.workflow.models import CaseStep

    admin = factories.catalog_admin()
    bureau = factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval")
    d = {"bureau": bureau, "fire": factories.DepartmentFactory(name="济宁市消防救援支队", function="fire"),
         "plan": factories.DepartmentFactory(name="济宁市自然资源和规划局", function="natural_resources"),
         "env": factories.DepartmentFactory(name="济宁市生态环境局", function="ecology")}
    item = factories.make_item(admin, department=bureau, name="建设工程规划许可证核发", legal_limit=20, promised_limit=12,
                               materials=[{"name": "建设工程规划许可证申请表", "role": "main"}])
    definitions.publish_process(admin, definitions.define(admin, item, steps(d)), valid_from=dt.date(2025, 1, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 5151, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=firm, item=item, materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]))
    users = {}
    for key, username in [("plan", "rv_plan"), ("fire", "rv_fire"), ("env", "rv_env")]:
        u = factories.grant(factories.UserFactory(username=username), "reviewer", department=d[key])
        u.set_password("Tongban@2026")
        u.save()
        users[key] = u
    leader = factories.grant(factories.UserFactory(username="ld_bureau"), "bureau_leader", department=bureau)
    leader.set_password("Tongban@2026")
    leader.save()
    for key in ("fire", "env"):
        cs = CaseStep.objects.get(case=case, step__code=f"review_{key}")
        engine.claim(users[key], cs)
        engine.complete(users[key], cs, opinion="agree", text="", answers=[])
    return case.number


def _login(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Tongban@2026")
    page.press("#id_password", "Enter")


def test_reviewer_approves_a_parallel_step_and_the_leader_decides_and_downloads_the_signed_pdf(live_server, back_office_setup, page):
    number = back_office_setup
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "rv_plan")
    page.goto(live_server.url + "/office/")
    page.click(f"#inbox a:has-text('{number}')")
    page.click("#btn-claim")
    page.wait_for_selector("#btn-agree")
    page.fill("#text", "符合控制性详细规划")
    page.click("#btn-agree")
    page.wait_for_selector("text=已同意")
    page.context.clear_cookies()
    _login(page, live_server.url, "ld_bureau")
    page.goto(live_server.url + "/office/decisions/")
    page.fill("input[name=note]", "同意核发")
    page.click("button:has-text('准予许可')")
    page.wait_for_selector("#recent-decisions a")
    href = page.get_attribute("#recent-decisions a", "href")
    pdf = page.request.get(live_server.url + href)
    assert pdf.ok and pdf.body().startswith(b"%PDF") and b"/ByteRange" in pdf.body()  # a signed PDF
