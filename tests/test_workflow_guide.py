"""The approval process on the public guide page: the server-drawn diagram and the stages as a list."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.test_workflow_definitions import planning, steps  # noqa: F401 - fixture and spec
from tongban.workflow import definitions

pytestmark = pytest.mark.django_db


def section(html: str) -> str:
    found = re.search(r'<section id="process".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_citizen_sees_the_effective_process_with_its_parallel_reviews(client, admin, planning):  # noqa: F811
    item, d = planning
    spec = steps(d)
    spec[2]["is_lead"] = True
    definitions.publish_process(admin, definitions.define(admin, item, spec))
    html = section(client.get(f"/guide/{item.implementation_code}/").content.decode())
    assert html.count("<svg") == 1 and html.count("<rect") == 5
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)  # drawn on the server, nothing fetched
    assert "各环节时限沿最长路径合计 8 个工作日" in html  # 1 + max(5, 5, 4) + 2
    stages = re.findall(r"<ol class=\"process-stages\".*?</ol>", html, re.S)[0]
    assert "以下3个环节同时办理" in stages and stages.count("并联") == 1
    text = re.sub(r"<[^>]+>", "", stages)
    for name, dept, days in [("消防审查", "济宁市消防救援支队", 5), ("规划审查", "济宁市自然资源和规划局", 5),
                             ("环保审查", "济宁市生态环境局", 4), ("审批决定", "济宁市行政审批服务局", 2)]:
        assert re.search(rf"{name}\s*· {dept} · {days}个工作日", text), name
    assert re.search(r"规划审查\s*· 济宁市自然资源和规划局 · 5个工作日\s*牵头部门", text)
    assert text.index("受理") < text.index("消防审查") < text.index("审批决定")


def test_the_guide_shows_the_process_in_force_today_not_a_scheduled_one(client, admin, planning):  # noqa: F811
    item, d = planning
    url = f"/guide/{item.implementation_code}/"
    assert section(client.get(url).content.decode()) == ""  # no process yet: no empty box
    definitions.publish_process(admin, definitions.define(admin, item, steps(d)))
    later = definitions.define(admin, item, steps(d, review_env={"kind": "expert_review", "budget_workdays": 5, "suspends_clock": True}))
    definitions.publish_process(admin, later, valid_from=timezone.localdate() + dt.timedelta(days=10))
    html = section(client.get(url).content.decode())
    assert "第1版" in html and "环保审查" in html and "不计入办理时限" not in html
    assert section(client.get(url + "?v=1").content.decode()) == ""  # an old guide version: no claim about today's process
