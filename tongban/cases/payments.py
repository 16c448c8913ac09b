"""Fees (F1 收费清单) on a case: the window charges a fee of the item's fee list (缴款通知), the applicant pays
online through a pluggable payment backend (`settings.PAYMENT_BACKEND`; the demo gateway signs its callbacks with
HMAC-SHA256; production: the non-tax payment platform 非税收入收缴平台) or at the hall's payment window; a
callback is verified and idempotent; an unpaid charge keeps the result from being delivered
(`decisions._check_deliverable`); a paid one has an e-receipt (电子票据, PDF)."""

import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotFound

from .common import locked, record_event, require_clerk
from .models import Case, Payment

MAX_FEN = 10_000_000  # 十万元: more is a typo, not a fee of the list


class DemoGateway:
    """The demo gateway: `pay_url` opens the platform's own demo cashier page; the callback body is JSON signed with
    HMAC-SHA256 in the `X-Signature` header."""

    def _key(self) -> bytes:
        from tongban.core.keys import keyed_digest

        return (getattr(settings, "PAYMENT_GATEWAY_KEY", "") or keyed_digest("CASE_TOKEN_KEY", "payment-gateway", "demo")).encode()

    def pay_url(self, payment: Payment) -> str:
        return f"/pay/demo/{payment.order_no}/"

    def sign(self, body: bytes) -> str:
        return hmac.new(self._key(), body, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, signature: str) -> dict:
        if not signature or not hmac.compare_digest(self.sign(body), signature):
            raise DomainError("bad_signature", "支付回调签名无效", field="X-Signature")
        try:
            data = json.loads(body)
        except ValueError:
            raise DomainError("bad_callback", "支付回调内容无法解析") from None
        if not isinstance(data, dict) or not data.get("order_no") or data.get("status") != "paid":
            raise DomainError("bad_callback", "支付回调缺少订单号或状态")
        return data


def backend():
    return import_string(getattr(settings, "PAYMENT_BACKEND", "tongban.cases.payments.DemoGateway"))()


def charge_fee(actor, case: Case, *, fee_code: str, amount_fen: int) -> Payment:
    """缴款通知: a fee named in the fee list of the case's guide version, with the amount the standard gives."""
    require_clerk(actor, case, "开具缴款通知")
    fee = case.item_version.fees.select_related("fee_entry").filter(fee_entry__code=fee_code).first() if case.item_version_id else None
    if fee is None:
        raise DomainError("fee_not_listed", "该收费项目不在本事项办事指南的收费清单内,不得收取", field="fee_code")
    if not 1 <= int(amount_fen) <= MAX_FEN:
        raise DomainError("fee_amount", "金额应在0.01元至10万元之间", field="amount_fen")
    with tx.atomic():
        case = locked(case)
        if case.state in ("completed", "refused", "withdrawn", "revoked"):
            raise Conflict("wrong_state", f"办件当前状态为“{case.get_state_display()}”,不能收费")
        p = Payment.objects.create(case=case, fee_code=fee_code, fee_name=fee.fee_entry.name, amount_fen=int(amount_fen),
                                   order_no=f"JK{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}")
        record_event(case, actor, "fee_charged", from_state=case.state, fee=fee_code, amount_fen=int(amount_fen), order=p.order_no)
    from .sms import tell

    tell(case.applicant, f"您的办件{case.number}需缴纳{p.fee_name}{p.amount}元,可登录网上办事大厅在线缴费或到大厅缴费窗口缴纳。", case=case,
         kind="payment")
    return p


def _settle(payment_id: int, method: str, gateway_ref: str, actor=None) -> Payment:
    p = Payment.objects.select_for_update().get(pk=payment_id)
    if p.state == Payment.State.PAID:  # a repeated callback: the first answer stands
        return p
    p.state, p.method, p.gateway_ref, p.paid_at = Payment.State.PAID, method, gateway_ref[:64], timezone.now()
    p.receipt_no = f"PJ{timezone.localdate():%Y%m%d}{p.pk:08d}"
    p.save()
    record_event(p.case, actor, "fee_paid", from_state=p.case.state, order=p.order_no, method=method, receipt=p.receipt_no)
    return p


def gateway_callback(body: bytes, signature: str) -> Payment:
    """The gateway's notification: verified by signature, idempotent (a repeat changes nothing)."""
    data = backend().verify(body, signature)
    with tx.atomic():
        p = Payment.objects.filter(order_no=str(data["order_no"])[:40]).first()
        if p is None:
            raise NotFound("未找到该缴款单")
        if int(data.get("amount_fen", -1)) != p.amount_fen:
            raise DomainError("amount_mismatch", "支付金额与缴款单不一致", field="amount_fen")
        return _settle(p.pk, Payment.Method.ONLINE, str(data.get("gateway_ref", "")))


def paid_at_hall(actor, payment: Payment, *, receipt_ref: str = "") -> Payment:
    """The hall's payment window took the money (POS or cash): the clerk records it."""
    require_clerk(actor, payment.case, "登记大厅缴费")
    with tx.atomic():
        locked(payment.case)
        p = _settle(payment.pk, Payment.Method.HALL, receipt_ref or "hall", actor)
        record(actor, "payment.hall", p.case, data={"order": p.order_no})
    return p


def receipt_pdf(payment: Payment) -> bytes:
    """电子票据 (a demo layout of the non-tax payment receipt)."""
    from django.utils import timezone

    from tongban.core.pdf import cn_date, render_typst

    if payment.state != Payment.State.PAID:
        raise Conflict("unpaid", "未缴费的缴款单没有电子票据")
    case = payment.case
    how = f"{payment.get_method_display()}(缴款单号 {payment.order_no}" + (f",流水号 {payment.gateway_ref}" if payment.gateway_ref else "") + ")"
    return render_typst("cases/typst/receipt_payment.typ", {
        "receipt_no": payment.receipt_no, "paid_on": cn_date(timezone.localtime(payment.paid_at).date()) if payment.paid_at else "",
        "rows": [["缴款人", case.applicant.name], ["办件编号", f"{case.number}({case.title})"],
                 ["收费项目", f"{payment.fee_code} {payment.fee_name}"], ["金额", f"人民币 {payment.amount} 元"],
                 ["缴款方式", how], ["执收单位", case.item.department.name if case.item_id else ""]],
    })
