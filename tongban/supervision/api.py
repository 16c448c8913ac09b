"""电子监察 API: the dashboard's figures under the same filters, the cases behind each figure (paged by key) and the
预警 lists — the same `metrics`, `params` and `selectors` the pages call. Read only; supervisors (warnings: and
department heads)."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from tongban.core.errors import NotAllowed, NotFound
from tongban.core.replica import replica_reads
from tongban.core.schemas import answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import metrics, params, selectors

router = Router(auth=STAFF_AUTH)


class FilterIn(Schema):
    start: str = Field("", max_length=10, description="统计期间开始日(含),默认本年1月1日,格式 2025-03-01")
    end: str = Field("", max_length=10, description="统计期间结束日(含),默认今天")
    month: str = Field("", max_length=7, description="按月统计,如 2025-03(给出时忽略 start/end)")
    region: str = Field("", max_length=12, description="区划代码(本人督查范围内),统计其下级全部办件")
    department: str = Field("", max_length=12, description="实施部门编号")
    hall: str = Field("", max_length=12, description="大厅编号")
    window: str = Field("", max_length=12, description="受理窗口编号")
    item: str = Field("", max_length=12, description="事项编号")
    channel: str = Field("", max_length=10, description="渠道:window/online/kiosk/agent")


class FigureOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="count 件数 / rate 比率 / days 用时")
    value: float | None = Field(None, description="件数;比率为 0–1 的小数;用时为工作日;无数据为空")
    numerator: int | None = Field(None, description="比率的分子件数(用时:统计件数)")
    denominator: int | None = None
    alarm: bool = Field(..., description="需督办的指标:不为零时红色显示")
    formula: str = Field(..., description="统计口径")


class DaysOut(Schema):
    n: int
    avg: float | None
    p90: int | None
    legal: float | None = Field(None, description="平均法定时限(工作日)")
    promised: float | None = Field(None, description="平均承诺时限(工作日)")
    compression: float | None = Field(None, description="时限压缩率 = 1 − 平均用时 ÷ 平均法定时限")


class BoardOut(Schema):
    filters: str = Field(..., description="统计口径的文字说明")
    figures: list[FigureOut]
    days: DaysOut


class CaseRowOut(Schema):
    number: str
    title: str
    applicant: str = Field(..., description="申请人(证件号码已脱敏)")
    region: str
    channel: str
    state: str
    accepted_on: dt.date | None
    decided_on: dt.date | None
    completed_on: dt.date | None
    deadline: dt.date | None
    light: str
    visits: int
    used_workdays: int | None = Field(None, description="用时(工作日;用时类指标)")


class CasePageOut(Schema):
    figure: str
    total: int
    cases: list[CaseRowOut]
    next_after: str | None = Field(None, description="下一页:以 after=该值 再次请求;最后一页为空")


class WarningsOut(Schema):
    counts: dict[str, int]
    cases: list[CaseRowOut]


def _supervisor(request):
    if not has_role(request.auth, Role.SUPERVISOR):
        raise NotAllowed("仅督查人员可以查看电子监察")


def _row(c) -> dict:
    return {"number": c.number, "title": c.title, "applicant": f"{c.applicant.name}({c.applicant.masked_id})",
            "region": c.region.name, "channel": c.channel, "state": c.state, "accepted_on": c.accepted_on,
            "decided_on": c.decided_on, "completed_on": c.completed_on, "deadline": c.deadline, "light": c.light,
            "visits": c.visits, "used_workdays": getattr(c, "used_workdays", None)}


@router.get("/figures", response=answers(BoardOut), summary="电子监察指标(按期间、区划、部门、大厅、窗口、事项、渠道筛选)")
@replica_reads
def figures(request, filters: Query[FilterIn]):
    _supervisor(request)
    f = params.parse(request.auth, filters.dict())
    values = metrics.summary(request.auth, f)
    out = [{"key": k, "label": v.figure.label, "kind": v.figure.kind, "value": v.value, "numerator": v.numerator,
            "denominator": v.denominator, "alarm": v.figure.alarm, "formula": v.figure.doc}
           for k, v in values.items() if not k.startswith("_")]
    return {"filters": f.label(), "figures": out, "days": values["_days"]}


@router.get("/figures/{key}/cases", response=answers(CasePageOut), summary="指标下钻:该指标统计的办件(新在前,按键分页)")
@replica_reads
def figure_cases(request, key: str, filters: Query[FilterIn], after: str = Query("", max_length=20)):
    _supervisor(request)
    fig = metrics.FIGURES.get(key)
    if fig is None:
        raise NotFound("没有这个指标")
    f = params.parse(request.auth, filters.dict())
    page = selectors.figure_cases(request.auth, key, f, after=after or None)
    return {"figure": fig.label, "total": metrics.count(request.auth, key, f), "cases": [_row(c) for c in page.rows],
            "next_after": page.next_after}


@router.get("/warnings", response=answers(WarningsOut), summary="预警名单:本人负责范围内在办的红灯、黄灯办件(督查人员、审批局负责人)")
@replica_reads
def warnings(request, light: str = Query("red", pattern="^(red|yellow)$")):
    if not (has_role(request.auth, Role.SUPERVISOR) or has_role(request.auth, Role.BUREAU_LEADER)):
        raise NotAllowed("仅督查人员和审批局负责人可以查看预警名单")
    w = selectors.warning_lists(request.auth, light)
    return {"counts": w["counts"], "cases": [_row(c) for c in w["cases"]]}
