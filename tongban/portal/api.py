"""The applicant's API (the mobile app's view, 一网通办): register, get a token, apply online, follow and correct
one's own cases, rate them. Bearer tokens are ordinary `ApiToken`s of the account's user; only applicant accounts
pass `_me`. Another applicant's case or enterprise answers 404 like a missing one."""

import base64
import binascii
import datetime as dt

from django.contrib.auth import authenticate
from django.core.files.base import ContentFile
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from tongban.cases import accounts
from tongban.cases.models import Notice
from tongban.core import tx
from tongban.core.errors import DomainError, NotAllowed, NotFound
from tongban.core.schemas import PUBLIC_ERRORS, answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import ApiToken
from tongban.ratings import selectors as rating_selectors
from tongban.ratings import services as ratings

from . import selectors, services
from .models import Draft

router = Router(auth=STAFF_AUTH)
public = Router()
PDF = {"responses": {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


class RegisterIn(Schema):
    id_number: str = Field(..., max_length=40, description="居民身份证号码(校验位、出生日期、地址码均校验)")
    name: str = Field(..., max_length=60, description="姓名(与人口库核验)")
    phone: str = Field(..., max_length=20, description="手机号码")
    password: str = Field(..., max_length=128, description="至少12位,不得为常见密码")


class AccountOut(Schema):
    name: str
    id_number: str = Field(..., description="脱敏的身份证号码")
    applicants: list[dict] = Field(..., description="可代为办事的申请人:本人与企业(id_number 明文,仅本人可见)")


class LoginIn(Schema):
    id_number: str = Field(..., max_length=40)
    password: str = Field(..., max_length=128)


class TokenOut(Schema):
    token: str = Field(..., description="Authorization: Bearer <token>")


class EnterpriseIn(Schema):
    credit_code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=120)


class OperatorIn(Schema):
    id_number: str = Field(..., max_length=40, description="经办人身份证号码(经办人须已注册)")
    name: str = Field(..., max_length=60)


class FileIn(Schema):
    material: int = Field(..., ge=1, le=2**31 - 1, description="办事指南材料编号")
    file_name: str = Field("材料.pdf", max_length=100)
    file_base64: str = Field(..., description="PDF、JPG、PNG 或 OFD 文件(不超过20MB)的 base64 编码")


class DeliveryIn(Schema):
    method: str = Field("window", max_length=10, description="window 窗口领取 / mail 免费邮寄")
    recipient: str = Field("", max_length=40)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)


class ApplyIn(Schema):
    item: str | None = Field(None, max_length=60, description="事项实施编码(与 bundle 二选一)")
    bundle: str | None = Field(None, max_length=30, description="一件事编码(与 item 二选一):一表申请,材料按合并后的清单提交")
    applicant: str | None = Field(None, max_length=18, description="以企业名义申请时的统一社会信用代码;空为本人")
    form_data: dict = Field({}, description="申请表:办事指南 form_fields 中的字段")
    materials: list[FileIn] = Field([], description="上传的材料;一件事按合并材料清单的材料编号")
    reuse: list[str] = Field([], description="同意复用的免提交材料(offers 接口的 key)")
    delivery: DeliveryIn = DeliveryIn()
    draft: int | None = Field(None, ge=1, le=2**31 - 1, description="由草稿提交时的草稿编号(提交后删除)")


class DraftIn(Schema):
    item: str = Field(..., max_length=60)
    applicant: str | None = Field(None, max_length=18)
    form_data: dict = {}
    reuse: list[str] = []
    delivery: DeliveryIn = DeliveryIn()
    materials: list[FileIn] = Field([], description="随草稿保存的材料文件(同一材料再次上传即替换)")
    remove: list[int] = Field([], description="不再保留其文件的材料编号")


class DraftFileOut(Schema):
    material: int
    name: str
    size: int
    content_type: str


class DraftOut(Schema):
    id: int
    item: str
    title: str
    applicant: str
    form_data: dict
    reuse: list[str]
    delivery: dict
    files: list[DraftFileOut] = Field(..., description="已随草稿保存的材料文件;由草稿提交时未再次上传的材料使用这些文件")
    updated_at: dt.datetime


class OfferOut(Schema):
    key: str
    material: int
    source: str
    label: str
    valid_until: dt.date | None


class CorrectionIn(Schema):
    materials: list[FileIn]


class RatingIn(Schema):
    level: int = Field(..., ge=1, le=5, description="1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意")
    indicators: dict[str, int] = Field({}, description="分项评价:overall 整体满意度、efficiency 办事效率、guide 办事指南精确度、"
                                                       "convenience 办事便捷度、usability 平台操作性,各1至5")
    comment: str = Field("", max_length=500)


class RatingOut(Schema):
    level: int
    level_name: str
    indicators: dict
    comment: str
    at: dt.datetime
    handling_state: str | None = Field(None, description="差评整改状态:verifying、rectifying、appealed、answered、closed")
    handling_state_name: str | None = None
    deadline: dt.date | None = Field(None, description="限期整改的期限")
    answer: str = Field("", description="办理部门给申请人的答复")


class StepOut(Schema):
    name: str
    department: str
    state: str
    state_name: str
    started_on: dt.date | None
    done_on: dt.date | None
    deadline: dt.date | None
    handler: str
    phone: str


class NoticeOut(Schema):
    id: int
    kind: str
    kind_name: str
    round: int
    issued_on: dt.date
    items: list[dict]
    text: str = Field("", description="后台审查退回的补正要求")
    pdf: str


class DocumentOut(Schema):
    id: int
    kind: str
    kind_name: str
    issued_on: dt.date
    pdf: str


class PaymentOut(Schema):
    order_no: str
    fee_name: str
    amount_fen: int
    state: str = Field(..., description="due 待缴费 / paid 已缴费")
    method: str
    receipt_no: str
    receipt: str | None = Field(None, description="电子票据(PDF)地址")


class PayOut(Schema):
    pay_url: str = Field(..., description="打开支付平台收银台的地址;支付结果由平台签名回调")


class ChildCaseOut(Schema):
    number: str
    title: str
    state: str
    state_name: str


class MyCaseOut(Schema):
    number: str
    title: str
    bundle: str | None = Field(None, description="一件事编码(一件事的办件)")
    items: list[ChildCaseOut] = Field(..., description="一件事所含各事项的子办件(单个事项为空)")
    state: str
    state_name: str
    channel: str
    applicant: str
    received_on: dt.date
    accepted_on: dt.date | None
    deadline: dt.date | None
    clock_paused: bool
    completed_on: dt.date | None
    pending: list[dict] = Field(..., description="可在线补正的材料:material、name、status、reason")
    steps: list[StepOut]
    notices: list[NoticeOut]
    documents: list[DocumentOut]
    delivery: str = Field("", description="选择的结果领取方式")
    payments: list[PaymentOut]
    rating: RatingOut | None


class MessageOut(Schema):
    at: dt.datetime
    case: str | None
    kind: str
    text: str


class ProgressOut(Schema):
    number: str
    title: str
    state: str
    state_name: str
    received_on: dt.date
    deadline: dt.date | None
    clock_paused: bool


class EnterpriseOut(Schema):
    credit_code: str
    name: str
    role: str
    operators: list[dict]
    cases: list[dict]
    messages: list[dict]


def _me(request):
    """The applicant account behind the token or session; staff accounts are refused here."""
    user = request.auth
    if not accounts.is_applicant_account(user):
        raise NotAllowed("请使用网上办事账号(申请人)登录", code="not_applicant")
    return user


def _file(f: FileIn) -> ContentFile:
    try:
        content = base64.b64decode(f.file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("file_base64", "材料文件不是有效的 base64 编码", field="materials") from None
    return ContentFile(content, name=f.file_name or "材料.pdf")


def _files(items: list[FileIn]) -> dict:
    out = {}
    for f in items:
        if f.material in out:
            raise DomainError("material_twice", "同一材料只能上传一个文件", field="materials")
        out[f.material] = _file(f)
    return out


def rating_out(rating) -> dict | None:
    if rating is None:
        return None
    h = getattr(rating, "handling", None) if rating.is_bad else None
    return {"level": rating.level, "level_name": rating.get_level_display(), "indicators": rating.indicators, "comment": rating.comment,
            "at": rating.at, "handling_state": h.state if h else None, "handling_state_name": h.get_state_display() if h else None,
            "deadline": h.deadline if h else None, "answer": h.answer if h else ""}


def case_out(user, case) -> dict:
    v = selectors.case_view(case, user, with_messages=False)
    base = f"/api/v1/my/cases/{case.number}"
    return {
        "number": case.number, "title": case.title, "state": case.state, "state_name": case.get_state_display(), "channel": case.channel,
        "bundle": case.bundle.code if case.bundle_id else None,
        "items": [{"number": c.number, "title": c.title, "state": c.state, "state_name": c.get_state_display()} for c in v["children"]],
        "applicant": case.applicant.name, "received_on": case.received_on, "accepted_on": case.accepted_on, "deadline": case.deadline,
        "clock_paused": bool(v["clock"] and v["clock"].get("state") == "paused"), "completed_on": case.completed_on,
        "pending": [{"material": cm.material_id, "name": cm.material.name, "status": cm.status, "reason": cm.reason} for cm in v["pending"]],
        "steps": v["steps"],
        "notices": [{"id": n.pk, "kind": n.kind, "kind_name": n.get_kind_display(), "round": n.round, "issued_on": n.issued_on,
                     "items": n.data.get("items", []) if n.kind == Notice.Kind.MISSING else [], "text": n.data.get("text", ""),
                     "pdf": f"{base}/notices/{n.pk}.pdf"} for n in v["notices"]],
        "documents": [{"id": d.pk, "kind": d.kind, "kind_name": d.get_kind_display(), "issued_on": d.issued_on,
                       "pdf": f"{base}/documents/{d.pk}.pdf"} for d in v["documents"]],
        "delivery": (case.form_data or {}).get("结果领取方式", ""),
        "payments": [{"order_no": p.order_no, "fee_name": p.fee_name, "amount_fen": p.amount_fen, "state": p.state, "method": p.method,
                      "receipt_no": p.receipt_no, "receipt": f"{base}/payments/{p.order_no}/receipt.pdf" if p.receipt_no else None}
                     for p in v["payments"]],
        "rating": rating_out(v["rating"]),
    }


def account_out(user) -> dict:
    mine = accounts.applicants_of(user)
    person = accounts.person_of(user)
    return {"name": person.name, "id_number": person.masked_id,
            "applicants": [{"id_number": a.id_number, "name": a.name, "kind": a.kind, "role": accounts.role_for(user, a)} for a in mine]}


@public.post("/register", response=answers(AccountOut, 201, PUBLIC_ERRORS | {409: PUBLIC_ERRORS[400]}), summary="注册网上办事账号(自然人)")
def register(request, data: RegisterIn):
    with tx.outer():
        user = services.register_person(**data.dict())
    return Status(201, account_out(user))


@public.post("/token", response=answers(TokenOut, 200, PUBLIC_ERRORS | {401: PUBLIC_ERRORS[400], 429: PUBLIC_ERRORS[400]}),
             summary="以身份证号码和密码换取接口令牌(登录失败过多将被锁定)")
def token(request, data: LoginIn):
    from ninja.errors import HttpError

    user = authenticate(request, username=data.id_number.strip().upper(), password=data.password)
    if getattr(request, "axes_locked_out", False):
        request.axes_locked_out = False  # answered here as JSON, not by axes' HTML lockout page
        raise HttpError(429, "Too many requests.")
    if user is None or not accounts.is_applicant_account(user):
        from ninja.errors import AuthenticationError

        raise AuthenticationError()
    _, key = ApiToken.issue(user, "网上办事")
    return {"token": key}


@public.get("/progress", response=answers(ProgressOut, 200, PUBLIC_ERRORS), summary="办件进度公开查询(办件编号+申请人姓名或证件号后6位)")
def progress(request, number: str = Query(..., max_length=40), who: str = Query(..., max_length=120)):
    case = selectors.public_lookup(number, who)
    if case is None:
        raise NotFound("未找到该办件(请核对办件编号和申请人姓名或证件号码后6位)")
    clock = selectors.case_selectors.clock_status(case)
    return {"number": case.number, "title": case.title, "state": case.state, "state_name": case.get_state_display(),
            "received_on": case.received_on, "deadline": case.deadline, "clock_paused": bool(clock and clock.get("state") == "paused")}


@router.get("/account", response=answers(AccountOut), summary="本人账号与可代为办事的企业")
def account(request):
    return account_out(_me(request))


@router.post("/enterprises", response=answers(AccountOut, 201), summary="法定代表人注册企业(法人库核验)")
def add_enterprise(request, data: EnterpriseIn):
    user = _me(request)
    with tx.outer():
        accounts.bind_enterprise(user, credit_code=data.credit_code, name=data.name)
    return Status(201, account_out(user))


def enterprise_out(user, enterprise) -> dict:
    page = selectors.enterprise_page(user, enterprise)
    return {"credit_code": enterprise.id_number, "name": enterprise.name, "role": page["role"], "operators": page["operators"],
            "cases": [{"number": c.number, "title": c.title, "state": c.state, "state_name": c.get_state_display()} for c in page["cases"]],
            "messages": [{"at": m.at.isoformat(), "text": m.text} for m in page["ent_messages"]]}


@router.get("/enterprises/{credit_code}", response=answers(EnterpriseOut), summary="一企一页")
def enterprise(request, credit_code: str):
    user = _me(request)
    return enterprise_out(user, accounts.enterprise_for(user, credit_code))


@router.post("/enterprises/{credit_code}/operators", response=answers(EnterpriseOut, 201), summary="法定代表人添加经办人")
def add_operator(request, credit_code: str, data: OperatorIn):
    user = _me(request)
    with tx.outer():
        enterprise = accounts.enterprise_for(user, credit_code, legal_rep=True)
        accounts.add_operator(user, enterprise, id_number=data.id_number, name=data.name)
    return Status(201, enterprise_out(user, enterprise))


@router.delete("/enterprises/{credit_code}/operators/{operator_id}", response=answers(EnterpriseOut), summary="法定代表人移除经办人")
def remove_operator(request, credit_code: str, operator_id: int):
    user = _me(request)
    with tx.outer():
        enterprise = accounts.enterprise_for(user, credit_code, legal_rep=True)
        accounts.remove_operator(user, enterprise, operator_id)
    return enterprise_out(user, enterprise)


@router.get("/bundles/{code}/offers", response=answers(list[OfferOut]), summary="一件事可复用的免提交材料(按合并材料清单)")
def bundle_offers(request, code: str, applicant: str | None = Query(None, max_length=18)):
    user = _me(request)
    who = services.applicant_for(user, applicant)
    form = services.bundle_form(services.current_bundle(code))
    return [{"key": o.key, "material": o.material_id, "source": o.source, "label": o.label, "valid_until": o.valid_until}
            for o in services.bundle_offers(who, form)]


@router.get("/items/{code}/offers", response=answers(list[OfferOut]), summary="可复用的免提交材料(电子证照、历史申报材料)")
def offers(request, code: str, applicant: str | None = Query(None, max_length=18)):
    user = _me(request)
    who = services.applicant_for(user, applicant)
    version = services.current_version(code)
    return [{"key": o.key, "material": o.material_id, "source": o.source, "label": o.label, "valid_until": o.valid_until}
            for o in selectors.offers_for(who, version)]


def draft_out(d: Draft) -> dict:
    return {"id": d.pk, "item": d.item_version.item.implementation_code, "title": d.item_version.name, "applicant": d.applicant.name,
            "form_data": d.form_data, "reuse": d.reuse, "delivery": d.delivery, "updated_at": d.updated_at,
            "files": [{"material": f.material_id, "name": f.name, "size": f.size, "content_type": f.content_type} for f in d.files.all()]}


def _draft(user, pk: int) -> Draft:
    d = Draft.objects.filter(pk=pk, user=user).select_related("item_version__item", "applicant").first()
    if d is None:
        raise NotFound("未找到该草稿")
    return d


@router.get("/drafts", response=answers(list[DraftOut]), summary="我的草稿")
def drafts(request):
    user = _me(request)
    return [draft_out(d) for d in Draft.objects.filter(user=user).select_related("item_version__item", "applicant")
            .prefetch_related("files")[:50]]


@router.post("/drafts", response=answers(DraftOut, 201), summary="暂存在线申请(草稿)")
def save_draft(request, data: DraftIn):
    user = _me(request)
    with tx.outer():
        d = services.save_draft(user, applicant=services.applicant_for(user, data.applicant), version=services.current_version(data.item),
                                form_data=data.form_data, reuse_keys=data.reuse, delivery=data.delivery.dict(),
                                files=_files(data.materials), remove=data.remove)
    return Status(201, draft_out(d))


@router.put("/drafts/{draft_id}", response=answers(DraftOut), summary="修改草稿(可继续上传材料文件)")
def update_draft(request, draft_id: int, data: DraftIn):
    user = _me(request)
    with tx.outer():
        d = services.save_draft(user, applicant=services.applicant_for(user, data.applicant), version=services.current_version(data.item),
                                form_data=data.form_data, reuse_keys=data.reuse, delivery=data.delivery.dict(),
                                draft=_draft(user, draft_id), files=_files(data.materials), remove=data.remove)
    return draft_out(_draft(user, d.pk))


@router.delete("/drafts/{draft_id}", response=answers(dict), summary="删除草稿")
def delete_draft(request, draft_id: int):
    user = _me(request)
    with tx.outer():
        services.delete_draft(user, _draft(user, draft_id))
    return {"deleted": draft_id}


@router.post("/applications", response=answers(MyCaseOut, 201), summary="在线提交申请(网上预审):单个事项或一件事")
def apply(request, data: ApplyIn):
    user = _me(request)
    if bool(data.item) == bool(data.bundle):
        raise DomainError("case_target", "请选择一个事项(item)或一件事(bundle)", field="item")
    if data.bundle:
        if data.draft:
            raise DomainError("bundle_draft", "一件事的在线申请暂不支持草稿", field="draft")
        with tx.outer():
            case = services.apply_bundle_online(user, applicant=services.applicant_for(user, data.applicant),
                                                bundle=services.current_bundle(data.bundle), form_data=data.form_data,
                                                files=_files(data.materials), reuse_keys=data.reuse, delivery=data.delivery.dict())
        return Status(201, case_out(user, selectors.my_case(user, case.number)))
    with tx.outer():
        draft = _draft(user, data.draft) if data.draft else None
        case = services.apply_online(user, applicant=services.applicant_for(user, data.applicant), version=services.current_version(data.item),
                                     form_data=data.form_data, files=_files(data.materials), reuse_keys=data.reuse,
                                     delivery=data.delivery.dict(), draft=draft)
    return Status(201, case_out(user, selectors.my_case(user, case.number)))


@router.get("/cases", response=answers(list[MyCaseOut]), summary="我的办件")
def my_cases(request, applicant: str | None = Query(None, max_length=18)):
    user = _me(request)
    who = services.applicant_for(user, applicant) if applicant else None
    return [case_out(user, c) for c in selectors.my_cases_in_full(user, who, limit=50)]


@router.get("/cases/{number}", response=answers(MyCaseOut), summary="办件详情:环节、期限、通知书、决定文书、评价")
def my_case(request, number: str):
    user = _me(request)
    return case_out(user, selectors.my_case(user, number))


@router.post("/cases/{number}/corrections", response=answers(MyCaseOut), summary="网上补正(一次性告知或审查退回所列材料)")
def correct(request, number: str, data: CorrectionIn):
    user = _me(request)
    with tx.outer():
        case = selectors.my_case(user, number)
        if not data.materials:
            raise DomainError("supply_empty", "请上传补正的材料", field="materials")
        services.correct_online(user, case, _files(data.materials))
    return case_out(user, selectors.my_case(user, number))


@router.get("/cases/{number}/notices/{notice_id}.pdf", response=answers(bytes), summary="下载通知书(PDF)", openapi_extra=PDF)
def notice_pdf(request, number: str, notice_id: int):
    from tongban.cases import notices

    user = _me(request)
    case = selectors.my_case(user, number)
    notice = case.notices.filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("未找到该文书")
    response = HttpResponse(notices.render(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}-{notice.kind}-{notice.pk}.pdf"'
    return response


@router.get("/cases/{number}/documents/{doc_id}.pdf", response=answers(bytes), summary="下载决定文书(PDF,含电子签章)", openapi_extra=PDF)
def document_pdf(request, number: str, doc_id: int):
    user = _me(request)
    case = selectors.my_case(user, number)
    doc = case.documents.filter(pk=doc_id, state="issued").first()
    if doc is None or not doc.file:
        raise NotFound("未找到该文书")
    response = HttpResponse(doc.file.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}-{doc.kind}.pdf"'
    return response


@router.post("/cases/{number}/rating", response=answers(RatingOut, 201), summary="评价(好差评,一事一评,提交后不可修改)")
def rate(request, number: str, data: RatingIn):
    user = _me(request)
    with tx.outer():
        case = selectors.my_case(user, number)
        ratings.rate_case(user, case, level=data.level, indicators=data.indicators, comment=data.comment)
    return Status(201, rating_out(rating_selectors.rating_of_case(case)))


@router.get("/messages", response=answers(list[MessageOut]), summary="我的消息(一次性告知、评价邀请、差评答复)")
def messages(request):
    user = _me(request)
    return [{"at": m.at, "case": m.case.number if m.case_id else None, "kind": m.kind, "text": m.text} for m in selectors.messages_of(user)]


def _payment(user, number: str, order_no: str):
    from tongban.cases.models import Payment

    case = selectors.my_case(user, number)
    p = Payment.objects.filter(case=case, order_no=order_no).select_related("case", "case__item__department", "case__applicant").first()
    if p is None:
        raise NotFound("未找到该缴款单")
    return p


@router.post("/cases/{number}/payments/{order_no}/pay", response=answers(PayOut), summary="网上缴费:取得支付平台收银台地址")
def pay(request, number: str, order_no: str):
    from tongban.cases import payments
    from tongban.core.errors import Conflict

    user = _me(request)
    p = _payment(user, number, order_no)
    if p.state != p.State.DUE:
        raise Conflict("already_paid", "该缴款单已缴费")
    return {"pay_url": payments.backend().pay_url(p)}


@router.get("/cases/{number}/payments/{order_no}/receipt.pdf", response=answers(bytes), summary="下载电子票据(PDF)", openapi_extra=PDF)
def receipt(request, number: str, order_no: str):
    from tongban.cases import payments

    user = _me(request)
    body = payments.receipt_pdf(_payment(user, number, order_no))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{order_no}.pdf"'
    return response


gateway = Router()


class CallbackOut(Schema):
    order_no: str
    state: str


@gateway.post("/callback", response=answers(CallbackOut, 200, PUBLIC_ERRORS), summary="支付平台回调(HMAC-SHA256 签名于 X-Signature,重复回调结果不变)",
              openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                  "order_no": {"type": "string"}, "amount_fen": {"type": "integer"}, "status": {"type": "string", "enum": ["paid"]},
                  "gateway_ref": {"type": "string"}}}}}}})
def callback(request):
    from tongban.cases import payments

    with tx.outer():
        p = payments.gateway_callback(request.body, request.headers.get("X-Signature", ""))
    return {"order_no": p.order_no, "state": p.state}
