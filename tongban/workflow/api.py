"""Back-office API: the same engine functions the inbox pages call. 409 on a wrong state, 403 out of scope."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from tongban.cases.models import Case
from tongban.core import tx
from tongban.core.auth import STAFF_AUTH
from tongban.core.errors import DomainError
from tongban.org.models import User

from . import engine, oversight
from .models import CaseStep, Chase

router = Router(auth=STAFF_AUTH)


class StepOut(Schema):
    id: int
    case: str
    title: str
    step: str
    name: str
    department: str
    state: str
    state_name: str
    claimant: str | None
    deadline: dt.date | None
    light: str
    opinion: str
    review_points: list[str]


class ChaseOut(Schema):
    id: int
    step_id: int
    case: str
    step: str
    department: str = Field(..., description="被催办部门")
    by_department: str = Field(..., description="牵头部门")
    actor: str
    note: str
    at: dt.datetime


class InboxStepOut(StepOut):
    last_chase: ChaseOut | None = Field(None, description="最近一次催办(被催办时)")


class EscalationOut(InboxStepOut):
    overdue_workdays: int = Field(..., description="已超期工作日数")


class ChaseIn(Schema):
    note: str = Field("", description="催办意见,不超过200字")


class Answer(Schema):
    point: str
    answer: str


class CompleteIn(Schema):
    opinion: str = Field(..., description="agree 同意 / disagree 不同意")
    text: str = ""
    answers: list[Answer] = []


class ReturnIn(Schema):
    text: str
    answers: list[Answer] = []


class ReassignIn(Schema):
    reviewer: str = Field(..., description="用户名")
    reason: str


class DecideIn(Schema):
    approve: bool
    note: str = ""


class DecisionOut(Schema):
    case: str
    state: str
    document: str | None


def step_out(cs: CaseStep) -> dict:
    return {
        "id": cs.pk, "case": cs.case.number, "title": cs.case.title, "step": cs.step.code, "name": cs.step.name,
        "department": cs.department.name, "state": cs.state, "state_name": cs.get_state_display(),
        "claimant": str(cs.claimant) if cs.claimant_id else None, "deadline": cs.deadline, "light": cs.light,
        "opinion": cs.opinion, "review_points": cs.step.review_points or [],
    }


def chase_out(c: Chase) -> dict:
    cs = c.case_step
    return {"id": c.pk, "step_id": cs.pk, "case": cs.case.number, "step": cs.step.code, "department": cs.department.name,
            "by_department": c.by_department.name, "actor": str(c.actor), "note": c.note, "at": c.at}


def _with_chase(cs: CaseStep) -> dict:
    out = step_out(cs)
    if cs.last_chase:
        cs.last_chase.case_step = cs
        out["last_chase"] = chase_out(cs.last_chase)
    return out


def _step(step_id: int) -> CaseStep:
    return get_object_or_404(CaseStep.objects.select_related("case__item_version", "step", "department__region", "claimant"), pk=step_id)


@router.get("/inbox", response=list[InboxStepOut], summary="本部门待办环节(红灯在前,按期限排序;含最近一次催办)")
def inbox(request):
    return [_with_chase(cs) for cs in oversight.attach_chases(engine.inbox(request.auth))]


@router.get("/escalations", response=list[EscalationOut], summary="超期督办:亮红灯的环节(部门负责人看本部门,督查人员看本区划)")
def escalations(request):
    return [{**_with_chase(cs), "overdue_workdays": cs.overdue_workdays} for cs in oversight.escalations(request.auth)]


@router.post("/steps/{step_id}/chase", response=ChaseOut, summary="催办(并联阶段牵头部门催办未办结的环节)")
def chase(request, step_id: int, data: ChaseIn):
    return chase_out(oversight.chase(request.auth, _step(step_id), note=data.note))


@router.post("/steps/{step_id}/claim", response=StepOut, summary="认领环节")
def claim(request, step_id: int):
    with tx.outer():
        return step_out(engine.claim(request.auth, _step(step_id)))


@router.post("/steps/{step_id}/complete", response=StepOut, summary="办结环节(逐项回答审查要点,同意或不同意)")
def complete(request, step_id: int, data: CompleteIn):
    if data.opinion not in ("agree", "disagree"):
        raise DomainError("opinion", "意见应为 agree(同意)或 disagree(不同意);退回补正请用 return 接口", field="opinion")
    with tx.outer():
        return step_out(engine.complete(request.auth, _step(step_id), opinion=data.opinion, text=data.text,
                                        answers=[a.dict() for a in data.answers]))


@router.post("/steps/{step_id}/return", response=StepOut, summary="退回补正(暂停计时并通知申请人)")
def return_step(request, step_id: int, data: ReturnIn):
    return step_out(engine.complete(request.auth, _step(step_id), opinion="return", text=data.text,
                                    answers=[a.dict() for a in data.answers]))


@router.post("/steps/{step_id}/reassign", response=StepOut, summary="改派环节")
def reassign(request, step_id: int, data: ReassignIn):
    reviewer = User.objects.filter(username=data.reviewer).first()
    if reviewer is None:
        raise DomainError("reviewer_unknown", "没有该用户", field="reviewer")
    return step_out(engine.reassign(request.auth, _step(step_id), reviewer, reason=data.reason))


@router.post("/cases/{number}/decide", response=DecisionOut, summary="作出审批决定(生成并加盖电子印章)")
def decide(request, number: str, data: DecideIn):
    with tx.outer():
        case = engine.decide(request.auth, get_object_or_404(Case, number=number), approve=data.approve, note=data.note)
        doc = case.documents.order_by("-id").first()
        return {"case": case.number, "state": case.state, "document": doc.file.name if doc else None}
