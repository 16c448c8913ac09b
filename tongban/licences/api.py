"""The licence library's API: public verification (what the QR code opens), the holder's wallet and consent (by
the holder's wallet address), and the staff operations — reading a licence for a case with the holder's consent,
status changes and new versions by the issuing authority. Each is the same service function the pages call."""

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tongban.cases.models import Case
from tongban.core import tx
from tongban.core.errors import DomainError, NotFound
from tongban.core.schemas import PUBLIC_ERRORS, answers
from tongban.org.auth import STAFF_AUTH
from tongban.org.models import Role
from tongban.org.scopes import require

from . import documents, selectors, services
from .models import LicenceType, Use

router = Router()
PDF_RESPONSE = {"responses": {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}
IDENTIFIER = Field(..., max_length=120, description="电子证照标识(GB/T 36904),如 1.2.156.3005.2.…")


class VerifyOut(Schema):
    identifier: str
    genuine: bool = Field(..., description="电子证照库中有该证照")
    valid: bool = Field(..., description="当前有效(未撤销、注销、吊销,未过有效期)")
    status: str = Field(..., description="valid 有效 / revoked 已撤销 / cancelled 已注销 / penalty_revoked 已吊销 / expired 已失效 / superseded 已换发新版本")
    status_name: str
    status_reason: str
    status_changed_on: dt.date | None
    type: str
    type_code: str
    number: str = Field(..., description="许可证编号")
    holder: str = Field(..., description="持证主体(自然人脱敏)")
    holder_id: str = Field(..., description="持证主体代码(脱敏)")
    issuer: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    content: str = Field(..., description="许可内容")
    version: int
    replaced_by: str | None = Field(None, description="已换发时,新版本的标识")
    sha256: str = Field(..., description="已签章证照文件的 SHA-256")
    rendered: bool = Field(..., description="证照文件已制作并加盖电子印章")


class PdfCheckOut(Schema):
    seal_ok: bool = Field(..., description="电子签章有效、可信、覆盖整个文件(文件签章后未被修改)")
    seal: str = Field(..., description="签章核验说明")
    matches_master: bool = Field(..., description="与电子证照库存档文件一致")
    licence: VerifyOut | None = None


class LicenceOut(Schema):
    identifier: str
    type: str
    number: str
    version: int
    status: str
    status_name: str
    status_reason: str
    holder: str
    holder_id: str
    issuer: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    days_left: int | None = Field(None, description="距到期天数")
    content: str
    face: dict = Field(..., description="照面信息")
    case: str | None = Field(None, description="颁证办件编号")
    previous: str | None = Field(None, description="上一版本的标识(变更/延续)")
    render_state: str = Field(..., description="pending 制证中 / issued 已制证 / failed 制证失败")
    verify_url: str


class UseOut(Schema):
    id: int
    identifier: str
    type: str
    department: str
    case: str | None
    item: str
    purpose: str = Field(..., description="reuse 受理时免提交 / read 调阅加注件")
    purpose_name: str
    mode: str = Field(..., description="授权方式:online 网上、window 窗口 …")
    reason: str
    allowed: bool = Field(..., description="false:未经授权,已拒绝(拒绝也记录)")
    refusal: str
    at: dt.datetime


class ReminderOut(Schema):
    identifier: str
    type: str
    threshold: int = Field(..., description="提前天数(90 或 30)")
    due_on: dt.date
    created_on: dt.date
    message: str


class WalletOut(Schema):
    holder_id: str = Field(..., description="持证主体代码(脱敏)")
    licences: list[LicenceOut]
    reminders: list[ReminderOut]
    uses: list[UseOut] = Field(..., description="用证记录:哪个部门、为哪个办件、以何事由、何时使用了哪张证照")
    wallet_url: str | None = Field(None, description="持证人本人的证照夹地址(窗口打印或门户登录后提供给持证人;令牌即 holders/{token})")


class ConsentIn(Schema):
    identifier: str = IDENTIFIER
    case: str = Field(..., max_length=40, description="使用证照的办件编号")
    reason: str = Field(..., max_length=200, description="用证事由")


class ConsentOut(Schema):
    identifier: str
    case: str
    department: str
    reason: str
    mode: str
    given_at: dt.datetime


class UseIn(Schema):
    case: str = Field(..., max_length=40, description="办件编号:持证人须已授权本办件使用该证照")
    reason: str = Field(..., max_length=200, description="用证事由")


class ReadOut(Schema):
    use: UseOut
    copy_url: str = Field(..., description="加注件(仅供该事项使用)下载地址,同一令牌")


class StatusIn(Schema):
    status: str = Field(..., max_length=20, description="revoked 撤销 / cancelled 注销 / penalty_revoked 吊销 / expired 失效")
    reason: str = Field(..., max_length=300)
    case: str | None = Field(None, max_length=40, description="作出该决定的办件编号(可选)")


class VersionIn(Schema):
    kind: str = Field(..., max_length=10, description="change 变更 / renew 延续")
    reason: str = Field(..., max_length=300)
    face: dict[str, str] = Field({}, description="变更后的照面信息(仅变更的项)")
    valid_until: dt.date | None = Field(None, description="延续后的有效期至(空:按证照类型的有效期)")
    case: str | None = Field(None, max_length=40, description="变更/延续申请的办件编号(可选)")


class TypeOut(Schema):
    code: str = Field(..., description="证照类型代码:定义机关统一社会信用代码+3位顺序码")
    name: str
    authority: str
    holder_kind: str = Field(..., description="111 公民身份号码 / 001 统一社会信用代码")
    validity_years: int | None
    face_fields: list[dict]


def _public_licence(identifier: str):
    return services.find_licence(identifier)


def _staff_case(request, number: str | None) -> Case | None:
    from tongban.cases.selectors import is_visible

    if not number:
        return None
    case = Case.objects.select_related("item__department__region", "item_version", "applicant", "region").filter(number=number).first()
    if case is None or not is_visible(request.auth, case, staff_only=True):
        raise NotFound("未找到该办件,或您无权查看")
    return case


# --- public ---------------------------------------------------------------------------------------------------

@router.get("/types", response=answers(list[TypeOut], errors=PUBLIC_ERRORS), auth=None, summary="证照类型目录")
def types(request):
    return [{"code": t.code, "name": t.name, "authority": t.authority_name, "holder_kind": t.holder_kind,
             "validity_years": t.validity_years, "face_fields": t.face_fields} for t in LicenceType.objects.filter(active=True)]


@router.get("/verify/{identifier}", response=answers(VerifyOut, errors=PUBLIC_ERRORS), auth=None,
            summary="核验电子证照(二维码所指):真伪与当前状态,持证主体脱敏")
def verify(request, identifier: str):
    return selectors.verification(_public_licence(identifier[:120]))


@router.post("/verify-pdf", response=answers(PdfCheckOut, errors=PUBLIC_ERRORS), auth=None,
             summary="核验证照文件:电子签章是否有效、文件是否在签章后被修改")
def verify_pdf(request, file: UploadedFile = File(..., description="证照 PDF 文件")):
    if file.size and file.size > 20 * 1024 * 1024:
        raise DomainError("file_too_large", "文件不得超过20MB", field="file")
    result = documents.check_pdf(file.read())
    licence = result.pop("licence")
    return {**result, "licence": selectors.verification(licence) if licence else None}


@router.get("/holders/{token}", response=answers(WalletOut, errors=PUBLIC_ERRORS), auth=None,
            summary="持证人本人的证照夹(证照、到期提醒、用证记录),凭证照夹地址中的令牌")
def holder_wallet(request, token: str):
    holder_id = selectors.holder_of(token)
    return selectors.wallet_out(selectors.wallet(holder_id))


@router.post("/holders/{token}/consents", response=answers(ConsentOut, 201, errors=PUBLIC_ERRORS), auth=None,
             summary="持证人网上授权:同意某办件的承办部门为该事由使用本人的证照")
def holder_consent(request, token: str, data: ConsentIn):
    holder_id = selectors.holder_of(token)
    licence = _public_licence(data.identifier)
    case = Case.objects.select_related("item__department", "applicant", "item_version").filter(number=data.case).first()
    if licence.holder_id != holder_id or case is None or case.applicant.id_number != holder_id:
        raise NotFound("未找到该证照或办件")
    with tx.outer():
        consent = services.grant_consent(None, licence, case=case, reason=data.reason, mode="online", holder_confirmed=True)
    return Status(201, _consent_out(consent))


def _consent_out(consent) -> dict:
    return {"identifier": consent.licence.identifier, "case": consent.case.number, "department": consent.department.name,
            "reason": consent.reason, "mode": consent.mode, "given_at": consent.given_at}


# --- staff ----------------------------------------------------------------------------------------------------

@router.get("/wallet", response=answers(WalletOut), auth=STAFF_AUTH, summary="窗口查询申请人的证照夹(持证人在场时)")
def staff_wallet(request, holder: str = Query(..., max_length=18, description="持证人身份证号码或统一社会信用代码")):
    require(request.auth, Role.WINDOW_CLERK, what="查询证照夹")
    holder_id = holder.strip().upper()
    services.record_wallet_read(request.auth, holder_id)
    return {**selectors.wallet_out(selectors.wallet(holder_id)), "wallet_url": selectors.wallet_url(holder_id)}


@router.post("/consents", response=answers(ConsentOut, 201), auth=STAFF_AUTH, summary="窗口记录持证人的用证授权(持证人在场)")
def window_consent(request, data: ConsentIn):
    with tx.outer():
        case = _staff_case(request, data.case)
        consent = services.grant_consent(request.auth, _public_licence(data.identifier), case=case, reason=data.reason, mode="window")
    return Status(201, _consent_out(consent))


@router.post("/{identifier}/use", response=answers(ReadOut), auth=STAFF_AUTH,
             summary="为办件调阅证照(须持证人授权;未授权则拒绝,调阅尝试均记录)")
def use(request, identifier: str, data: UseIn):
    # no request transaction: a refused attempt is logged and must stay logged
    licence = _public_licence(identifier[:120])
    case = _staff_case(request, data.case)
    u = services.use_licence(request.auth, licence, case=case, reason=data.reason)
    return {"use": selectors.use_out(u), "copy_url": f"/api/v1/licences/uses/{u.pk}/copy.pdf"}


@router.get("/uses/{use_id}/copy.pdf", response=answers(bytes), auth=STAFF_AUTH, openapi_extra=PDF_RESPONSE,
            summary="下载加注件(仅供办理该事项使用,已加盖电子印章)")
def use_copy(request, use_id: int):
    u = get_object_or_404(Use.objects.select_related("licence__licence_type", "licence__issuer__region", "case", "department"),
                          pk=use_id, allowed=True, purpose=Use.Purpose.READ)
    _staff_case(request, u.case.number)
    response = HttpResponse(documents.annotated_copy(u), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{u.licence.number}-加注件.pdf"'
    return response


@router.get("/{identifier}", response=answers(LicenceOut), auth=STAFF_AUTH, summary="颁证单位查看证照")
def detail(request, identifier: str):
    return selectors.licence_out(selectors.managed_licence(request.auth, identifier[:120]))


@router.post("/{identifier}/status", response=answers(LicenceOut), auth=STAFF_AUTH, summary="撤销、注销、吊销或宣告失效(颁证单位)")
def change_status(request, identifier: str, data: StatusIn):
    with tx.outer():
        licence = selectors.managed_licence(request.auth, identifier[:120])
        licence = services.change_status(request.auth, licence, status=data.status, reason=data.reason,
                                         case=_staff_case(request, data.case))
    return selectors.licence_out(licence)


@router.post("/{identifier}/versions", response=answers(LicenceOut, 201), auth=STAFF_AUTH, summary="变更或延续:换发新版本(颁证单位)")
def new_version(request, identifier: str, data: VersionIn):
    with tx.outer():
        licence = selectors.managed_licence(request.auth, identifier[:120])
        new = services.new_version(request.auth, licence, kind=data.kind, reason=data.reason, face=data.face,
                                   valid_until=data.valid_until, case=_staff_case(request, data.case))
    return Status(201, selectors.licence_out(new))
