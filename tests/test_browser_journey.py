"""The planning permit's whole journey in the browser, across the roles that carry it: the clerk accepts at the
window, two departments review in parallel (one returns it for correction), the clerk takes the new material,
the joint inspection is answered, the leader decides and the clerk hands out the sealed decision.

Every page on the way is photographed at the window counter (1366×768) and on a phone (390×844); set
TB_SCREENSHOTS to a folder to keep them."""

import os

import pytest

from tests.test_journeys_api import workdays_after, world  # noqa: F401 - the demo city, pinned clock
from tongban.cases import services as intake
from tongban.cases.models import Case, CaseState
from tongban.core.identifiers import make_uscc
from tongban.org.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PASSWORD = "Tongban@2026"


class Desk:
    """One person at their screen: a fresh browser context, logged in."""

    def __init__(self, browser, base, username, shots):
        self.base, self.shots, self.username = base, shots, username
        self.context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.goto(base + "/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.press("#id_password", "Enter")
        self.page.wait_for_load_state()

    def go(self, path):
        self.page.goto(self.base + path)

    def shoot(self, name):
        """The page at the counter and on a phone; nothing may overflow the phone's width."""
        for w, h in ((1366, 768), (390, 844)):
            self.page.set_viewport_size({"width": w, "height": h})
            self.page.screenshot(path=str(self.shots / f"{name}-{w}.png"), full_page=True)
            if w == 390:
                overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 1, f"{name}: {overflow}px wider than the phone"
        self.page.set_viewport_size({"width": 1366, "height": 768})

    def step(self, number, name):
        self.go("/office/")
        self.page.click(f"#inbox tr:has-text('{name}') a:has-text('{number}')")
        self.page.wait_for_selector("#review, #joint")


def test_planning_permit_across_clerk_reviewers_leader_and_exit_window(live_server, world, browser, tmp_path):  # noqa: F811
    from pathlib import Path

    from tongban.workflow import engine
    from tongban.workflow.models import CaseStep

    shots = Path(os.environ.get("TB_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    today, version = world["today"], world["versions"]["建设工程规划许可证核发"]
    clerk_user = User.objects.get(username="clerk")
    firm = intake.register_applicant(clerk_user, kind="org", id_number=make_uscc("370811", 20250309, authority="9", kind="1"),
                                     name="济宁城投置业有限公司")
    number = intake.submit_case(clerk_user, applicant=firm, item=version.item).number
    base = live_server.url

    # the window: every material received, accepted; the case goes to three departments at once
    clerk = Desk(browser, base, "clerk", shots)
    clerk.go(f"/hall/cases/{number}/")
    clerk.shoot("01-clerk-received")
    clerk.page.check("#all_received")
    clerk.page.click("#btn-accept")
    clerk.page.wait_for_selector("#case-state")
    assert clerk.page.inner_text("#case-state") == "已受理"
    assert clerk.page.locator("#decide").count() == 0  # the process decides, not the window

    # fire reviews and agrees, answering each review point
    fire = Desk(browser, base, "reviewer_fire", shots)
    fire.go("/office/")
    fire.shoot("02-fire-inbox")
    fire.step(number, "消防审查")
    fire.page.click("#btn-claim")
    fire.page.wait_for_selector("#btn-agree")
    assert "济宁城投置业有限公司" in fire.page.inner_text("#applicant") and fire.page.locator("#materials tbody tr").count() >= 1
    fire.shoot("03-fire-step")
    for radio in fire.page.locator("input[type=radio][value='符合']").all():
        radio.check()
    fire.page.click("#btn-agree")
    fire.page.wait_for_selector("text=已同意")

    # planning returns it: one material to be corrected; the case shows 补正中 and the clock stands still
    plan = Desk(browser, base, "reviewer_plan", shots)
    plan.step(number, "规划审查")
    plan.page.click("#btn-claim")
    plan.page.wait_for_selector("#return-form")
    plan.page.click("#return-form summary")
    first = plan.page.locator("#return-form select").first
    first.select_option("defective")
    plan.page.locator("#return-form input[name^=rr]").first.fill("总平面图未标注建筑退让道路红线尺寸")
    plan.page.fill("#text", "请补正总平面图,标注建筑退让道路红线的尺寸")
    plan.shoot("04-plan-return")
    plan.page.click("#btn-return")
    plan.page.wait_for_selector("text=已退回补正")
    case = Case.objects.get(number=number)
    assert case.state == CaseState.RETURNED and case.clock.state == "paused"

    # three working days later the applicant brings it; the window takes it and the review resumes
    today["day"] = workdays_after(today["day"], 3)
    clerk.go(f"/hall/cases/{number}/")
    assert "补正中" in clerk.page.inner_text("#returned")
    clerk.shoot("05-clerk-returned")
    clerk.page.locator("#checklist select").first.select_option("provided")
    clerk.page.click("#btn-supply")
    clerk.page.wait_for_selector("text=审查和计时已恢复")
    assert clerk.page.inner_text("#case-state") == "已受理"

    plan.step(number, "规划审查")
    for radio in plan.page.locator("input[type=radio][value='符合']").all():
        radio.check()
    plan.page.click("#btn-agree")
    plan.page.wait_for_selector("text=已同意")
    env_user = User.objects.get(username="reviewer_env")
    env_step = CaseStep.objects.get(case__number=number, step__code="review_env")
    engine.claim(env_user, env_step)
    engine.complete(env_user, env_step, opinion="agree", text="", answers=[{"point": p, "answer": "符合"} for p in env_step.step.review_points])

    # the joint inspection: fire answers in the browser, the other two departments through their own acts
    fire.step(number, "联合踏勘")
    fire.page.fill("#place", "太白湖新区项目现场")
    fire.page.fill("#participants", "消防、规划、环保三部门及建设单位代表")
    fire.page.fill("#joint-text", "消防车道与登高场地与图纸一致")
    fire.shoot("06-fire-joint")
    fire.page.click("#btn-joint-agree")
    fire.page.wait_for_selector("text=已提交本部门联合踏勘意见")
    joint = CaseStep.objects.get(case__number=number, step__code="joint")
    for username in ("reviewer_plan", "reviewer_env"):
        engine.joint_opinion(User.objects.get(username=username), joint, opinion="agree", place="项目现场", participants="三部门")

    # the leader decides from the queue; the decision is sealed
    leader = Desk(browser, base, "leader", shots)
    leader.go("/office/decisions/")
    leader.shoot("07-leader-queue")
    row = leader.page.locator(f"form[action*='{number}']").first
    row.locator("input[name=note]").fill("经审查,符合控制性详细规划,准予核发")
    row.locator("button:has-text('准予许可')").click()
    leader.page.wait_for_selector("text=已作出决定")

    # the exit window: the pickup code on screen, the sealed decision printed, the result handed over
    clerk.go(f"/hall/cases/{number}/")
    code = clerk.page.inner_text("#pickup-code").strip()
    assert len(code) == 6
    pdf = clerk.page.request.get(base + clerk.page.get_attribute("#print-decision", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF") and b"/ByteRange" in pdf.body()
    clerk.shoot("08-clerk-exit")
    clerk.page.fill("#code", code)
    clerk.page.fill("#received_by", "王立新")
    clerk.page.check("#idc")
    clerk.page.click("#btn-deliver")
    clerk.page.wait_for_selector("text=结果已送达")
    assert clerk.page.inner_text("#case-state") == "已办结"
    clerk.shoot("09-clerk-completed")
