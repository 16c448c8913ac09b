"""Back-office API: the same engine functions the inbox pages call. 409 on a wrong state, 403 out of scope."""

import datetime as dt

from typing import Literal

from ninja import Field, Query, Router, Schema

from tongban.cases.models import Case
from tongban.core import tx
from tongban.org.auth import STAFF_AUTH
from tongban.core.errors import DomainError, NotFound
from tongban.core.schemas import answers
from tongban.org.models import User
from tongban.org.scopes import has_role

from . import engine, oversight
from .models import CaseStep, Chase

router = Router(auth=STAFF_AUTH)


class JointOpinionOut(Schema):
    department: str
    opinion: str
    has_file: bool = Field(False, description="附有踏勘记录文件")
    text: str
    inspected_on: dt.date | None
    place: str
    participants: str
    actor: str


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
    opinion_text: str
    kind: str
    review_points: list[str]
    joint_departments: list[str] = Field([], description="联合踏勘的参加部门")
    joint_opinions: list[JointOpinionOut] = []


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
    point: str = Field(..., max_length=300)
    answer: str = Field(..., max_length=20, description="符合 / 不符合")
    note: str = Field("", max_length=500)


class CompleteIn(Schema):
    opinion: str = Field(..., description="agree 同意 / disagree 不同意")
    text: str = Field("", max_length=2000)
    answers: list[Answer] = []


class CorrectionIn(Schema):
    material: int = Field(..., ge=1, le=2**31 - 1, description="办事指南材料编号")
    status: str = Field("defective", description="missing 缺少 / defective 不符合要求")
    reason: str = Field("", max_length=300)


class ReturnIn(Schema):
    text: str = Field(..., max_length=2000, description="需要补正的内容(写入一次性告知书)")
    answers: list[Answer] = []
    materials: list[CorrectionIn] = Field([], description="需要补交的指南材料;窗口收齐后自动恢复审查和计时")


class JointOpinionIn(Schema):
    opinion: str = Field(..., description="agree 同意 / disagree 不同意")
    text: str = Field("", max_length=2000)
    inspected_on: dt.date | None = Field(None, description="踏勘日期(默认今天)")
    place: str = Field("", max_length=200)
    participants: str = Field("", max_length=300)
    department: int | None = Field(None, description="代表的参加部门(本人在多个参加部门时指明)")
    file_name: str = Field("", max_length=100, description="踏勘记录文件名")
    file_base64: str | None = Field(None, description="踏勘记录文件(PDF、JPG、PNG 或 OFD,不超过20MB)的 base64 编码")


class ReassignIn(Schema):
    reviewer: str = Field(..., max_length=150, description="用户名")
    reason: str = Field(..., max_length=300)


class DecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)


class DecisionOut(Schema):
    case: str
    state: str
    document: str | None = Field(None, description="决定书下载地址(GET,同一令牌;已加盖电子印章);签发完成前为 null")
    document_state: str | None = Field(None, description="决定书签发状态:issuing 签发中(后台生成并加盖电子印章)、issued、failed;"
                                                         "签发中时轮询 GET /cases/{number}/documents")


def step_out(cs: CaseStep) -> dict:
    return {
        "id": cs.pk, "case": cs.case.number, "title": cs.case.title, "step": cs.step.code, "name": cs.step.name,
        "department": cs.department.name, "state": cs.state, "state_name": cs.get_state_display(),
        "claimant": str(cs.claimant) if cs.claimant_id else None, "deadline": cs.deadline, "light": cs.light,
        "opinion": cs.opinion, "opinion_text": cs.opinion_text, "kind": cs.step.kind, "review_points": cs.step.review_points or [],
        **({"joint_departments": [d.name for d in cs.step.joint_departments.all()],
            "joint_opinions": [{"department": o.department.name, "opinion": o.opinion, "text": o.text, "inspected_on": o.inspected_on,
                                "place": o.place, "participants": o.participants, "actor": str(o.actor),
                                "has_file": bool(o.file)}
                               for o in cs.joint_opinions.select_related("department", "actor")]}
           if cs.step.kind == "joint_inspection" else {}),
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


def _visible_step(request, step_id: int) -> CaseStep:
    """A step of a case the caller may see; unknown and out-of-scope ids answer the same 404."""
    from tongban.cases.selectors import is_visible

    cs = CaseStep.objects.select_related("case__item_version", "step", "department__region", "claimant").filter(pk=step_id).first()
    if cs is None:
        raise NotFound("未找到该环节,或您无权查看")
    if has_role(request.auth, cs.step.role, department=cs.department):  # the step's own department (grants are cached)
        return cs
    if not is_visible(request.auth, cs.case, staff_only=True):
        raise NotFound("未找到该环节,或您无权查看")
    return cs


@router.get("/inbox", response=answers(list[InboxStepOut]),
            summary="本人可办理的环节(待认领、本人办理中、本部门待提交意见的联合踏勘;红灯在前,按期限排序;含最近一次催办)")
def inbox(request, filter: Literal["all", "mine", "unclaimed"] = "all", light: Literal["red", "yellow", "green"] | None = None,
          page: int = Query(1, ge=1, le=10000)):
    steps = engine.inbox(request.auth, mine=filter == "mine", unclaimed=filter == "unclaimed", light=light, page=page)
    return [_with_chase(cs) for cs in oversight.attach_chases(steps)]


@router.get("/escalations", response=answers(list[EscalationOut]), summary="超期督办:亮红灯的环节(部门负责人看本部门,督查人员看本区划)")
def escalations(request):
    return [{**_with_chase(cs), "overdue_workdays": cs.overdue_workdays} for cs in oversight.escalations(request.auth)]


@router.get("/cases/{number}/steps", response=answers(list[StepOut]), summary="办件的全部审批环节(状态、部门、期限、意见)")
def case_steps(request, number: str):
    from tongban.cases.selectors import is_visible

    case = Case.objects.filter(number=number).first()
    if case is None or not is_visible(request.auth, case, staff_only=True):
        raise NotFound("未找到该办件,或您无权查看")
    steps = CaseStep.objects.filter(case=case).select_related("case__item_version", "step", "department", "claimant").order_by("step__order", "id")
    return [step_out(cs) for cs in steps]


@router.get("/steps/{step_id}", response=answers(StepOut), summary="环节详情")
def step_detail(request, step_id: int):
    return step_out(_visible_step(request, step_id))


@router.post("/steps/{step_id}/chase", response=answers(ChaseOut), summary="催办(并联阶段牵头部门催办未办结的环节)")
def chase(request, step_id: int, data: ChaseIn):
    with tx.outer():
        return chase_out(oversight.chase(request.auth, _visible_step(request, step_id), note=data.note))


@router.post("/steps/{step_id}/claim", response=answers(StepOut), summary="认领环节")
def claim(request, step_id: int):
    with tx.outer():
        return step_out(engine.claim(request.auth, _visible_step(request, step_id)))


@router.post("/steps/{step_id}/complete", response=answers(StepOut), summary="办结环节(逐项回答审查要点:符合/不符合,同意或不同意)")
def complete(request, step_id: int, data: CompleteIn):
    if data.opinion not in ("agree", "disagree"):
        raise DomainError("opinion", "意见应为 agree(同意)或 disagree(不同意);退回补正请用 return 接口", field="opinion")
    with tx.outer():
        return step_out(engine.complete(request.auth, _visible_step(request, step_id), opinion=data.opinion, text=data.text,
                                        answers=[a.dict() for a in data.answers]))


@router.post("/steps/{step_id}/return", response=answers(StepOut),
             summary="退回补正(一次性告知申请人需补正的材料;办件显示补正中,计时暂停,窗口收齐材料后自动恢复)")
def return_step(request, step_id: int, data: ReturnIn):
    with tx.outer():
        return step_out(engine.complete(request.auth, _visible_step(request, step_id), opinion="return", text=data.text,
                                        answers=[a.dict() for a in data.answers], materials=[m.dict() for m in data.materials]))


@router.post("/steps/{step_id}/joint-opinion", response=answers(StepOut),
             summary="联合踏勘/联合验收:参加部门提交本部门意见(全部部门提交后环节办结)")
def joint_opinion(request, step_id: int, data: JointOpinionIn):
    from tongban.org.models import Department

    with tx.outer():
        cs = _visible_step(request, step_id)
        department = None
        if data.department is not None:
            department = Department.objects.filter(pk=data.department).first()
            if department is None:
                raise DomainError("department_unknown", "参加部门不存在", field="department")
        upload = None
        if data.file_base64:
            import base64
            import binascii

            from django.core.files.base import ContentFile

            try:
                content = base64.b64decode(data.file_base64, validate=True)
            except (binascii.Error, ValueError):
                raise DomainError("file_base64", "踏勘记录文件不是有效的 base64 编码", field="file_base64") from None
            upload = ContentFile(content, name=data.file_name or "踏勘记录.pdf")
        engine.joint_opinion(request.auth, cs, department, opinion=data.opinion, text=data.text, inspected_on=data.inspected_on,
                             place=data.place, participants=data.participants, file=upload)
        return step_out(_visible_step(request, step_id))


@router.post("/steps/{step_id}/reassign", response=answers(StepOut), summary="改派环节")
def reassign(request, step_id: int, data: ReassignIn):
    with tx.outer():
        cs = _visible_step(request, step_id)
        reviewer = User.objects.filter(username=data.reviewer, is_active=True).first()
        if reviewer is None:
            raise DomainError("reassign_target", f"改派对象须为{cs.department}的办理人员", field="reviewer")
        return step_out(engine.reassign(request.auth, cs, reviewer, reason=data.reason))


@router.post("/cases/{number}/decide", response=answers(DecisionOut),
             summary="作出审批决定(有审批流程的在决定环节作出;决定书随后在后台生成并加盖电子印章)")
def decide(request, number: str, data: DecideIn):
    from tongban.cases.selectors import is_visible

    with tx.outer():
        case = Case.objects.select_related("item_version", "item__department", "region", "applicant").filter(number=number).first()
        if case is None or not is_visible(request.auth, case, staff_only=True):
            raise NotFound("未找到该办件,或您无权查看")
        case = engine.decide(request.auth, case, approve=data.approve, note=data.note)
        doc = case.documents.order_by("-id").first()
        return {"case": case.number, "state": case.state,
                "document": f"/api/v1/cases/{case.number}/documents/{doc.pk}.pdf" if doc and doc.state == "issued" else None,
                "document_state": doc.state if doc else None}


class RetriedOut(Schema):
    kind: str
    id: int
    state: str = Field(..., description="issuing:已重新加入签发队列")


@router.post("/documents/{kind}/{doc_id}/retry", response=answers(RetriedOut),
             summary="重新签发签发失败的文书(电子监察人员;kind 为 decision 决定书或 notice 通知书)")
def retry_document(request, kind: Literal["decision", "notice"], doc_id: int):
    from .issuing import retry

    with tx.outer():
        row = retry(request.auth, kind, doc_id)
        return {"kind": kind, "id": row.pk, "state": row.state}
