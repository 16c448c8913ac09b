"""Process administration in Django admin: catalogue administrators edit drafts, publish, copy; published
versions are read-only; refusals are Chinese messages, never a server error."""

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from tests import factories
from tests.test_workflow_definitions import planning, steps  # noqa: F401 - fixture and spec
from tongban.workflow import definitions
from tongban.workflow.models import Process, Step

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/workflow/process/"


def change_url(process):
    return f"{CHANGELIST}{process.pk}/change/"


@pytest.fixture
def staff_admin(admin):
    """The 事项管理员 of 济宁市 as a staff user: no Django model permissions, only the catalogue role."""
    admin.is_staff = True
    admin.save()
    return admin


def step_post(process, edits=None, extra=()):
    """The admin change form as a browser would post it, with `edits` per step code and `extra` new steps."""
    rows = [{
        "id": s.pk, "process": process.pk, "order": s.order, "code": s.code, "name": s.name, "kind": s.kind,
        "department": s.department_id, "role": s.role, "after": ", ".join(s.after), "budget_workdays": s.budget_workdays,
        "review_points": "\n".join(s.review_points), "joint_departments": [d.pk for d in s.joint_departments.all()],
        **({"suspends_clock": "on"} if s.suspends_clock else {}), **({"is_lead": "on"} if s.is_lead else {}),
        **(edits or {}).get(s.code, {}),
    } for s in process.steps.order_by("order")] + [{"process": process.pk, "role": "reviewer", **e} for e in extra]
    data = {"valid_from": "", "steps-TOTAL_FORMS": len(rows), "steps-INITIAL_FORMS": process.steps.count(),
            "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 1000, "_save": "保存"}
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"steps-{i}-{k}"] = v
    return data


def act(client, action, *processes):
    r = client.post(CHANGELIST, {"action": action, "_selected_action": [p.pk for p in processes], "index": 0}, follow=True)
    assert r.status_code == 200
    return [str(m) for m in get_messages(r.wsgi_request)] or [str(m) for m in r.context["messages"]]


def test_catalogue_admin_edits_after_and_review_points_as_plain_text(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d))
    client.force_login(staff_admin)
    page = client.get(change_url(draft))
    assert page.status_code == 200 and "消防审查" in page.content.decode() and "<svg" in page.content.decode()
    r = client.post(change_url(draft), step_post(draft, {
        "review_env": {"after": "review_fire,review_plan", "review_points": "是否已完成环境影响评价手续\n\n排污口设置是否合规"},
        "decide": {"after": "review_env"},
    }))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    env = Step.objects.get(process=draft, code="review_env")
    assert env.after == ["review_fire", "review_plan"]
    assert env.review_points == ["是否已完成环境影响评价手续", "排污口设置是否合规"]


def test_a_step_waiting_for_an_unknown_or_duplicate_code_is_refused_in_the_form(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d))
    client.force_login(staff_admin)
    r = client.post(change_url(draft), step_post(draft, {"decide": {"after": "review_fire review_planning"}}))
    assert r.status_code == 200 and "本流程没有名称或编码为 review_planning 的环节" in r.content.decode()
    r = client.post(change_url(draft), step_post(draft, {"review_env": {"code": "review_fire"}}))
    assert r.status_code == 200 and "环节编码重复:review_fire" in r.content.decode()
    assert Step.objects.get(process=draft, code="decide").after == ["review_fire", "review_plan", "review_env"]


def test_a_joint_inspection_step_is_added_with_its_departments(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d, decide={"after": ["joint"]}))
    client.force_login(staff_admin)
    joint = {"order": 5, "code": "joint", "name": "联合踏勘", "kind": "joint_inspection", "department": d["bureau"].pk,
             "after": "review_fire、review_plan、review_env", "budget_workdays": 1,
             "joint_departments": [d["fire"].pk, d["plan"].pk]}
    r = client.post(change_url(draft), step_post(draft, extra=[joint]))
    assert r.status_code == 302
    step = Step.objects.get(process=draft, code="joint")
    assert set(step.joint_departments.all()) == {d["fire"], d["plan"]}
    since = Process.objects.get(pk=draft.pk).valid_from or timezone.localdate()
    assert act(client, "publish_selected", draft)[-1:] == [f"已发布:建设工程规划许可证核发({draft.item.department.name} · {draft.item.implementation_code}) 流程第1版,自{since:%Y年%m月%d日}起生效"]
    assert Process.objects.get(pk=draft.pk).valid_from == since


def test_publishing_a_process_with_a_cycle_shows_every_problem_in_chinese(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d, review_fire={"after": ["accept", "decide"]}))
    client.force_login(staff_admin)
    assert "流程存在循环" in client.get(change_url(draft)).content.decode()  # the check on the page, and no drawing
    messages = act(client, "publish_selected", draft)
    assert len(messages) == 1 and "未发布" in messages[0] and "流程存在循环:" in messages[0]
    over = definitions.define(staff_admin, item, steps(d, review_plan={"budget_workdays": 10}, decide={"kind": "review"}))
    messages = act(client, "publish_selected", over)
    assert "流程应恰有一个决定环节(当前0个)" in messages[0] and "超过承诺办结时限12个工作日" in messages[0]
    assert set(Process.objects.values_list("status", flat=True)) == {"draft"}


def test_publish_and_copy_as_the_next_draft(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    spec = steps(d)
    spec[1]["review_points"] = ["消防车道、登高操作场地是否符合规范"]
    draft = definitions.define(staff_admin, item, spec)
    client.force_login(staff_admin)
    assert act(client, "publish_selected", draft)[-1].startswith("已发布:建设工程规划许可证核发(")
    published = Process.objects.get(pk=draft.pk)
    assert published.status == "published" and definitions.effective_process(item) == published
    assert "已发布,无需重复发布" in act(client, "publish_selected", published)[-1]

    assert act(client, "copy_as_draft", published)[-1].startswith("已复制为草稿:")
    copy = Process.objects.get(item=item, number=2)
    assert copy.status == "draft"
    assert [(s.code, s.after, s.budget_workdays, s.department_id, s.review_points) for s in copy.steps.all()] == \
           [(s.code, s.after, s.budget_workdays, s.department_id, s.review_points) for s in published.steps.all()]
    assert "已有流程草稿第2版" in act(client, "copy_as_draft", published)[-1]
    assert "是草稿,可直接编辑" in act(client, "copy_as_draft", copy)[-1]


def test_a_published_process_and_its_steps_are_read_only(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    published = definitions.publish_process(staff_admin, definitions.define(staff_admin, item, steps(d)))
    client.force_login(staff_admin)
    page = client.get(change_url(published)).content.decode()
    assert 'name="_save"' not in page and 'name="steps-0-after"' not in page
    names = "、".join(Step.objects.get(process=published, code=c).name for c in ("review_fire", "review_plan", "review_env"))
    assert names in page  # shown as the steps' names, not as a JSON list of codes
    r = client.post(change_url(published), step_post(published, {"review_env": {"budget_workdays": 1}}))
    assert r.status_code == 403
    r = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [published.pk], "post": "yes"})
    assert Process.objects.filter(pk=published.pk).exists()
    assert Step.objects.get(process=published, code="review_env").budget_workdays == 4


def test_only_catalogue_administrators_of_the_item_may_edit(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d))
    reviewer = factories.grant(factories.UserFactory(is_staff=True), "reviewer", department=d["fire"])
    client.force_login(reviewer)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(draft)).status_code == 403
    assert "审批流程" not in client.get("/admin/").content.decode()

    elsewhere = factories.catalog_admin("370881")  # 曲阜市's catalogue admin: sees the city's process, cannot touch it
    elsewhere.is_staff = True
    elsewhere.save()
    client.force_login(elsewhere)
    page = client.get(change_url(draft))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change_url(draft), step_post(draft, {"decide": {"budget_workdays": 9}})).status_code == 403
    messages = act(client, "publish_selected", draft)
    assert "未发布" in messages[0] and "没有" in messages[0] and "事项管理员的权限" in messages[0]
    assert Process.objects.get(pk=draft.pk).status == "draft"


def test_a_new_process_is_numbered_after_the_items_versions(client, staff_admin, planning):  # noqa: F811
    item, d = planning
    definitions.publish_process(staff_admin, definitions.define(staff_admin, item, steps(d)))
    client.force_login(staff_admin)
    r = client.post("/admin/workflow/process/add/", {
        "item": item.pk, "valid_from": "", "steps-TOTAL_FORMS": 1, "steps-INITIAL_FORMS": 0, "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000, "steps-0-order": 1, "steps-0-code": "accept", "steps-0-name": "受理", "steps-0-kind": "accept",
        "steps-0-department": d["bureau"].pk, "steps-0-role": "reviewer", "steps-0-after": "", "steps-0-budget_workdays": 1,
        "steps-0-review_points": "", "_save": "保存",
    })
    assert r.status_code == 302
    new = Process.objects.get(item=item, status="draft")
    assert new.number == 2 and new.steps.get().code == "accept"
    from tongban.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="workflow.process_drafted", data__process=2).exists()
    again = client.post("/admin/workflow/process/add/", {
        "item": item.pk, "valid_from": "", "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0, "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000, "_save": "保存"})
    assert again.status_code == 200 and "该事项已有流程草稿第2版" in again.content.decode()
    assert Process.objects.filter(item=item, status="draft").count() == 1


def test_a_draft_is_published_on_its_planned_date_which_may_not_be_in_the_past(client, staff_admin, planning):  # noqa: F811
    import datetime as dt

    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d))
    client.force_login(staff_admin)
    yesterday, next_week = timezone.localdate() - dt.timedelta(days=1), timezone.localdate() + dt.timedelta(days=7)
    r = client.post(change_url(draft), {**step_post(draft), "valid_from": yesterday.isoformat()})
    assert r.status_code == 200 and "计划生效日期不得早于今天" in r.content.decode()
    assert client.post(change_url(draft), {**step_post(draft), "valid_from": next_week.isoformat()}).status_code == 302
    assert act(client, "publish_selected", draft)[-1].endswith(f"自{next_week:%Y年%m月%d日}起生效")
    assert definitions.effective_process(item) is None and definitions.effective_process(item, next_week).pk == draft.pk


def test_steps_wait_for_steps_named_as_people_name_them(client, staff_admin, planning):  # noqa: F811
    """The administrator types the names of the steps a step waits for (codes still work); the form shows names."""
    item, d = planning
    draft = definitions.define(staff_admin, item, steps(d))
    client.force_login(staff_admin)
    fire, plan = (Step.objects.get(process=draft, code=c).name for c in ("review_fire", "review_plan"))
    r = client.post(change_url(draft), step_post(draft, {"review_env": {"after": f"{fire}、{plan}"}}))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    assert Step.objects.get(process=draft, code="review_env").after == ["review_fire", "review_plan"]
    page = client.get(change_url(draft)).content.decode()
    assert f'value="{fire}、{plan}"' in page
    listing = client.get(CHANGELIST).content.decode()
    assert item.implementation_code in listing  # two processes of items with the same name are told apart
