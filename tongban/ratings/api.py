"""好差评 for staff and the public: the window tablet's rating, the handling of 差评 (verify, rectify, appeal,
return visit) and the published figures."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tongban.core import tx
from tongban.core.errors import NotFound
from tongban.core.schemas import PUBLIC_ERRORS, answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import Window

from . import selectors, services

router = Router(auth=STAFF_AUTH)
public = Router()


class TabletIn(Schema):
    level: int = Field(..., ge=1, le=5, description="1 非常满意 … 5 非常不满意")
    indicators: dict[str, int] = Field({}, description="overall 整体满意度、efficiency 服务效率、skill 服务水平、attitude 服务态度,各1至5")
    comment: str = Field("", max_length=500)


class HandlingOut(Schema):
    id: int
    case: str | None
    channel: str
    level: int
    level_name: str
    comment: str
    department: str | None
    window: str | None
    state: str
    state_name: str
    outcome: str
    verification: str
    deadline: dt.date | None
    overdue: bool = Field(..., description="限期整改已超期(红色)")
    answer: str
    appeal_upheld: bool | None
    return_visit: str


class VerifyIn(Schema):
    outcome: str = Field(..., max_length=10, description="immediate 立行立改 / rectify 限期整改 / explain 解释说明 / appeal 申诉复核")
    verification: str = Field(..., max_length=2000)
    answer: str = Field("", max_length=2000, description="立行立改、解释说明时给申请人的答复")
    appeal_reason: str = Field("", max_length=2000)
    days: int | None = Field(None, ge=1, le=30, description="整改期限(工作日),默认5")


class AnswerIn(Schema):
    answer: str = Field(..., max_length=2000)


class AppealIn(Schema):
    upheld: bool
    note: str = Field(..., max_length=2000)


class ReturnVisitIn(Schema):
    note: str = Field(..., max_length=2000)
    satisfied: bool


class RatingOut(Schema):
    id: int
    case: str | None
    level: int
    level_name: str


class PublicationOut(Schema):
    total: int
    overdue: int
    departments: list[dict]
    windows: list[dict]


def handling_out(h) -> dict:
    r = h.rating
    return {"id": h.pk, "case": r.case.number if r.case_id else None, "channel": r.channel, "level": r.level, "level_name": r.get_level_display(),
            "comment": r.comment, "department": r.department.name if r.department_id else None,
            "window": str(r.window) if r.window_id else None, "state": h.state, "state_name": h.get_state_display(), "outcome": h.outcome,
            "verification": h.verification, "deadline": h.deadline, "overdue": h.overdue(timezone.localdate()), "answer": h.answer,
            "appeal_upheld": h.appeal_upheld, "return_visit": h.return_visit}


def _handling(request, pk: int):
    h = selectors.handling_in_scope(request.auth, pk)
    if h is None:
        raise NotFound("未找到该差评")
    return h


@router.post("/tablet/{window_id}", response=answers(RatingOut, 201), summary="窗口评价器:对本窗口最近一次办事评价(一次一评)")
def tablet(request, window_id: int, data: TabletIn):
    window = Window.objects.select_related("hall__region").filter(pk=window_id).first()
    if window is None:
        raise NotFound("未找到该窗口")
    with tx.outer():
        r = services.rate_visit(request.auth, window, level=data.level, indicators=data.indicators, comment=data.comment)
    return Status(201, {"id": r.pk, "case": r.case.number if r.case_id else None, "level": r.level, "level_name": r.get_level_display()})


@router.get("/handlings", response=answers(list[HandlingOut]), summary="差评整改(本人职责范围内)")
def handlings(request, state: str | None = Query(None, max_length=10)):
    return [handling_out(h) for h in selectors.handlings_for(request.auth, state=state)[:200]]


@router.get("/handlings/{handling_id}", response=answers(HandlingOut), summary="差评整改详情")
def handling(request, handling_id: int):
    return handling_out(_handling(request, handling_id))


@router.post("/handlings/{handling_id}/verify", response=answers(HandlingOut), summary="核实并选择:立行立改、限期整改、解释说明或申诉复核")
def verify(request, handling_id: int, data: VerifyIn):
    with tx.outer():
        h = services.verify(request.auth, _handling(request, handling_id), **data.dict())
    return handling_out(h)


@router.post("/handlings/{handling_id}/rectified", response=answers(HandlingOut), summary="提交整改结果并答复申请人")
def rectified(request, handling_id: int, data: AnswerIn):
    with tx.outer():
        h = services.finish_rectification(request.auth, _handling(request, handling_id), answer=data.answer)
    return handling_out(h)


@router.post("/handlings/{handling_id}/appeal-decision", response=answers(HandlingOut), summary="督查人员作出申诉复核决定")
def appeal_decision(request, handling_id: int, data: AppealIn):
    with tx.outer():
        h = services.decide_appeal(request.auth, _handling(request, handling_id), upheld=data.upheld, note=data.note)
    return handling_out(h)


@router.post("/handlings/{handling_id}/return-visit", response=answers(HandlingOut), summary="登记回访")
def return_visit(request, handling_id: int, data: ReturnVisitIn):
    with tx.outer():
        h = services.record_return_visit(request.auth, _handling(request, handling_id), note=data.note, satisfied=data.satisfied)
    return handling_out(h)


@public.get("/publication", response=answers(PublicationOut, 200, PUBLIC_ERRORS), summary="好差评结果公开(按部门、窗口)")
def publication(request):
    return selectors.publication()
