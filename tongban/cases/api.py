"""The intake API: coarse, transactional operations, each the same service function the pages call.

A retried submit or accept with the same `Idempotency-Key` header returns the first answer and changes
nothing. Wrong-state acts answer 409, acts outside the caller's role or scope 403, both in Chinese."""

import datetime as dt
import json

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.http import HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status

from tongban.catalog.models import Bundle, Item
from tongban.core import tx
from tongban.org.auth import STAFF_AUTH
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.core.schemas import answers

from . import selectors, services
from .models import Case, IdempotencyKey

router = Router(auth=STAFF_AUTH)
IDEMPOTENCY = Header(None, alias="Idempotency-Key", description="重试同一请求时带同一值:只执行一次,返回第一次的结果")


class ApplicantIn(Schema):
    kind: str = Field(..., max_length=10, description="person 自然人 / org 法人")
    id_number: str = Field(..., max_length=40, description="居民身份证号码或统一社会信用代码")
    name: str = Field(..., max_length=120)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class MandateIn(Schema):
    agent_name: str = Field(..., max_length=40)
    agent_id_number: str = Field(..., max_length=40)
    scope: str = Field(..., max_length=200)
    agent_phone: str = Field("", max_length=20)
    valid_until: dt.date | None = None


class MaterialIn(Schema):
    material: int = Field(..., ge=1, le=2**31 - 1, description="办事指南材料编号(指南接口 materials[].id)")
    status: str = Field("provided", max_length=20)
    reason: str = Field("", max_length=300)
    source: str = Field("", max_length=20, description="复用来源(免提交):licence 电子证照、earlier_case 历史申报材料;见 reuse-offers")
    reference: str = Field("", max_length=140, description="复用对象的标识(电子证照标识等)")
    consent: bool = Field(False, description="申请人同意为本办件使用该证照或材料(用证授权)")


class SubmitIn(Schema):
    applicant: ApplicantIn
    item: str | None = Field(None, description="事项实施编码")
    bundle: str | None = Field(None, description="一件事编码")
    channel: str = Field("window", max_length=10)
    window: int | None = Field(None, ge=1, le=2**31 - 1)
    mandate: MandateIn | None = Field(None, description="代理人申报时的委托书")
    materials: list[MaterialIn] = []
    form_data: dict = {}


class AcceptIn(Schema):
    materials: list[MaterialIn] = Field([], description="与受理同时登记的核对结果(已收取、已核验原件、共享获取)")
    gaps: list[int] = Field([], description="容缺的辅助材料")
    gap_days: int | None = Field(None, ge=1, le=60, description="承诺补交期限(工作日)")
    informed: list[int] = Field([], description="以告知承诺替代的材料")


class ChecklistIn(Schema):
    materials: list[MaterialIn] = Field(..., description="核对结果:已收取 provided、已核验原件 original_seen、共享获取 shared")


class NoticeIn(Schema):
    items: list[MaterialIn] = Field(..., description="缺少(missing)或不符合要求(defective,须说明原因)的全部材料")
    materials: list[MaterialIn] = Field([], description="同时登记的已收取材料")


class SupplyIn(Schema):
    supplied: list[MaterialIn]


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class WithdrawIn(Schema):
    reason: str = Field("申请人申请撤回", max_length=300)


class ImmediateIn(Schema):
    approve: bool = True
    note: str = Field("", max_length=1000)
    handover: bool = True
    materials: list[MaterialIn] = Field([], description="与办结同时登记的核对结果")


class DeliverIn(Schema):
    method: str = Field(..., description="window 窗口领取 / electronic 电子送达")
    received_by: str = Field("", max_length=40)
    id_checked: bool = False
    code: str = Field("", max_length=8, description="申请人出示的取件码")


class MailIn(Schema):
    recipient: str = Field(..., max_length=40)
    address: str = Field(..., max_length=200)
    phone: str = Field(..., max_length=20)
    courier: str = Field(..., max_length=40)
    tracking_number: str = Field(..., max_length=40)


class ExtendIn(Schema):
    days: int = Field(..., ge=1, le=60, description="延长的工作日数(不超过法定可延长上限)")
    reason: str = Field(..., max_length=300)


class HandoverIn(Schema):
    handler: str = Field(..., max_length=150, description="新的首办负责人(本区域窗口工作人员的用户名)")
    reason: str = Field(..., max_length=300)


class PostCheckIn(Schema):
    passed: bool
    note: str = Field("", max_length=1000)


class NoticeOut(Schema):
    id: int
    kind: str
    kind_name: str
    round: int
    issued_on: dt.date
    items: list[dict] = Field([], description="一次性告知:材料、问题、原因")
    by_step: str = Field("", description="审查退回补正时的环节")
    state: str = Field(..., description="签发状态:issuing 签发中、issued 已签发、failed 签发失败")
    state_name: str
    pdf: str | None = Field(..., description="下载地址(同一令牌);签发完成前为 null")


class DocumentOut(Schema):
    id: int
    kind: str
    kind_name: str
    issued_on: dt.date
    sha256: str = Field(..., description="已签发文件的 SHA-256;签发完成前为空")
    state: str = Field(..., description="签发状态:issuing 签发中、issued 已签发、failed 签发失败")
    state_name: str
    pdf: str | None = Field(..., description="下载地址(同一令牌);文件已加盖电子印章;签发完成前为 null")


class CaseMaterialOut(Schema):
    material: int
    name: str
    status: str
    status_name: str
    reason: str
    reference: str = Field("", description="免提交材料的复用来源(如 licence:<电子证照标识>)")


class RegistryCheckOut(Schema):
    ok: bool = Field(..., description="申请人姓名(名称)与证件号码经基础库核验一致")
    found: bool = Field(..., description="基础库登记了该证件号码")
    message: str = Field(..., description="核验结果说明;不一致时窗口人员应核对证件")
    checked_on: dt.date | None = None


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
    back_office: bool = Field(..., description="由后台审批流程办理(决定在流程的决定环节作出)")
    clock_paused: bool = Field(..., description="法定计时暂停中(补正、听证、专家评审等)")
    corrections: list[str] = Field(..., description="补正中:审查退回要求补交、尚未收到的材料")
    actions: list[str] = Field(..., description="调用者现在可以执行的操作(状态转换表)")
    pickup_code: str | None = Field(None, description="取件码:仅向可以交付结果的窗口人员显示,与申请人出示的核对")
    registry_check: RegistryCheckOut | None = Field(None, description="受理时申请人与人口库/法人库的核验结果(不一致不阻止申请,须人工核对)")


class CaseList(Schema):
    count: int
    cases: list[CaseOut]


def _case(request, number: str) -> Case:
    """The case if the caller may see it; unknown and out-of-scope numbers answer the same 404."""
    case = Case.objects.select_related("item_version", "item", "region", "applicant").filter(number=number).first()
    if case is None or not selectors.is_visible(request.auth, case):
        raise NotFound("未找到该办件,或您无权查看")
    return case


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


def _out(request, case: Case) -> dict:
    return selectors.case_out(case, user=request.auth)


@router.post("/", response=answers(CaseOut, 201), summary="收件(提交申请)")
def submit(request, data: SubmitIn, idempotency_key: str | None = IDEMPOTENCY):
    def run():
        item = bundle = None
        if data.item:
            item = Item.objects.select_related("region").filter(implementation_code=data.item).first()
            if item is None:
                raise DomainError("item_unknown", "事项实施编码不存在", field="item")
        if data.bundle:
            bundle = Bundle.objects.filter(code=data.bundle).first()
            if bundle is None:
                raise DomainError("bundle_unknown", "一件事编码不存在", field="bundle")
        if item is not None or bundle is not None:  # may the caller submit here at all? asked before the registry is read
            services.require_submitter(request.auth, (item or bundle).region, data.channel)
        applicant = services.register_applicant(request.auth, **data.applicant.dict())
        from tongban.org.models import Window

        window = None
        if data.window is not None:
            window = Window.objects.select_related("hall__region").filter(pk=data.window).first()
            if window is None:
                raise DomainError("window_unknown", "受理窗口不存在", field="window")
        mandate = None
        if data.mandate:
            agent_user = request.auth if data.channel == "agent" else None
            mandate = services.register_mandate(request.auth, applicant=applicant, agent_user=agent_user, **data.mandate.dict())
        case = services.submit_case(request.auth, applicant=applicant, item=item, bundle=bundle, channel=data.channel,
                                    window=window, mandate=mandate, materials=_materials(data.materials), form_data=data.form_data,
                                    contact=services.contact_given(applicant, data.applicant.phone, data.applicant.address))
        return 201, _out(request, case)
    return _idempotent(request, "submit", run)


class OfferOut(Schema):
    material: int = Field(..., description="办事指南材料编号")
    material_name: str
    source: str = Field(..., description="licence 电子证照 / earlier_case 历史申报材料")
    reference: str = Field(..., description="复用对象的标识(电子证照标识,或 办件编号/材料编号)")
    label: str
    valid_until: dt.date | None = None


@router.get("/reuse-offers", response=answers(list[OfferOut]), summary="可免提交的材料(申请人的电子证照与历史申报材料)")
def reuse_offers(request, applicant: str = Query(..., max_length=40, description="申请人身份证号码或统一社会信用代码"),
                 item: str = Query(..., max_length=40, description="事项实施编码")):
    """收件前查询:提交时在材料中写明 source、reference 和 consent=true(申请人同意),即登记为共享获取(免提交)。"""
    from . import reuse
    from .models import Applicant

    target = Item.objects.select_related("region").filter(implementation_code=item).first()
    if target is None:
        raise DomainError("item_unknown", "事项实施编码不存在", field="item")
    from tongban.org.models import Role
    from tongban.org.scopes import has_role

    channel = "window" if has_role(request.auth, Role.WINDOW_CLERK, region=target.region) else "agent"
    services.require_submitter(request.auth, target.region, channel)  # who may receive here, before anything is read
    person = Applicant.objects.filter(id_number=applicant.strip().upper()).first()
    version = target.versions.effective().first()
    if person is None or version is None:
        return []
    names = dict(version.materials.values_list("pk", "name"))
    return [{"material": o.material_id, "material_name": names.get(o.material_id, ""), "source": o.source, "reference": o.reference,
             "label": o.label, "valid_until": o.valid_until} for o in reuse.offers(person, version)]


@router.post("/{number}/materials", response=answers(CaseOut), summary="保存材料核对结果(不作受理决定)")
def check_materials(request, number: str, data: ChecklistIn):
    with tx.outer():
        return _out(request, services.record_materials(request.auth, _case(request, number), entries=_materials(data.materials)))


@router.post("/{number}/accept", response=answers(CaseOut), summary="受理(同时登记核对结果;可容缺、告知承诺)")
def accept(request, number: str, data: AcceptIn, idempotency_key: str | None = IDEMPOTENCY):
    def run():
        case = services.accept_case(request.auth, _case(request, number), materials=_materials(data.materials), gaps=data.gaps,
                                    gap_days=data.gap_days, informed=data.informed)
        return 200, _out(request, case)
    return _idempotent(request, f"accept:{number}", run)


@router.post("/{number}/notify-missing", response=answers(CaseOut), summary="一次性告知(列明全部缺少或不符合要求的材料)")
def notify_missing(request, number: str, data: NoticeIn):
    with tx.outer():
        case = _case(request, number)
        services.notify_missing(request.auth, case, items=_materials(data.items), materials=_materials(data.materials))
        return _out(request, _case(request, number))


@router.post("/{number}/supply-materials", response=answers(CaseOut),
             summary="补交材料(一次性告知后、审查退回补正后,或容缺材料;补齐后恢复审查和计时)")
def supply(request, number: str, data: SupplyIn):
    with tx.outer():
        return _out(request, services.supply_materials(request.auth, _case(request, number), supplied=_materials(data.supplied)))


@router.post("/{number}/refuse", response=answers(CaseOut), summary="不予受理")
def refuse(request, number: str, data: ReasonIn):
    with tx.outer():
        return _out(request, services.refuse_case(request.auth, _case(request, number), reason=data.reason))


@router.post("/{number}/withdraw", response=answers(CaseOut), summary="撤回申请")
def withdraw(request, number: str, data: WithdrawIn):
    with tx.outer():
        return _out(request, services.withdraw_case(request.auth, _case(request, number), reason=data.reason))


@router.post("/{number}/decide-immediately", response=answers(CaseOut), summary="即办件当场办结")
def decide_immediately(request, number: str, data: ImmediateIn):
    with tx.outer():
        return _out(request, services.decide_immediately(request.auth, _case(request, number), approve=data.approve, note=data.note,
                                                       handover=data.handover, materials=_materials(data.materials)))


@router.post("/{number}/extend", response=answers(CaseOut), summary="延长审批期限(行政许可法第四十二条,本机关负责人)")
def extend(request, number: str, data: ExtendIn):
    with tx.outer():
        return _out(request, services.extend_deadline(request.auth, _case(request, number), days=data.days, reason=data.reason))


@router.post("/{number}/handler", response=answers(CaseOut), summary="变更首办负责人")
def handover(request, number: str, data: HandoverIn):
    with tx.outer():
        case = _case(request, number)
        services.require_clerk(request.auth, case, "变更首办负责人")
        new = selectors.clerk_by_username(case, data.handler)
        return _out(request, services.reassign_handler(request.auth, case, new, reason=data.reason))


@router.post("/{number}/post-check", response=answers(CaseOut), summary="告知承诺事后核查(不实则撤销许可并记录失信)")
def post_check(request, number: str, data: PostCheckIn):
    with tx.outer():
        case = _case(request, number)
        services.record_post_check(request.auth, case, passed=data.passed, note=data.note)
        return _out(request, _case(request, number))


@router.post("/{number}/deliver", response=answers(CaseOut), summary="送达(窗口领取或电子送达)")
def deliver(request, number: str, data: DeliverIn):
    with tx.outer():
        return _out(request, services.deliver(request.auth, _case(request, number), **data.dict()))


@router.post("/{number}/register-mail", response=answers(CaseOut), summary="登记免费邮寄")
def register_mail(request, number: str, data: MailIn):
    with tx.outer():
        case = _case(request, number)
        services.register_mail(request.auth, case, **data.dict())
        return _out(request, _case(request, number))


@router.post("/{number}/mail-delivered", response=answers(CaseOut), summary="邮件已签收")
def mail_delivered(request, number: str):
    with tx.outer():
        return _out(request, services.confirm_mail_delivered(request.auth, _case(request, number)))


@router.get("/{number}", response=answers(CaseOut), summary="办件详情(个人信息已脱敏)")
def detail(request, number: str):
    return _out(request, _case(request, number))


@router.get("/{number}/notices", response=answers(list[NoticeOut]), summary="办件的通知书与告知书")
def notices_of(request, number: str):
    case = _case(request, number)
    base = f"/api/v1/cases/{case.number}/notices/"
    return [{"id": n.pk, "kind": n.kind, "kind_name": n.get_kind_display(), "round": n.round, "issued_on": n.issued_on,
             "items": n.data.get("items", []) if n.kind == n.Kind.MISSING else [], "by_step": n.data.get("by_step", ""),
             "state": n.state, "state_name": n.get_state_display(),
             "pdf": f"{base}{n.pk}.pdf" if n.state == "issued" else None} for n in case.notices.all()]


@router.get("/{number}/notices/{notice_id}.pdf", response=answers(bytes), summary="下载通知书(PDF)",
            openapi_extra={"responses": {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def notice_file(request, number: str, notice_id: int):
    from .models import Notice

    case = _case(request, number)
    return _stored_pdf(get_object_or_404(Notice, pk=notice_id, case=case), f"{case.number}-{{kind}}-{notice_id}.pdf")


def _stored_pdf(row, filename: str) -> HttpResponse:
    """The issued file; 409 while it is being issued (签发中) or after it failed to issue."""
    if row.state != "issued" or not row.file:
        if row.state == "failed":
            raise Conflict("document_failed", "文书签发失败,已报送电子监察,请联系管理员重新签发")
        raise Conflict("document_issuing", "文书正在签发中,请稍后再下载")
    with row.file.open("rb") as f:
        response = HttpResponse(f.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename.format(kind=row.kind)}"'
    return response


@router.get("/{number}/documents", response=answers(list[DocumentOut]), summary="办件的决定文书(已加盖电子印章)")
def documents_of(request, number: str):
    case = _case(request, number)
    return [{"id": d.pk, "kind": d.kind, "kind_name": d.get_kind_display(), "issued_on": d.issued_on, "sha256": d.sha256,
             "state": d.state, "state_name": d.get_state_display(),
             "pdf": f"/api/v1/cases/{case.number}/documents/{d.pk}.pdf" if d.state == "issued" else None}
            for d in selectors.documents_of(case)]


@router.get("/{number}/documents/{doc_id}.pdf", response=answers(bytes), summary="下载决定文书(PDF,含电子签章)",
            openapi_extra={"responses": {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def document_file(request, number: str, doc_id: int):
    from .models import CaseDocument

    case = _case(request, number)
    return _stored_pdf(get_object_or_404(CaseDocument, pk=doc_id, case=case), f"{case.number}-{{kind}}.pdf")


@router.get("/", response=answers(CaseList), summary="本人可见的办件")
def list_cases(request, state: str | None = None, page: int = Query(1, ge=1, le=100000)):
    count, cases = selectors.visible_cases(request.auth, state=state, page=page)
    return {"count": count, "cases": [_out(request, c) for c in cases]}


class FeeIn(Schema):
    fee_code: str = Field(..., max_length=30, description="收费清单编码(须在本事项办事指南的收费清单内)")
    amount_fen: int = Field(..., ge=1, le=10_000_000, description="金额(分)")


class PaymentOut(Schema):
    order_no: str
    fee_code: str
    fee_name: str
    amount_fen: int
    state: str
    method: str
    receipt_no: str


def payment_out(p) -> dict:
    return {"order_no": p.order_no, "fee_code": p.fee_code, "fee_name": p.fee_name, "amount_fen": p.amount_fen, "state": p.state,
            "method": p.method, "receipt_no": p.receipt_no}


@router.post("/{number}/fees", response=answers(PaymentOut, 201), summary="开具缴款通知(收费清单内的收费项目)")
def charge_fee(request, number: str, data: FeeIn):
    from . import payments

    with tx.outer():
        p = payments.charge_fee(request.auth, _case(request, number), fee_code=data.fee_code, amount_fen=data.amount_fen)
    return Status(201, payment_out(p))


@router.post("/{number}/fees/{order_no}/paid-at-hall", response=answers(PaymentOut), summary="登记大厅缴费窗口收款")
def paid_at_hall(request, number: str, order_no: str):
    from . import payments
    from .models import Payment

    with tx.outer():
        case = _case(request, number)
        p = Payment.objects.filter(case=case, order_no=order_no).first()
        if p is None:
            raise NotFound("未找到该缴款单")
        return payment_out(payments.paid_at_hall(request.auth, p))
