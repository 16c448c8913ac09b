"""The agent's project page and the enterprise's progress page in the browser, with the demo project carried
through its four stages (pre-approval converted, joint acceptance, hand-off to 曲阜市's office). The agent
records a call in the ledger; the county office's agent sees the hand-off; the enterprise opens its tokened
page with no account and sees zero visits. Screenshots at 1366×768 and 390×844 (TB_SCREENSHOTS keeps them)."""

import os
from pathlib import Path

import pytest

from tests.test_browser_journey import Desk
from tests.test_projects import load_city
from tongban.projects.models import Project
from tongban.workcal import days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo_project(live_server, monkeypatch):
    load_city(monkeypatch)
    from tongban.projects.demo_journey import run

    run()
    yield Project.objects.get()
    days.invalidate()


def test_agent_project_page_and_enterprise_progress_page(live_server, demo_project, browser, tmp_path):
    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    project, base = demo_project, live_server.url

    agent = Desk(browser, base, "agent", shots)
    agent.go("/projects/")
    agent.page.click(f"#project-list a:has-text('{project.name}')")
    agent.page.wait_for_selector("#gantt canvas")  # ECharts drew the plan against the actual from the JSON element
    assert agent.page.inner_text("#project-code") == project.code
    assert agent.page.locator("#stages .tb-stage-done").count() == 4
    assert "已转为正式审批" in agent.page.inner_text("#cases")
    assert agent.page.inner_text("#enterprise-visits") == "0"
    assert "曲阜市项目帮办代办服务中心" in agent.page.inner_text("#handoffs") and "已接收" in agent.page.inner_text("#handoffs")
    assert agent.page.locator("#roadmap tbody tr").count() == 9
    assert "退回补正" in agent.page.inner_text("#forecast-history")
    agent.shoot("proj-01-agent-project")
    agent.page.select_option("#ledger-kind", "call")
    agent.page.fill("#ledger-note", "电话回访企业,告知竣工验收备案证明已送达")
    agent.page.click("#ledger-form button")
    agent.page.wait_for_selector(".alert-success")
    assert "电话回访企业" in agent.page.inner_text("#ledger")
    progress = agent.page.get_attribute("#progress-link", "href")

    county = Desk(browser, base, "agent_qf", shots)
    county.go(f"/projects/{project.code}/")
    assert "济宁市重大项目帮办代办服务中心 → 曲阜市项目帮办代办服务中心" in county.page.inner_text("#handoffs")
    wenshang = Desk(browser, base, "agent_wenshang", shots)
    wenshang.go(f"/projects/{project.code}/")
    assert "未找到" in wenshang.page.content() or wenshang.page.locator("#project-code").count() == 0

    agent.go("/projects/agency/statistics/")
    assert "济宁市重大项目帮办代办服务中心" in agent.page.inner_text("#by-office")
    agent.shoot("proj-03-agency-statistics")

    enterprise = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = enterprise.new_page()
    page.goto(progress)
    page.wait_for_selector("#gantt canvas")
    assert page.inner_text("#enterprise-visits") == "0" and project.name in page.inner_text("h1")
    assert "颜丙涛" not in page.content()  # the contact person is not on the public page
    for w, h in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=str(shots / f"proj-02-enterprise-progress-{w}.png"), full_page=True)
        if w == 390:
            assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
