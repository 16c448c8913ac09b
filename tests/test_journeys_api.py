"""Every path of a case through the API, as an external system would drive it: real HTTP against the live
test server, bearer tokens only, and only operations and fields the OpenAPI document declares.

For each demo process: submit → accept → parallel reviews → return for correction → supply → resume →
joint inspection (where the process has one) → decision → download the sealed document → delivery. The
calendar is pinned to a week of March 2025 so the correction pause spans real working days; the deadlines
are checked against the `chinesecalendar` package, not against our own calendar code."""

import base64
import datetime as dt
import json
import urllib.error
import urllib.request

import chinese_calendar
import pytest

from tests import factories
from tongban.catalog import demo as catalog_demo
from tongban.catalog.models import ItemVersion
from tongban.core.identifiers import make_uscc
from tongban.org import demo as org_demo
from tongban.org.models import ApiToken, User
from tongban.workcal import days

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = dt.date


def workdays_after(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (the start day itself not counted), on the State Council's calendar."""
    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            left -= 1
    return day


def workdays_between(a: dt.date, b: dt.date) -> int:
    """Working days in (a, b]."""
    return sum(1 for i in range(1, (b - a).days + 1) if chinese_calendar.is_workday(a + dt.timedelta(days=i)))


class Client:
    """A machine client: JSON over HTTP with a bearer token, nothing else."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None, expect: int | None = 200, raw: bool = False):
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, payload, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, payload, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if expect is not None:
            assert status == expect, f"{method} {path}: {status} {payload[:400]!r}"
        if raw:
            return status, payload, ctype
        return json.loads(payload) if payload else None

    get = lambda self, path, **kw: self.call("GET", path, **kw)  # noqa: E731
    post = lambda self, path, body=None, **kw: self.call("POST", path, body, **kw)  # noqa: E731


@pytest.fixture
def world(live_server, monkeypatch):
    """The demo city's items these journeys use, staff and processes (no cases), a token per role, and a clock pinned to the
    day the test says (the live server runs in this process, so it sees the same day)."""
    today = {"day": D(2025, 3, 3)}
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today["day"])
    data = catalog_demo.read_data()
    org_demo.load_towns()
    org_demo.load_departments(data["departments"])
    org_demo.load_halls(data["zones"])
    org_demo.load_staff()
    admin = User.objects.get(username="admin")
    used = {"食品经营许可", "建设工程规划许可证核发", "民办幼儿园设立"}  # the items these journeys apply for (others load more)
    catalog_demo.load_catalogue(admin, {**data, "items": [i for i in data["items"] if i["name"] in used], "bundles": []})
    from tongban.workflow.demo import load_processes

    load_processes(admin)
    days.invalidate()
    base = live_server.url + "/api/v1"
    clients = {}
    for username in ("clerk", "clerk_qf", "reviewer", "reviewer_fire", "reviewer_plan", "reviewer_env", "leader",
                     "reviewer_qf_edu", "reviewer_qf_fire", "reviewer_qf_health", "leader_qf", "supervisor"):
        _, key = ApiToken.issue(User.objects.get(username=username), "journey test")
        clients[username] = Client(base, key)

    outsider = factories.grant(factories.UserFactory(username="clerk_jx"), "window_clerk", "370830")  # 嘉祥县's window
    clients["clerk_jx"] = Client(base, ApiToken.issue(outsider, "journey test")[1])
    codes = {name: ItemVersion.objects.effective(D(2025, 3, 3)).filter(name=name, item__region__code=region).first()
             for name, region in (("食品经营许可", "370800"), ("建设工程规划许可证核发", "370800"), ("民办幼儿园设立", "370881"))}
    yield {"api": clients, "today": today, "versions": codes}
    days.invalidate()


def submit_and_accept(api, clerk: str, version, firm: str, serial: int, region: str):
    """The clerk reads the guide, submits with every material and accepts; returns the case."""
    guide = api[clerk].get(f"/items/{version.item.implementation_code}")
    materials = [{"material": m["id"], "status": "original_seen"} for m in guide["materials"]]
    case = api[clerk].post("/cases/", {
        "applicant": {"kind": "org", "id_number": make_uscc(region, serial, authority="9", kind="1"), "name": firm, "phone": "0537-2231234"},
        "item": version.item.implementation_code, "materials": materials[1:],
    }, expect=201)
    assert case["state"] == "received" and "accept" in case["actions"]
    case = api[clerk].post(f"/cases/{case['number']}/accept", {"materials": materials[:1]})
    assert case["state"] == "accepted" and case["back_office"] is True
    assert "decide" not in case["actions"]  # decided only through the process's decision step
    return case, guide


def inbox_step(client: Client, number: str, code_name: str):
    steps = [s for s in client.get("/workflow/inbox") if s["case"] == number and s["name"] == code_name]
    assert len(steps) == 1, f"{code_name} not in the inbox of its department"
    return steps[0]


def review(client: Client, number: str, name: str, opinion="agree"):
    step = inbox_step(client, number, name)
    if step["state"] == "ready":
        step = client.post(f"/workflow/steps/{step['id']}/claim")
    answers = [{"point": p, "answer": "符合"} for p in step["review_points"]]
    return client.post(f"/workflow/steps/{step['id']}/complete", {"opinion": opinion, "answers": answers})


def return_and_resume(world, number: str, reviewer: str, step_name: str, clerk: str, guide: dict, case_before: dict):
    """A reviewer returns the case naming one material; the window receives it three working days later; the
    deadline moves by exactly the working days it was paused."""
    api, today = world["api"], world["today"]
    step = inbox_step(api[reviewer], number, step_name)
    if step["state"] == "ready":
        step = api[reviewer].post(f"/workflow/steps/{step['id']}/claim")
    wanted = guide["materials"][0]
    returned_on = today["day"]
    step = api[reviewer].post(f"/workflow/steps/{step['id']}/return", {
        "text": "请补正:材料中的单位名称与营业执照不一致", "materials": [{"material": wanted["id"], "status": "defective", "reason": "名称与营业执照不一致"}]})
    assert step["state"] == "returned"
    case = api[clerk].get(f"/cases/{number}")
    assert case["state"] == "returned" and case["clock_paused"] is True and case["deadline"] is None
    assert case["corrections"] == [wanted["name"]] and "supply" in case["actions"]
    notice = [n for n in api[clerk].get(f"/cases/{number}/notices") if n["by_step"]][-1]
    assert notice["kind"] == "missing" and notice["items"][0]["name"] == wanted["name"]
    status, pdf, ctype = api[clerk].get(notice["pdf"].removeprefix("/api/v1"), raw=True)
    assert status == 200 and pdf.startswith(b"%PDF") and ctype == "application/pdf"
    # the reviewer's queue no longer offers the step while it is with the applicant
    assert not [s for s in api[reviewer].get("/workflow/inbox") if s["case"] == number and s["name"] == step_name]
    today["day"] = workdays_after(returned_on, 3)
    case = api[clerk].post(f"/cases/{number}/supply-materials", {"supplied": [{"material": wanted["id"], "status": "provided"}]})
    assert case["state"] == "accepted" and case["clock_paused"] is False and case["corrections"] == []
    paused = workdays_between(returned_on, today["day"])
    assert paused == 3
    assert D.fromisoformat(case["deadline"]) == workdays_after(D.fromisoformat(case_before["deadline"]), paused)
    step = inbox_step(api[reviewer], number, step_name)
    assert step["state"] == "claimed"  # back with the reviewer who returned it
    return case


def issued(api, number: str, timeout: float = 15) -> str:
    """What an external client does after a decision: follow the case's documents until the sealed one is issued."""
    import time

    end = time.monotonic() + timeout
    while True:
        docs = api.get(f"/cases/{number}/documents")
        if docs and docs[-1]["state"] == "issued":
            return docs[-1]["pdf"]
        assert docs and docs[-1]["state"] == "issuing" and docs[-1]["pdf"] is None and time.monotonic() < end, docs
        time.sleep(0.2)


def decide_and_deliver(world, number: str, leader: str, clerk: str):
    api = world["api"]
    decision = api[leader].post(f"/workflow/cases/{number}/decide", {"approve": True, "note": "经审查,符合法定条件和标准"})
    assert decision["state"] == "approved" and decision["document_state"] in ("issuing", "issued")
    link = decision["document"] or issued(api[clerk], number)  # the decision answers first; the document follows
    status, pdf, ctype = api[clerk].get(link.removeprefix("/api/v1"), raw=True)
    assert status == 200 and ctype == "application/pdf" and pdf.startswith(b"%PDF") and b"/ByteRange" in pdf  # signed (PAdES)
    docs = api[clerk].get(f"/cases/{number}/documents")
    assert [d["kind"] for d in docs] == ["approval"]
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == docs[0]["sha256"]
    case = api[clerk].get(f"/cases/{number}")
    assert "deliver" in case["actions"] and case["pickup_code"]
    case = api[clerk].post(f"/cases/{number}/deliver", {"method": "window", "received_by": "王立新", "id_checked": True,
                                                        "code": case["pickup_code"]})
    assert case["state"] == "completed" and case["actions"] == []
    return case


def test_food_licence_from_submission_to_delivery_over_http(world):
    api, today, version = world["api"], world["today"], world["versions"]["食品经营许可"]
    case, guide = submit_and_accept(api, "clerk", version, "济宁市任城区鲁味轩餐饮店", 20250301, "370811")
    number = case["number"]
    assert D.fromisoformat(case["deadline"]) == workdays_after(D(2025, 3, 3), version.promised_limit)
    today["day"] = D(2025, 3, 4)
    case = return_and_resume(world, number, "reviewer", "材料审查", "clerk", guide, case)
    review(api["reviewer"], number, "材料审查")
    steps = api["clerk"].get(f"/workflow/cases/{number}/steps")
    assert [s["state"] for s in steps] == ["done", "done", "ready"]  # accept, review, decision
    decide_and_deliver(world, number, "leader", "clerk")


def test_planning_permit_with_parallel_reviews_and_a_joint_inspection_over_http(world):
    api, today, version = world["api"], world["today"], world["versions"]["建设工程规划许可证核发"]
    case, guide = submit_and_accept(api, "clerk", version, "济宁城投置业有限公司", 20250302, "370811")
    number = case["number"]
    assert D.fromisoformat(case["deadline"]) == workdays_after(D(2025, 3, 3), version.promised_limit)
    today["day"] = D(2025, 3, 4)
    # three departments review in parallel; the decision waits for all of them
    review(api["reviewer_fire"], number, "消防审查")
    review(api["reviewer_env"], number, "环保审查")
    case = return_and_resume(world, number, "reviewer_plan", "规划审查", "clerk", guide, case)
    assert api["leader"].post(f"/workflow/cases/{number}/decide", {"approve": True}, expect=409)["code"] == "decision_not_ready"
    review(api["reviewer_plan"], number, "规划审查")
    # the joint inspection: each member department answers from its own inbox
    for reviewer in ("reviewer_fire", "reviewer_plan", "reviewer_env"):
        joint = inbox_step(api[reviewer], number, "联合踏勘")
        assert joint["kind"] == "joint_inspection"
        record = {"file_name": "踏勘记录.pdf", "file_base64": base64.b64encode(factories.pdf_bytes()).decode()} \
            if reviewer == "reviewer_fire" else {}
        joint = api[reviewer].post(f"/workflow/steps/{joint['id']}/joint-opinion", {
            "opinion": "agree", "text": "现场与申报图纸一致", "inspected_on": str(today["day"]), "place": "太白湖新区项目现场",
            "participants": "消防、规划、环保三部门及建设单位代表", **record})
        # answered: gone from this department's inbox, still open for the others until the last one
        assert not [s for s in api[reviewer].get("/workflow/inbox") if s["case"] == number and s["name"] == "联合踏勘"]
    assert joint["state"] == "done" and len(joint["joint_opinions"]) == 3
    assert [o["has_file"] for o in joint["joint_opinions"] if o["department"] == "济宁市消防救援支队"] == [True]
    assert api["reviewer_fire"].post(f"/workflow/steps/{joint['id']}/joint-opinion", {"opinion": "agree"}, expect=409)
    decide_and_deliver(world, number, "leader", "clerk")


def test_county_kindergarten_with_three_parallel_reviews_over_http(world):
    api, today, version = world["api"], world["today"], world["versions"]["民办幼儿园设立"]
    case, guide = submit_and_accept(api, "clerk_qf", version, "曲阜市杏坛教育咨询有限公司", 20250303, "370881")
    number = case["number"]
    assert number.startswith("370881-")
    assert D.fromisoformat(case["deadline"]) == workdays_after(D(2025, 3, 3), version.promised_limit)
    # another county's clerk cannot see it: the same answer as for a case that does not exist
    other = api["clerk_jx"].get(f"/cases/{number}", expect=404)
    assert other == api["clerk_jx"].get("/cases/370881-20250303-999999", expect=404)
    assert api["clerk_jx"].post(f"/cases/{number}/withdraw", {"reason": "试图撤回"}, expect=404) == other
    today["day"] = D(2025, 3, 5)
    review(api["reviewer_qf_edu"], number, "办学条件审查")
    case = return_and_resume(world, number, "reviewer_qf_health", "卫生保健评价", "clerk_qf", guide, case)
    review(api["reviewer_qf_health"], number, "卫生保健评价")
    review(api["reviewer_qf_fire"], number, "消防安全检查")
    # the city leader is not the county bureau's leader
    assert api["leader"].post(f"/workflow/cases/{number}/decide", {"approve": True}, expect=404)
    decide_and_deliver(world, number, "leader_qf", "clerk_qf")


def test_an_invalid_token_gets_401_in_chinese_on_every_method(world, live_server):
    bad = Client(live_server.url + "/api/v1", "tb_not-a-real-token")
    for method, path in (("GET", "/cases/"), ("POST", "/cases/"), ("POST", "/workflow/steps/1/claim"), ("GET", "/workflow/inbox")):
        body = bad.call(method, path, expect=401)
        assert body["code"] == "unauthenticated" and "令牌" in body["message"]
