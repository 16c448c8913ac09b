import pytest

from tests import factories
from tongban.core.errors import Conflict, DomainError
from tongban.workflow import definitions
from tongban.workflow.diagram import svg

pytestmark = pytest.mark.django_db


@pytest.fixture
def planning(admin):
    """建设工程规划许可证核发 with the departments of a parallel review."""
    bureau = factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval")
    depts = {
        "fire": factories.DepartmentFactory(name="济宁市消防救援支队", function="fire"),
        "plan": factories.DepartmentFactory(name="济宁市自然资源和规划局", function="natural_resources"),
        "env": factories.DepartmentFactory(name="济宁市生态环境局", function="ecology"),
        "bureau": bureau,
    }
    item = factories.make_item(admin, department=bureau, name="建设工程规划许可证核发", legal_limit=20, promised_limit=12,
                               materials=[{"name": "建设工程规划许可证申请表", "role": "main"}])
    return item, depts


def steps(d, **override):
    base = [
        {"code": "accept", "name": "受理", "kind": "accept", "department": d["bureau"], "after": [], "budget_workdays": 1},
        {"code": "review_fire", "name": "消防审查", "kind": "review", "department": d["fire"], "after": ["accept"], "budget_workdays": 5},
        {"code": "review_plan", "name": "规划审查", "kind": "review", "department": d["plan"], "after": ["accept"], "budget_workdays": 5},
        {"code": "review_env", "name": "环保审查", "kind": "review", "department": d["env"], "after": ["accept"], "budget_workdays": 4},
        {"code": "decide", "name": "审批决定", "kind": "decision", "department": d["bureau"], "role": "bureau_leader",
         "after": ["review_fire", "review_plan", "review_env"], "budget_workdays": 2},
    ]
    for s in base:
        s.update(override.get(s["code"], {}))
    return base


def test_parallel_reviews_count_once_along_the_longest_path(admin, planning):
    item, d = planning
    process = definitions.define(admin, item, steps(d))
    assert definitions.problems(process) == []  # 1 + max(5, 5, 4) + 2 = 8 ≤ 12, though the budgets add up to 17
    published = definitions.publish_process(admin, process)
    assert definitions.effective_process(item) == published
    drawing = svg(published)
    assert drawing.startswith("<svg") and "消防审查" in drawing and drawing.count("<line") == 6


def test_a_cycle_is_refused_at_publish(admin, planning):
    item, d = planning
    process = definitions.define(admin, item, steps(d, review_fire={"after": ["accept", "decide"]}))
    with pytest.raises(DomainError) as e:
        definitions.publish_process(admin, process)
    assert "循环" in e.value.message


def test_exactly_one_start_and_one_decision(admin, planning):
    item, d = planning
    two_starts = definitions.define(admin, item, steps(d, review_env={"after": []}))
    assert any("起始环节" in p for p in definitions.problems(two_starts))
    no_decision = definitions.define(admin, item, steps(d, decide={"kind": "review"}))
    assert any("决定环节" in p for p in definitions.problems(no_decision))


def test_budgets_along_the_longest_path_must_fit_the_promised_limit(admin, planning):
    item, d = planning
    process = definitions.define(admin, item, steps(d, review_plan={"budget_workdays": 10}))
    found = definitions.problems(process)
    assert any("最长路径合计13个工作日,超过承诺办结时限12个工作日" in p for p in found)


def test_town_steps_over_six_days_break_the_one_month_rule(admin, planning):
    item, d = planning
    town = factories.DepartmentFactory(name="曲阜市鲁城街道办事处", function="town", region=factories.region("370881"))
    from tongban.org.models import Region

    town.region = Region.objects.create(code="370881001", name="鲁城街道", level=4, parent=factories.region("370881"))
    town.save()
    spec = steps(d)
    spec.insert(1, {"code": "town_check", "name": "街道初审", "kind": "review", "department": town, "after": ["accept"], "budget_workdays": 7})
    spec[-1]["after"].append("town_check")
    process = definitions.define(admin, item, spec)
    assert any("乡镇(街道)、村办理环节沿最长路径合计7个工作日,超过6个工作日" in p for p in definitions.problems(process))


def test_a_published_process_is_immutable_and_a_new_version_waits_its_turn(admin, planning):
    item, d = planning
    first = definitions.publish_process(admin, definitions.define(admin, item, steps(d)))
    step = first.steps.first()
    step.budget_workdays = 1
    with pytest.raises(Conflict):
        step.save()
    import datetime as dt

    from django.utils import timezone

    second = definitions.define(admin, item, steps(d, review_env={"budget_workdays": 2}))
    definitions.publish_process(admin, second, valid_from=timezone.localdate() + dt.timedelta(days=7))
    assert definitions.effective_process(item) == first
    assert definitions.effective_process(item, timezone.localdate() + dt.timedelta(days=7)).number == 2
