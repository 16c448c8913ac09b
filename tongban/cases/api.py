"""The intake API: coarse, transactional operations, each the same service function the pages call.

A retried submit or accept with the same `Idempotency-Key` header returns the first answer and changes
nothing. Wrong-state acts answer 409, acts outside the caller's role or scope 403, both in Chinese."""

import datetime as dt
import json

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from tongban.catalog.models import Bundle, Item
from tongban.core import tx
from tongban.core.auth import STAFF_AUTH
from tongban.core.errors import DomainError

from . import selectors, services
from .models import Case, IdempotencyKey

router = Router(auth=STAFF_AUTH)


class ApplicantIn(Schema):
    kind: str = Field(..., description="person 自然人 / org 法人")
    id_number: str
    name: str
    phone: str = ""
    address: str = ""


class MandateIn(Schema):
    agent_name: str
    agent_id_number: str
    scope: str
    agent_phone: str = ""
    valid_until: dt.date | None = None


class MaterialIn(Schema):
    material: int
    status: str = "provided"
    reason: str = ""


class SubmitIn(Schema):
    applicant: ApplicantIn
    item: str | None = Field(None, description="事项实施编码")
    bundle: str | None = Field(None, description="一件事编码")
    channel: str = "window"
    window: int | None = None
    mandate: MandateIn | None = Field(None, description="代理人申报时的委托书")
    materials: list[MaterialIn] = []
    form_data: dict = {}


class AcceptIn(Schema):
    gaps: list[int] = Field([], description="容缺的辅助材料")
    gap_days: int | None = Field(None, description="承诺补交期限(工作日)")
    informed: list[int] = Field([], description="以告知承诺替代的材料")


class NoticeIn(Schema):
    items: list[MaterialIn]


class SupplyIn(Schema):
    supplied: list[MaterialIn]


class ReasonIn(Schema):
    reason: str


class WithdrawIn(Schema):
    reason: str = "申请人申请撤回"


class ImmediateIn(Schema):
    approve: bool = True
    note: str = ""
    handover: bool = True


class DeliverIn(Schema):
    method: str = Field(..., description="window 窗口领取 / electronic 电子送达")
    received_by: str = ""
    id_checked: bool = False
    code: str = ""


class MailIn(Schema):
    recipient: str
    address: str
    phone: str
    courier: str
    tracking_number: str


class CaseMaterialOut(Schema):
    material: int
    name: str
    status: str
    status_name: str
    reason: str


class CaseOut(Schema):
    number: str
    title: str
    state: str
    state_name: str
    applicant: str
    applicant_id: str
    applicant_phone: str
    channel: str
    received_on: dt.date
    accepted_on: dt.date | None
    deadline: dt.date | None
    light: str
    handler: str | None
    handler_phone: str | None
    gap_open: bool
    visits: int
    children: list[str]
    materials: list[CaseMaterialOut]
    url: str


class CaseList(Schema):
    count: int
    cases: list[CaseOut]


def _case(number: str) -> Case:
    return get_object_or_404(Case.objects.select_related("item_version", "item", "region", "applicant"), number=number)


def _idempotent(request, operation: str, run) -> Status:
    """Run `run()` (returns (status, body)) once per Idempotency-Key; a retry gets the stored answer."""
    return Status(*_once(request, operation, run))


def _once(request, operation: str, run):
    """The key row is written first, in the same transaction as the work: a concurrent retry with the
    same key waits on it and then reads the stored answer. A failed attempt stores nothing (the client
    may retry it)."""
    key = request.headers.get("Idempotency-Key", "").strip()[:100]
    if not key:
        with tx.outer():
            return run()
    stored = IdempotencyKey.objects.filter(user=request.auth, key=key, operation=operation).exclude(status=0).first()
    if stored:
        return stored.status, stored.body
    with tx.outer():
        try:
            with transaction.atomic():  # a savepoint: a concurrent first use of the key is recovered from here
                row = IdempotencyKey.objects.create(user=request.auth, key=key, operation=operation, status=0, body={})
        except IntegrityError:
            stored = IdempotencyKey.objects.get(user=request.auth, key=key, operation=operation)
            return stored.status, stored.body
        status, body = run()
        row.status, row.body = status, json.loads(json.dumps(body, default=str))
        row.save(update_fields=["status", "body"])
    return status, body


def _materials(entries) -> list[dict]:
    return [e.dict() for e in entries]


@router.post("/", response={201: CaseOut, 200: CaseOut}, summary="收件(提交申请)")
def submit(request, data: SubmitIn):
    def run():
        applicant = services.register_applicant(request.auth, **data.applicant.dict())
        item = bundle = None
        if data.item:
            item = Item.objects.select_related("region").filter(implementation_code=data.item).first()
            if item is None:
                raise DomainError("item_unknown", "事项实施编码不存在", field="item")
        if data.bundle:
            bundle = Bundle.objects.filter(code=data.bundle).first()
            if bundle is None:
                raise DomainError("bundle_unknown", "一件事编码不存在", field="bundle")
        from tongban.org.models import Window

        window = Window.objects.filter(pk=data.window).first() if data.window else None
        mandate = None
        if data.mandate:
            agent_user = request.auth if data.channel == "agent" else None
            mandate = services.register_mandate(request.auth, applicant=applicant, agent_user=agent_user, **data.mandate.dict())
        case = services.submit_case(request.auth, applicant=applicant, item=item, bundle=bundle, channel=data.channel,
                                    window=window, mandate=mandate, materials=_materials(data.materials), form_data=data.form_data)
        return 201, selectors.case_out(case)
    return _idempotent(request, "submit", run)


@router.post("/{number}/accept", response=CaseOut, summary="受理(可容缺、告知承诺)")
def accept(request, number: str, data: AcceptIn):
    def run():
        case = services.accept_case(request.auth, _case(number), gaps=data.gaps, gap_days=data.gap_days, informed=data.informed)
        return 200, selectors.case_out(case)
    return _idempotent(request, f"accept:{number}", run)


@router.post("/{number}/notify-missing", response=CaseOut, summary="一次性告知")
def notify_missing(request, number: str, data: NoticeIn):
    case = _case(number)
    services.notify_missing(request.auth, case, items=_materials(data.items))
    return selectors.case_out(_case(number))


@router.post("/{number}/supply-materials", response=CaseOut, summary="补交材料")
def supply(request, number: str, data: SupplyIn):
    return selectors.case_out(services.supply_materials(request.auth, _case(number), supplied=_materials(data.supplied)))


@router.post("/{number}/refuse", response=CaseOut, summary="不予受理")
def refuse(request, number: str, data: ReasonIn):
    return selectors.case_out(services.refuse_case(request.auth, _case(number), reason=data.reason))


@router.post("/{number}/withdraw", response=CaseOut, summary="撤回申请")
def withdraw(request, number: str, data: WithdrawIn):
    return selectors.case_out(services.withdraw_case(request.auth, _case(number), reason=data.reason))


@router.post("/{number}/decide-immediately", response=CaseOut, summary="即办件当场办结")
def decide_immediately(request, number: str, data: ImmediateIn):
    return selectors.case_out(services.decide_immediately(request.auth, _case(number), **data.dict()))


@router.post("/{number}/deliver", response=CaseOut, summary="送达(窗口领取或电子送达)")
def deliver(request, number: str, data: DeliverIn):
    return selectors.case_out(services.deliver(request.auth, _case(number), **data.dict()))


@router.post("/{number}/register-mail", response=CaseOut, summary="登记免费邮寄")
def register_mail(request, number: str, data: MailIn):
    case = _case(number)
    services.register_mail(request.auth, case, **data.dict())
    return selectors.case_out(_case(number))


@router.post("/{number}/mail-delivered", response=CaseOut, summary="邮件已签收")
def mail_delivered(request, number: str):
    return selectors.case_out(services.confirm_mail_delivered(request.auth, _case(number)))


@router.get("/{number}", response=CaseOut, summary="办件详情(个人信息已脱敏)")
def detail(request, number: str):
    case = _case(number)
    selectors.require_visible(request.auth, case)
    return selectors.case_out(case)


@router.get("/", response=CaseList, summary="本人可见的办件")
def list_cases(request, state: str | None = None, page: int = 1):
    count, cases = selectors.visible_cases(request.auth, state=state, page=max(1, page))
    return {"count": count, "cases": [selectors.case_out(c) for c in cases]}
