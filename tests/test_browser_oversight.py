"""Browser tests of the oversight pages: the lead department chases a branch, the chased reviewer sees it on a
phone and opens the case timeline; the fire brigade's head reassigns a red step."""

import datetime as dt

import pytest

from tests import factories
from tests.test_browser import _login, page  # noqa: F401 - the playwright page fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def oversight_setup(live_server):
    """A planning case led by the planning bureau, accepted long ago so that its reviews are red (made before
    the browser starts)."""
    from tests.test_workflow_definitions import steps
    from tongban.cases import services as intake
    from tongban.core.identifiers import make_uscc
    from tongban.workcal.scan import scan_lights
    from tongban.workflow import definitions

    admin = factories.catalog_admin()
    bureau = factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval")
    d = {"bureau": bureau, "fire": factories.DepartmentFactory(name="济宁市消防救援支队", function="fire"),
         "plan": factories.DepartmentFactory(name="济宁市自然资源和规划局", function="natural_resources"),
         "env": factories.DepartmentFactory(name="济宁市生态环境局", function="ecology")}
    item = factories.make_item(admin, department=bureau, name="建设工程规划许可证核发", legal_limit=20, promised_limit=12,
                               materials=[{"name": "建设工程规划许可证申请表", "role": "main"}])
    definitions.publish_process(admin, definitions.define(admin, item, steps(d, review_plan={"is_lead": True})), valid_from=dt.date(2025, 1, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 7171, authority="9", kind="1"), name="济宁城投置业有限公司")
    on = dt.date(2025, 3, 3)
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=firm, item=item, on=on, materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]), on=on)
    scan_lights()
    for username, role, key in [("ov_plan", "reviewer", "plan"), ("ov_fire", "reviewer", "fire"), ("ov_fire2", "reviewer", "fire"),
                                ("ov_fire_head", "bureau_leader", "fire")]:
        u = factories.grant(factories.UserFactory(username=username, display_name=username), role, department=d[key])
        u.set_password("Tongban@2026")
        u.save()
    return case.number


def test_lead_chases_a_branch_and_the_chased_reviewer_opens_the_timeline_on_a_phone(live_server, oversight_setup, page):  # noqa: F811
    number = oversight_setup
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "ov_plan")
    page.goto(live_server.url + "/office/lead/")
    fire = page.locator(f"#lead-{number} .branch[data-step=review_fire]")
    fire.locator("input[name=note]").fill("请今日出具消防审查意见")
    fire.locator("button", has_text="催办").click()
    page.wait_for_selector("text=已催办")
    assert "请今日出具消防审查意见" in page.locator(f"#lead-{number} .branch[data-step=review_fire]").inner_text()
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server.url, "ov_fire")
    page.goto(live_server.url + "/office/")
    row = page.locator("#inbox tr", has_text=number)
    assert "被催办" in row.inner_text() and "请今日出具消防审查意见" in row.inner_text()
    row.locator("a").first.click()
    page.click("#timeline-link")
    page.wait_for_selector("#timeline")
    fire_row = page.locator("#timeline .tl-row[data-step=review_fire]")
    assert fire_row.get_attribute("data-light") == "red"
    budget, used = fire_row.locator(".tl-budget").bounding_box(), fire_row.locator(".tl-used").bounding_box()
    assert budget["width"] > 0 and used["width"] > budget["width"]  # running far past its five-day budget
    assert used["x"] + used["width"] <= 390  # the bars fit the phone's width
    assert page.locator("#timeline .tl-row[data-step=decide] .tl-used").count() == 0  # still waiting


def test_department_head_reassigns_a_red_step_from_the_escalation_list(live_server, oversight_setup, page):  # noqa: F811
    number = oversight_setup
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "ov_fire_head")
    page.goto(live_server.url + "/office/escalations/")
    item = page.locator(".escalation", has_text=number)
    assert item.count() == 1 and "消防审查" in item.inner_text()
    item.locator("select[name=reviewer]").select_option(label="ov_fire2(ov_fire2)")
    item.locator("input[name=reason]").fill("原审查人外出踏勘")
    item.locator("button", has_text="改派").click()
    page.wait_for_selector("text=已改派给ov_fire2")
    assert "ov_fire2" in page.locator(".escalation", has_text=number).inner_text()  # still red, now with its new reviewer
