"""An investment project through the API as an external client: bearer tokens, JSON over HTTP, only the
operations and fields the OpenAPI document declares. Register a project with a valid code (a wrong check digit
is refused), apply for stage 1 with its one form, follow the three cases through the back office, read the
forecast and see it move when a case is returned for correction; the 0+N agency: request, agreement, hand-off
to the county office (received there), meeting and roadmap, ledger, statistics."""

import datetime as dt

import pytest

from tests.test_journeys_api import Client
from tests.test_projects import load_city
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.org.models import ApiToken, User
from tongban.projects.codes import make_project_code
from tongban.workcal import days

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = dt.date


@pytest.fixture
def api(live_server, monkeypatch):
    today = {"day": D(2025, 3, 3)}
    load_city(monkeypatch)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today["day"])
    base = live_server.url + "/api/v1"
    clients = {name: Client(base, ApiToken.issue(User.objects.get(username=name), "projects journey")[1])
               for name in ("clerk", "agent", "agent_mgr", "agent_qf", "agent_wenshang", "reviewer_plan", "reviewer_env", "leader",
                            "supervisor")}
    yield clients, today
    days.invalidate()


def test_a_project_through_the_api(api):
    clients, today = api
    clerk, agent = clients["clerk"], clients["agent"]
    openapi = clerk.get("/openapi.json")
    assert "/api/v1/projects/{code}/forecast" in openapi["paths"] and "/api/v1/projects/{code}/stages/{stage}/apply" in openapi["paths"]

    code = make_project_code("370881", D(2025, 2, 10), 31207)
    wrong = code[:-1] + str((int(code[-1]) + 3) % 10)
    check = clerk.get(f"/projects/codes/validate?code={code}")
    assert check["valid"] is True and check["region_name"] == "曲阜市" and check["has_check_digit"] is True
    assert clerk.get(f"/projects/codes/validate?code={wrong}")["valid"] is False
    body = {"code": wrong, "name": "年产2万吨高性能复合材料项目", "site": "曲阜市经济开发区春秋西路以南、静轩西路以东", "kind": "industrial",
            "investment": "68000", "land_area": "86667", "floor_area": "62400", "major": True,
            "owner": {"id_number": make_uscc("370881", 45000012, authority="9", kind="1"), "name": "山东曲阜圣源新材料科技有限公司",
                      "phone": "0537-4421866"}}
    refused = agent.post("/projects/", body, expect=400)
    assert refused["code"] == "project_code_check" and refused["field"] == "code" and "校验位" in refused["message"]
    project = agent.post("/projects/", {**body, "code": code}, expect=201)
    assert project["code"] == code and project["stage"] == 1 and project["cases"] == []
    assert agent.post("/projects/", {**body, "code": code}, expect=409)["code"] == "project_exists"
    assert clients["agent_wenshang"].get(f"/projects/{code}", expect=404)["code"] == "not_found"

    # the 0+N service: request, agreement (with the mandate the agent applies under)
    offices = agent.get("/projects/agency/offices")
    city = next(o for o in offices if o["level"] == "市级")
    county = next(o for o in offices if o["region"] == "曲阜市")
    assert any(li["kind"] == "chief_liaison" for li in county["liaisons"])
    req = agent.post(f"/projects/{code}/agency", {"office": city["id"], "contact_name": "颜丙涛", "contact_phone": "13905378821"}, expect=201)
    assert req["state"] == "requested" and req["contact_name"] == "颜**"
    forms = [clerk.get(f"/projects/{code}/stages/{n}/form") for n in (1, 2, 3, 4)]
    item_codes = [i["implementation_code"] for f in forms for i in f["items"]]
    team = [{"username": "agent_mgr", "role": "manager"}, {"username": "agent", "role": "agent"},
            {"username": "agent_guide", "role": "guide"}, {"username": "agent_policy", "role": "policy"},
            {"username": "agent_super", "role": "supervisor"}]
    agreed = clients["agent_mgr"].post(f"/projects/{code}/agency/agreement", {
        "items": item_codes, "rights_duties": "无偿代办;企业对材料真实性负责", "team": team,
        "agent_id_number": make_id_card("370811", D(1986, 4, 12), 31)})
    assert agreed["state"] == "agreed" and len(agreed["team"]) == 5
    # stage 1: one form, three items; the agent submits for the enterprise, the window accepts (0 visits)
    form = forms[0]
    assert len(form["items"]) == 3 and any(len(m["items"]) > 1 for m in form["materials"])  # asked once for several items
    materials = [{"material": m["id"], "status": "provided"} for m in form["materials"]]
    assert agent.post(f"/projects/{code}/stages/1/apply", {"materials": materials, "accept": True}, expect=403)["code"] == "forbidden"
    project = agent.post(f"/projects/{code}/stages/1/apply", {"materials": materials, "form_data": {"建设规模": "用地约130亩"}})
    assert {c["channel"] for c in project["cases"]} == {"帮代办"}
    for c in project["cases"]:
        assert clerk.post(f"/cases/{c['number']}/accept", {})["state"] == "accepted"
    project = clerk.get(f"/projects/{code}")
    cases = {c["item"]: c for c in project["cases"]}
    assert len(cases) == 3 and {c["state"] for c in cases.values()} == {"accepted"}
    assert project["stages"][0]["state"] == "open"

    # follow the cases: each has its own steps, in different departments at once
    siting = cases["建设项目用地预审与选址意见书核发"]["number"]
    assert clerk.get(f"/cases/{siting}")["state"] == "accepted"
    steps = clerk.get(f"/workflow/cases/{siting}/steps")
    assert [s["state"] for s in steps if s["step"] == "review_plan"] == ["ready"]

    before = clerk.get(f"/projects/{code}/forecast")
    assert before["end"] >= before["stages"][0]["end"] and len(before["stages"]) == 4 and before["critical_path"]
    assert before["stages"][0]["items"][0]["steps"]

    # the planning bureau returns the siting case for correction: the forecast moves later
    today["day"] = D(2025, 3, 4)
    reviewer = clients["reviewer_plan"]
    step = next(s for s in reviewer.get("/workflow/inbox") if s["case"] == siting)
    reviewer.post(f"/workflow/steps/{step['id']}/claim")
    guide_material = clerk.get(f"/cases/{siting}")["materials"][0]["material"]
    reviewer.post(f"/workflow/steps/{step['id']}/return", {"text": "请补充勘测定界图", "materials": [
        {"material": guide_material, "status": "defective", "reason": "勘测定界图比例尺不符"}]})
    after = clerk.get(f"/projects/{code}/forecast")
    assert after["end"] > before["end"]
    assert any("退回补正" in p["cause"] for p in after["history"])
    assert clerk.get(f"/projects/{code}")["cases"][0]["state"] in ("accepted", "returned")

    # hand-off, meeting, ledger
    county_item = next(i["implementation_code"] for i in forms[3]["items"] if i["level"] == "县级")
    handed = agent.post(f"/projects/{code}/agency/handoffs", {"to_office": county["id"], "items": [county_item],
                                                                "materials": "竣工验收报告(电子件)", "method": "upload"}, expect=201)
    assert handed["received_on"] is None
    seen = clients["agent_qf"].get(f"/projects/{code}/agency")  # the county office sees it
    assert seen["handoffs"][0]["to_office"] == county["name"]
    received = clients["agent_qf"].post(f"/projects/agency/handoffs/{handed['id']}/receive")
    assert received["received_on"] == "2025-03-04"
    meeting = clients["agent_mgr"].post(f"/projects/{code}/agency/meetings", {
        "held_on": "2025-03-04", "place": "济宁市为民服务中心三楼会商室", "departments": _department_ids(), "minutes": "一次性告知全部事项",
        "nodes": [{"title": "建设用地规划许可证", "stage": 1, "planned_on": "2025-03-14"},
                  {"title": "建筑工程施工许可证", "stage": 3, "planned_on": "2025-04-18"}]}, expect=201)
    assert [n["order"] for n in meeting["roadmap"]] == [1, 2] and meeting["state"] == "roadmap"
    agent.post(f"/projects/{code}/agency/ledger", {"kind": "visit", "note": "上门收取补正材料"}, expect=201)
    assert agent.post(f"/projects/{code}/agency/ledger", {"kind": "node", "note": "x"}, expect=400)["field"] == "kind"
    detail = agent.get(f"/projects/{code}/agency")
    assert detail["enterprise_visits"] == 0 and detail["agent_visits"] == 1
    stats = clients["supervisor"].get("/projects/agency/statistics")
    assert {r["office"] for r in stats["offices"]} >= {city["name"], county["name"]}


def _department_ids():
    from tongban.org.models import Department

    return list(Department.objects.filter(region__code="370800", function__in=["approval", "natural_resources"]).values_list("pk", flat=True))
