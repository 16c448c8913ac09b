import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from tests import factories
from tests.test_workflow_definitions import planning, steps  # noqa: F401 - fixture and spec
from tongban.cases import services as intake
from tongban.cases.models import CaseState, Notice
from tongban.core.errors import Conflict, DomainError
from tongban.core.identifiers import make_uscc
from tongban.workcal import days
from tongban.workflow import definitions, engine
from tongban.workflow.models import CaseStep

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


@pytest.fixture
def running(admin, planning):  # noqa: F811
    """An accepted 建设工程规划许可证核发 case on a process with three parallel reviews."""
    item, d = planning
    spec = steps(d)
    spec[1]["review_points"] = ["消防车道、登高操作场地是否符合规范"]
    definitions.publish_process(admin, definitions.define(admin, item, spec), valid_from=D(2025, 1, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 4242, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.submit_case(clerk, applicant=firm, item=item,
                              materials=[{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()], on=D(2025, 3, 3))
    case = intake.accept_case(clerk, case, on=D(2025, 3, 3))
    reviewers = {k: factories.grant(factories.UserFactory(), "reviewer", department=d[k]) for k in ("fire", "plan", "env")}
    leader = factories.grant(factories.UserFactory(), "bureau_leader", department=d["bureau"])
    return case, reviewers, leader


def step(case, code):
    return CaseStep.objects.get(case=case, step__code=code)


def agree(reviewer, cs, on=D(2025, 3, 5)):
    engine.claim(reviewer, cs)
    answers = [{"point": p, "answer": "符合"} for p in cs.step.review_points]
    return engine.complete(reviewer, cs, opinion="agree", text="", answers=answers, on=on)


@pytest.mark.parametrize("order", [("fire", "plan", "env"), ("env", "plan", "fire")])
def test_parallel_reviews_finish_in_any_order_and_the_decision_waits_for_all(running, order):
    case, reviewers, leader = running
    assert {cs.step.code: cs.state for cs in case.steps.select_related("step")} == {
        "accept": "done", "review_fire": "ready", "review_plan": "ready", "review_env": "ready", "decide": "waiting"}
    for k in order[:2]:
        agree(reviewers[k], step(case, f"review_{k}"))
        assert step(case, "decide").state == "waiting"
        with pytest.raises(Conflict):
            engine.decide(leader, case, approve=True, note="")
    agree(reviewers[order[2]], step(case, f"review_{order[2]}"))
    assert step(case, "decide").state == "ready"
    case = engine.decide(leader, case, approve=True, note="符合规划条件")
    assert case.state == CaseState.APPROVED


def test_every_review_point_must_be_answered(running):
    case, reviewers, _ = running
    cs = step(case, "review_fire")
    engine.claim(reviewers["fire"], cs)
    with pytest.raises(DomainError) as e:
        engine.complete(reviewers["fire"], cs, opinion="agree", text="", answers=[])
    assert "消防车道" in e.value.message


def test_a_disagreement_reaches_the_leader(running):
    case, reviewers, leader = running
    agree(reviewers["fire"], step(case, "review_fire"))
    agree(reviewers["env"], step(case, "review_env"))
    cs = step(case, "review_plan")
    engine.claim(reviewers["plan"], cs)
    engine.complete(reviewers["plan"], cs, opinion="disagree", text="建筑退让道路红线不足", answers=[])
    opinions = engine.opinions_for_decision(case)
    assert opinions[0].step.code == "review_plan" and opinions[0].opinion == "disagree"
    case = engine.decide(leader, case, approve=False, note="建筑退让道路红线不足,不符合控制性详细规划")
    assert case.state == CaseState.DENIED


def test_return_for_correction_stops_the_case_and_step_clocks_until_supplied(running):
    case, reviewers, _ = running
    cs = step(case, "review_fire")
    engine.claim(reviewers["fire"], cs)
    engine.complete(reviewers["fire"], cs, opinion="return", text="请补充消防车道平面图", answers=[], materials=[{"material": cs.case.item_version.materials.first().pk, "reason": "请补充消防车道平面图"}], on=D(2025, 3, 5))
    cs.refresh_from_db()
    case.clock.refresh_from_db()
    assert cs.state == "returned" and cs.clock.state == "paused" and case.clock.state == "paused"
    assert Notice.objects.filter(case=case, kind="missing").exists()
    assert case.clock.deadline is None  # no deadline while the clock stands still
    engine.resume_after_correction(reviewers["fire"], case, on=D(2025, 3, 12))
    cs.refresh_from_db()
    case.clock.refresh_from_db()
    assert cs.state == "claimed" and cs.clock.state == "running" and case.clock.state == "running"
    assert case.clock.suspended_days == 5  # 6, 7, 10, 11, 12 March


def test_a_joint_inspection_needs_every_department(admin, planning):  # noqa: F811
    item, d = planning
    spec = steps(d)
    spec.insert(4, {"code": "joint", "name": "联合踏勘", "kind": "joint_inspection", "department": d["bureau"],
                    "after": ["review_fire", "review_plan", "review_env"], "budget_workdays": 1,
                    "joint_departments": [d["fire"], d["plan"]]})
    spec[-1]["after"] = ["joint"]
    definitions.publish_process(admin, definitions.define(admin, item, spec))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 4343, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=firm, item=item, materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]))
    reviewers = {k: factories.grant(factories.UserFactory(), "reviewer", department=d[k]) for k in ("fire", "plan", "env")}
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"), on=None)  # accepted today, reviewed today
    joint = step(case, "joint")
    engine.joint_opinion(reviewers["fire"], joint, d["fire"], opinion="agree")
    assert step(case, "joint").state != "done" and step(case, "decide").state == "waiting"
    with pytest.raises(DomainError):
        engine.joint_opinion(reviewers["env"], joint, d["env"], opinion="agree")  # not a member
    engine.joint_opinion(reviewers["plan"], joint, d["plan"], opinion="agree")
    assert step(case, "joint").state == "done" and step(case, "decide").state == "ready"


def test_a_case_keeps_its_process_version_after_a_new_one_is_published(admin, running, planning):  # noqa: F811
    case, _, _ = running
    item, d = planning
    from django.utils import timezone

    definitions.publish_process(admin, definitions.define(admin, item, steps(d, review_env={"budget_workdays": 2})),
                                valid_from=timezone.localdate() + dt.timedelta(days=1))
    assert case.process_run.process.number == 1
    assert set(case.steps.values_list("step__process__number", flat=True)) == {1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claims_one_wins(needs_postgres, admin, planning):  # noqa: F811
    item, d = planning
    definitions.publish_process(admin, definitions.define(admin, item, steps(d)))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 4444, authority="9", kind="1"), name="城投置业")
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=firm, item=item, materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]))
    reviewers = [factories.grant(factories.UserFactory(), "reviewer", department=d["fire"]) for _ in range(2)]
    cs = step(case, "review_fire")
    barrier = threading.Barrier(2)

    def go(r):
        try:
            barrier.wait()
            engine.claim(r, CaseStep.objects.get(pk=cs.pk))
            return "won"
        except Conflict:
            return "409"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(go, reviewers)) == ["409", "won"]


def test_the_leader_decides_and_the_decision_is_sealed_and_verifiable(running, tmp_path, django_capture_on_commit_callbacks):
    from django.core.management import CommandError, call_command

    from tongban.workflow.seal import provider

    case, reviewers, leader = running
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"))
    with django_capture_on_commit_callbacks(execute=True):  # the document is issued after the decision commits
        case = engine.decide(leader, case, approve=True, note="符合规划条件")
    doc = case.documents.get()
    pdf = doc.file.read()
    check = provider().verify(pdf)
    assert check.ok and "审批专用章" in check.signer and doc.kind == "approval"
    good = tmp_path / "decision.pdf"
    good.write_bytes(pdf)
    call_command("verify_pdf", str(good))
    tampered = bytearray(pdf)
    at = pdf.find(b"stream") + 40
    tampered[at] = (tampered[at] + 1) % 256
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    with pytest.raises(CommandError) as e:
        call_command("verify_pdf", str(bad))
    assert "被修改" in str(e.value)
    unsigned = tmp_path / "unsigned.pdf"
    from tongban.workflow.documents import preview_decision

    unsigned.write_bytes(preview_decision(case, case.item.department, approve=True))
    with pytest.raises(CommandError) as e:
        call_command("verify_pdf", str(unsigned))
    assert "未加盖电子印章" in str(e.value)


def test_a_denial_carries_its_reasons_and_remedies(running, django_capture_on_commit_callbacks):
    case, reviewers, leader = running
    for k in ("fire", "plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"))
    with django_capture_on_commit_callbacks(execute=True):
        case = engine.decide(leader, case, approve=False, note="建筑退让道路红线不足,不符合控制性详细规划")
    doc = case.documents.get()
    assert doc.kind == "denial"
    import subprocess

    text = subprocess.run(["pdftotext", "-", "-"], input=doc.file.read(), capture_output=True).stdout.decode()
    assert "不予行政许可" in text and "退让道路红线" in text and "行政复议" in text


def test_back_office_api_claim_complete_reassign_and_decide(client, running, planning, django_capture_on_commit_callbacks):  # noqa: F811
    case, reviewers, leader = running
    _, d = planning
    fire = step(case, "review_fire")
    client.force_login(reviewers["fire"])
    inbox = client.get("/api/v1/workflow/inbox").json()
    assert [s["step"] for s in inbox] == ["review_fire"]
    assert client.post(f"/api/v1/workflow/steps/{fire.pk}/claim").status_code == 200
    r = client.post(f"/api/v1/workflow/steps/{fire.pk}/claim")
    assert r.status_code == 409 and "办理中" in r.json()["message"]
    client.force_login(reviewers["plan"])
    assert client.post(f"/api/v1/workflow/steps/{fire.pk}/claim").status_code == 403
    client.force_login(leader)  # the approval bureau's leader is not the fire brigade's head
    other = factories.grant(factories.UserFactory(username="fire2"), "reviewer", department=d["fire"])
    assert client.post(f"/api/v1/workflow/steps/{fire.pk}/reassign", {"reviewer": "fire2", "reason": "出差"}, content_type="application/json").status_code == 403
    client.force_login(factories.grant(factories.UserFactory(), "bureau_leader", department=d["fire"]))
    r = client.post(f"/api/v1/workflow/steps/{fire.pk}/reassign", {"reviewer": "fire2", "reason": "原审查人出差"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["claimant"] == str(other)
    assert case.events.filter(action="step_reassigned").exists()
    client.force_login(other)
    r = client.post(f"/api/v1/workflow/steps/{fire.pk}/complete", {"opinion": "agree", "answers": [{"point": "消防车道、登高操作场地是否符合规范", "answer": "符合"}]},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "done"
    for k in ("plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"), on=None)
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):  # the document is issued right after the decision commits
        r = client.post(f"/api/v1/workflow/cases/{case.number}/decide", {"approve": True, "note": "同意"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["document_state"] == "issuing"
    docs = client.get(f"/api/v1/cases/{case.number}/documents").json()
    assert docs[0]["state"] == "issued" and docs[0]["pdf"].endswith(".pdf")


def test_reviewer_and_leader_pages(client, running):
    case, reviewers, leader = running
    client.force_login(reviewers["fire"])
    page = client.get("/office/").content.decode()
    assert case.number in page and "消防审查" in page
    fire = step(case, "review_fire")
    assert "<svg" in client.get(f"/office/steps/{fire.pk}/").content.decode()
    client.post(f"/office/steps/{fire.pk}/act/", {"action": "claim"})
    r = client.post(f"/office/steps/{fire.pk}/act/", {"action": "agree", "a0": "符合"}, follow=True)
    assert "已同意" in r.content.decode()
    for k in ("plan", "env"):
        agree(reviewers[k], step(case, f"review_{k}"), on=None)
    client.force_login(leader)
    page = client.get("/office/decisions/").content.decode()
    assert case.number in page and "消防审查" in page
    r = client.post(f"/office/decisions/{case.number}/", {"approve": "1", "note": "同意"}, follow=True)
    assert "电子印章" in r.content.decode()
    case.refresh_from_db()
    assert case.state == "approved"


def test_a_late_branch_turns_red_in_the_inbox_after_the_scan(running):
    from tongban.workcal.scan import scan_lights

    case, reviewers, _ = running
    scan_lights(D(2025, 3, 12))  # the reviews were due on 5 March
    fire = step(case, "review_fire")
    assert fire.light == "red" and engine.inbox(reviewers["fire"])[0].light == "red"


@pytest.fixture
def with_expert_review(admin, planning):  # noqa: F811
    """Fire review and an expert review (专家评审, art. 45: not counted) in parallel, then the decision."""
    item, d = planning
    spec = steps(d)
    spec[2].update(code="experts", name="专家评审", kind="expert_review", department=d["plan"], budget_workdays=8, suspends_clock=True)
    spec[4]["after"] = ["review_fire", "experts", "review_env"]
    process = definitions.define(admin, item, spec)
    assert definitions.problems(process) == []  # 1 + 5 + 2 ≤ 12: the expert review's 8 days do not count
    definitions.publish_process(admin, process, valid_from=D(2025, 1, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 4343, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.submit_case(clerk, applicant=firm, item=item,
                              materials=[{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()], on=D(2025, 3, 3))
    case = intake.accept_case(clerk, case, on=D(2025, 3, 3))
    people = {k: factories.grant(factories.UserFactory(), "reviewer", department=d[k]) for k in ("fire", "plan", "env")}
    return case, people


def test_an_art45_step_stops_the_case_clock_while_it_is_open(with_expert_review):
    """The expert review opens with the acceptance (Mon 3 Mar 2025): the case clock stands still until it is
    done (Fri 14 Mar) — the deadline moves by the 9 working days it took; the step's own clock runs."""
    from tongban.cases.models import Case

    case, people = with_expert_review
    case.clock.refresh_from_db()
    assert case.clock.state == "paused" and case.clock.suspensions.get().reason == "expert_review"
    experts = step(case, "experts")
    assert experts.clock.state == "running" and experts.deadline == D(2025, 3, 13)  # its 8-day budget still counts
    agree(people["fire"], step(case, "review_fire"), on=D(2025, 3, 7))
    case.clock.refresh_from_db()
    assert case.clock.state == "paused"  # the fire review's end does not restart it
    agree(people["plan"], experts, on=D(2025, 3, 14))
    case = Case.objects.get(pk=case.pk)
    assert case.clock.state == "running"
    suspension = case.clock.suspensions.get()
    assert (suspension.start, suspension.end) == (D(2025, 3, 3), D(2025, 3, 14))
    assert case.clock.deadline == D(2025, 4, 1) and case.deadline == D(2025, 4, 1)  # 12 working days after 14 Mar
    actions = list(case.events.values_list("action", flat=True))
    assert "clock_paused" in actions and "clock_resumed" in actions


def test_a_return_for_correction_during_an_art45_step_keeps_the_clock_stopped(with_expert_review):
    """Correction and expert review overlap: the clock stays paused until both are over, with the reason
    that applies at each moment recorded in the ledger."""
    from tongban.cases.models import Case

    case, people = with_expert_review
    cs = step(case, "review_fire")
    engine.claim(people["fire"], cs)
    engine.complete(people["fire"], cs, opinion="return", text="请补充消防设计说明", answers=[], materials=[{"material": cs.case.item_version.materials.first().pk, "reason": "请补充消防设计说明"}], on=D(2025, 3, 5))
    case = Case.objects.get(pk=case.pk)
    assert case.clock.suspensions.get(end__isnull=True).reason == "correction"
    engine.resume_after_correction(people["fire"], case, on=D(2025, 3, 7))
    case = Case.objects.get(pk=case.pk)
    assert case.clock.state == "paused" and case.clock.suspensions.get(end__isnull=True).reason == "expert_review"
    assert [s.reason for s in case.clock.suspensions.order_by("id")] == ["expert_review", "correction", "expert_review"]


def test_only_art45_kinds_may_stop_the_clock_and_one_lead_per_stage(admin, planning):  # noqa: F811
    item, d = planning
    spec = steps(d)
    spec[1]["suspends_clock"] = True  # an ordinary review may not stop the clock
    spec[2]["is_lead"] = spec[3]["is_lead"] = True
    found = definitions.problems(definitions.define(admin, item, spec))
    assert any("消防审查" in p and "第四十五条" in p for p in found)
    assert any("只能有一个牵头部门" in p for p in found)
    spec = steps(d)
    spec[1].update(kind="publicity", name="批前公示", suspends_clock=True)  # publicity only where the guide says so
    found = definitions.problems(definitions.define(admin, item, spec))
    assert any("批前公示" in p and "公示" in p for p in found)


def test_a_long_art45_step_and_long_parallel_reviews_that_pass_publication_also_run(admin, planning):  # noqa: F811
    """Publication measures budgets along the longest path (art. 45 steps not counted); the run must not add
    up parallel branches or suspended steps against the same budgets and refuse a case half-way."""
    item, d = planning
    spec = steps(d)
    spec[1]["budget_workdays"] = spec[3]["budget_workdays"] = 9
    spec[2].update(code="experts", name="专家评审", kind="expert_review", budget_workdays=25, suspends_clock=True)
    spec[4]["after"] = ["review_fire", "experts", "review_env"]
    process = definitions.define(admin, item, spec)
    assert definitions.problems(process) == []  # 1 + 9 + 2 = 12
    definitions.publish_process(admin, process, valid_from=D(2025, 1, 1))
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 4444, authority="9", kind="1"), name="济宁城投置业有限公司")
    case = intake.accept_case(clerk, intake.submit_case(clerk, applicant=firm, item=item, on=D(2025, 3, 3), materials=[
        {"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()]), on=D(2025, 3, 3))
    people = {k: factories.grant(factories.UserFactory(), "reviewer", department=d[k]) for k in ("fire", "plan", "env")}
    agree(people["fire"], step(case, "review_fire"), on=D(2025, 3, 10))
    agree(people["env"], step(case, "review_env"), on=D(2025, 3, 11))
    agree(people["plan"], step(case, "experts"), on=D(2025, 4, 3))
    assert step(case, "decide").state == "ready"


def test_withdrawing_an_accepted_case_takes_its_steps_out_of_every_queue(running):
    from tongban.workflow import oversight

    case, reviewers, leader = running
    engine.claim(reviewers["plan"], step(case, "review_plan"))
    intake.withdraw_case(case.handler, case, on=D(2025, 3, 5))
    assert set(case.steps.exclude(state="done").values_list("state", flat=True)) == {"cancelled"}
    assert all(cs.clock.state == "stopped" for cs in case.steps.exclude(clock=None))
    assert engine.inbox(reviewers["fire"]) == [] and list(oversight.escalations(leader)) == []
    with pytest.raises(Conflict):
        engine.claim(reviewers["fire"], step(case, "review_fire"))
    assert "steps_cancelled" in case.events.values_list("action", flat=True)


def test_the_accept_answer_shows_the_clock_an_art45_step_paused(with_expert_review):
    from tongban.cases.models import Case
    from tongban.cases.selectors import case_out

    case, _ = with_expert_review  # the object accept_case returned, as the API serialises it
    stored = Case.objects.get(pk=case.pk)
    assert case_out(case)["deadline"] is None == stored.deadline and case_out(case)["light"] == stored.light
    actions = list(stored.events.values_list("action", flat=True))
    assert actions.index("accepted") < actions.index("clock_paused")
    assert stored.events.get(action="clock_paused").actor == stored.handler
