"""The access matrix (issue #10, "Proof that stays"): every role × scope that is not the case's own — the other
county, another department of the case's county, a department of the other county, no grant at all — against
every case-scoped API operation and every staff page of the case. Out of scope answers 404 or 403, the API
answers exactly what it answers for a case number that does not exist (no oracle), and nothing changes: the
case, its steps, its history, its notices and the audit log are the same after every request.

One accepted case of 曲阜市 (370881) on a back-office process (曲阜市行政审批服务局 accepts, 曲阜市消防救援大队
reviews, the bureau's leader decides). The loops collect every wrong cell and assert the list is empty at the
end, so one run shows the whole matrix. Runs on SQLite and PostgreSQL; the PostgreSQL run is the one the issue
asks for (same queries, the real database's scoping and locking)."""

import pytest
from django.test import Client

from tests import factories
from tongban.cases import services as intake
from tongban.cases.models import Case, CaseEvent, Notice
from tongban.core.identifiers import make_uscc
from tongban.core.models import AuditEvent
from tongban.org.models import ApiToken, Role
from tongban.workflow import definitions
from tongban.workflow.models import CaseStep

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # runs on both; the PostgreSQL run is the proof the issue asks for

QUFU, WENSHANG = "370881", "370830"
MISSING_NUMBER = "370881-20990101-999999"
MISSING_STEP = 999999999
MISSING_DOC = 999999999
ROLES = [r.value for r in Role]


@pytest.fixture
def world(admin):
    qufu = factories.region(QUFU)
    bureau = factories.DepartmentFactory(name="曲阜市行政审批服务局", function="approval", region=qufu)
    fire = factories.DepartmentFactory(name="曲阜市消防救援大队", function="fire", region=qufu)
    housing = factories.DepartmentFactory(name="曲阜市住房和城乡建设局", function="housing", region=qufu)
    wenshang = factories.DepartmentFactory(name="汶上县行政审批服务局", function="approval", region=factories.region(WENSHANG))
    item = factories.make_item(admin, department=bureau, name="建设工程规划许可证核发", legal_limit=20, promised_limit=12,
                               materials=[{"name": "建设工程规划许可证申请表", "role": "main"}])
    spec = [
        {"code": "accept", "name": "受理", "kind": "accept", "department": bureau, "after": [], "budget_workdays": 1},
        {"code": "review_fire", "name": "消防审查", "kind": "review", "department": fire, "after": ["accept"], "budget_workdays": 5,
         "review_points": ["消防车道、登高操作场地是否符合规范"]},
        {"code": "decide", "name": "审批决定", "kind": "decision", "department": bureau, "role": "bureau_leader",
         "after": ["review_fire"], "budget_workdays": 2},
    ]
    definitions.publish_process(admin, definitions.define(admin, item, spec))
    clerk = factories.grant(factories.UserFactory(display_name="孔令军"), Role.WINDOW_CLERK, QUFU)
    firm = intake.register_applicant(clerk, kind="org", id_number=make_uscc(QUFU, 5151, authority="9", kind="1"), name="曲阜三孔文旅置业有限公司")
    case = intake.submit_case(clerk, applicant=firm, item=item,
                              materials=[{"material": m.pk, "status": "original_seen"} for m in item.versions.get().materials.all()])
    case = intake.accept_case(clerk, case)
    assert case.back_office
    step = CaseStep.objects.get(case=case, step__code="review_fire")
    notice = Notice.objects.filter(case=case).first()
    assert notice is not None  # the acceptance notice
    from tongban.workflow.issuing import issue

    issue("notice", notice.pk)  # as the worker does after the acceptance commits
    material = item.versions.get().materials.first()
    inside = {
        "window_clerk": clerk,
        "reviewer": factories.grant(factories.UserFactory(), Role.REVIEWER, QUFU, department=fire),
        "bureau_leader": factories.grant(factories.UserFactory(), Role.BUREAU_LEADER, QUFU, department=bureau),
        "supervisor": factories.grant(factories.UserFactory(), Role.SUPERVISOR, QUFU),
        "system_admin": factories.grant(factories.UserFactory(), Role.SYSTEM_ADMIN, QUFU),
    }
    second_clerk = factories.grant(factories.UserFactory(), Role.WINDOW_CLERK, QUFU)
    second_reviewer = factories.grant(factories.UserFactory(), Role.REVIEWER, QUFU, department=fire)
    outside = []  # (label, user)
    for role in ROLES:
        outside.append((f"{role} of 汶上县", factories.grant(factories.UserFactory(), role, WENSHANG)))
        outside.append((f"{role} of 汶上县行政审批服务局", factories.grant(factories.UserFactory(), role, WENSHANG, department=wenshang)))
        outside.append((f"{role} of 曲阜市住建局", factories.grant(factories.UserFactory(), role, QUFU, department=housing)))
    # Roles whose grant over the case's own county still gives no case: the catalogue administrator (no case
    # role at all) and an agent without a mandate for this applicant.
    outside.append(("catalog_admin of 曲阜市", factories.grant(factories.UserFactory(), Role.CATALOG_ADMIN, QUFU)))
    outside.append(("agent of 曲阜市 without a mandate", factories.grant(factories.UserFactory(), Role.AGENT, QUFU)))
    outside.append(("staff with no grant", factories.UserFactory()))
    return {"case": case, "step": step, "notice": notice, "material": material, "inside": inside, "outside": outside,
            "second_clerk": second_clerk, "second_reviewer": second_reviewer}


def api_operations(w, number=None, step_id=None):
    """(method, path, body) for every case-scoped operation of the OpenAPI document."""
    n = number or w["case"].number
    s = step_id or w["step"].pk
    c, st = f"/api/v1/cases/{n}", f"/api/v1/workflow/steps/{s}"
    return [
        ("GET", c, None),
        ("POST", f"{c}/accept", {}),
        ("POST", f"{c}/decide-immediately", {"approve": True, "note": "当场办结"}),
        ("POST", f"{c}/deliver", {"method": "window", "received_by": "孔繁星", "id_checked": True}),
        ("GET", f"{c}/documents", None),
        ("GET", f"{c}/documents/{MISSING_DOC}.pdf", None),
        ("POST", f"{c}/extend", {"days": 3, "reason": "需组织现场核查"}),
        ("POST", f"{c}/handler", {"handler": w["second_clerk"].username, "reason": "原经办人轮岗"}),
        ("POST", f"{c}/mail-delivered", {}),
        ("POST", f"{c}/materials", {"materials": []}),
        ("GET", f"{c}/notices", None),
        ("GET", f"{c}/notices/{w['notice'].pk}.pdf", None),
        ("POST", f"{c}/notify-missing", {"items": [], "materials": []}),
        ("POST", f"{c}/post-check", {"passed": False, "note": "承诺不实"}),
        ("POST", f"{c}/refuse", {"reason": "不属于本机关职权范围"}),
        ("POST", f"{c}/register-mail", {"recipient": "孔繁星", "address": "曲阜市鼓楼北街1号", "phone": "13805370000",
                                        "courier": "EMS", "tracking_number": "1100000000001"}),
        ("POST", f"{c}/supply-materials", {"supplied": []}),
        ("POST", f"{c}/withdraw", {"reason": "申请人申请撤回"}),
        ("POST", f"/api/v1/workflow/cases/{n}/decide", {"approve": True, "note": "符合规划条件"}),
        ("GET", f"/api/v1/workflow/cases/{n}/steps", None),
        ("GET", st, None),
        ("POST", f"{st}/chase", {"note": "请加快办理"}),
        ("POST", f"{st}/claim", {}),
        ("POST", f"{st}/complete", {"opinion": "agree", "text": "同意", "answers": [{"point": "消防车道、登高操作场地是否符合规范", "answer": "符合"}]}),
        ("POST", f"{st}/joint-opinion", {"opinion": "agree", "text": "同意"}),
        ("POST", f"{st}/reassign", {"reviewer": w["second_reviewer"].username, "reason": "原审查人出差"}),
        ("POST", f"{st}/return", {"text": "请补正消防设计说明", "answers": [], "materials": []}),
    ]


def pages(w):
    """(method, path, form) for every staff page of the case."""
    n, s = w["case"].number, w["step"].pk
    h, o = f"/hall/cases/{n}", "/office"
    return [
        ("GET", f"{h}/", None),
        ("POST", f"{h}/act/", {"action": "withdraw", "reason": "申请人申请撤回"}),
        ("POST", f"{h}/act/", {"action": "refuse", "reason": "不属于本机关职权范围"}),
        ("POST", f"{h}/act/", {"action": "extend", "days": "3", "reason": "需组织现场核查"}),
        ("POST", f"{h}/act/", {"action": "handover", "handler": w["second_clerk"].username, "reason": "轮岗"}),
        ("POST", f"{h}/act/", {"action": "check", "all_received": "1"}),
        ("GET", f"{h}/notices/{w['notice'].pk}.pdf", None),
        ("GET", f"{h}/materials/{w['material'].pk}/", None),
        ("GET", f"{h}/documents/{MISSING_DOC}.pdf", None),
        ("GET", f"{o}/steps/{s}/", None),
        ("POST", f"{o}/steps/{s}/act/", {"action": "claim"}),
        ("POST", f"{o}/steps/{s}/act/", {"action": "agree", "text": "同意", "a0": "符合"}),
        ("POST", f"{o}/steps/{s}/act/", {"action": "return", "text": "请补正"}),
        ("POST", f"{o}/steps/{s}/chase/", {"note": "请加快"}),
        ("POST", f"{o}/decisions/{n}/", {"approve": "1", "note": "符合规划条件"}),
        ("GET", f"{o}/decisions/{n}/preview-approval.pdf", None),
        ("POST", f"{o}/decisions/{n}/preview-refusal.pdf", {"note": "不符合"}),
        ("GET", f"{o}/cases/{n}/timeline/", None),
        ("POST", f"{o}/escalations/{s}/reassign/", {"reviewer": str(w["second_reviewer"].pk), "reason": "人手不足"}),
    ]


def snapshot(case):
    c = Case.objects.get(pk=case.pk)
    return {
        "case": (c.state, c.updated_at, c.deadline, c.handler_id),
        "steps": sorted(CaseStep.objects.filter(case=case).values_list("pk", "state", "claimant_id", "deadline", "opinion", "done_on")),
        "case events": CaseEvent.objects.filter(case=case).count(),
        "notices": Notice.objects.filter(case=case).count(),
        "audit events": AuditEvent.objects.count(),
    }


def call(client, method, path, body=None, auth=None, form=False):
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    if method == "GET":
        return client.get(path, headers=headers)
    if form:
        return client.post(path, body or {}, headers=headers)
    return client.post(path, body or {}, content_type="application/json", headers=headers)


def test_out_of_scope_api_calls_answer_as_for_no_case_and_change_nothing(world):
    w = world
    keys = {label: ApiToken.issue(user, "matrix")[1] for label, user in w["outside"]}
    client = Client()
    ops = api_operations(w)
    nowhere = api_operations(w, number=MISSING_NUMBER, step_id=MISSING_STEP)
    failures = []
    before = snapshot(w["case"])
    for label, _user in w["outside"] + [("anonymous", None)]:
        key = keys.get(label)
        for (method, path, body), (_m, missing_path, _b) in zip(ops, nowhere, strict=True):
            r = call(client, method, path, body, key)
            allowed = (401,) if key is None else (403, 404)
            if r.status_code not in allowed:
                failures.append(f"{label}: {method} {path} → {r.status_code} {r.content[:160]!r}")
            elif key is not None:
                ghost = call(client, method, missing_path, body, key)
                if (ghost.status_code, ghost.content) != (r.status_code, r.content):
                    failures.append(f"{label}: {method} {path} → {r.status_code} {r.content[:120]!r}, but for no such case "
                                    f"{ghost.status_code} {ghost.content[:120]!r}")
            after = snapshot(w["case"])
            if after != before:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                failures.append(f"{label}: {method} {path} changed {changed}")
                before = after
    assert failures == [], "\n".join(failures)


def test_out_of_scope_staff_pages_answer_404_or_403_and_change_nothing(world):
    w = world
    client = Client()
    failures = []
    before = snapshot(w["case"])
    for label, user in w["outside"]:
        client.force_login(user)
        for method, path, form in pages(w):
            r = call(client, method, path, form, form=True)
            if r.status_code not in (403, 404):
                failures.append(f"{label}: {method} {path} {form or ''} → {r.status_code}")
            after = snapshot(w["case"])
            if after != before:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                failures.append(f"{label}: {method} {path} {form or ''} changed {changed}")
                before = after
        client.logout()
    for method, path, form in pages(w):  # nobody logged in: the login page, nothing else
        r = call(client, method, path, form, form=True)
        if r.status_code != 302 or "/login" not in r.get("Location", "") and "login" not in r.get("Location", ""):
            failures.append(f"anonymous: {method} {path} → {r.status_code} {r.get('Location', '')}")
    if snapshot(w["case"]) != before:
        failures.append("anonymous page requests changed the case")
    assert failures == [], "\n".join(failures)


def test_the_matrix_probes_real_doors_the_own_scope_opens_every_read(world):
    """The control: each read the matrix probes answers 200 to someone of the case's own scope, so a 404 above
    is the scope speaking, not a wrong address."""
    w = world
    keys = {role: ApiToken.issue(user, "matrix")[1] for role, user in w["inside"].items()}
    client = Client()
    unopened = []
    for method, path, _body in api_operations(w):
        if method != "GET" or f"/{MISSING_DOC}." in path:
            continue
        codes = {role: call(client, "GET", path, auth=key).status_code for role, key in keys.items()}
        if 200 not in codes.values():
            unopened.append(f"API GET {path}: {codes}")
    for method, path, _form in pages(w):
        if method != "GET" or f"/{MISSING_DOC}." in path or "/materials/" in path:
            continue
        codes = {}
        for role, user in w["inside"].items():
            client.force_login(user)
            codes[role] = client.get(path).status_code
        client.logout()
        if not set(codes.values()) - {403, 404}:  # the preview answers 409 to the leader before the decision step is ready
            unopened.append(f"page GET {path}: {codes}")
    assert unopened == [], "\n".join(unopened)
    # and the snapshot sees an act: the step's own reviewer claims it through the same door the matrix probes
    before = snapshot(w["case"])
    r = call(client, "POST", f"/api/v1/workflow/steps/{w['step'].pk}/claim", {}, keys["reviewer"])
    assert r.status_code == 200, r.content
    assert snapshot(w["case"])["steps"] != before["steps"]
