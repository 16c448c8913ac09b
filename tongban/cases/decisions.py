"""Decisions and the exit (统一出件): the authority's decision, delivery at the window, by free mail or
electronically, and the post-check of informed commitments."""

import datetime as dt
import secrets


from tongban.core import tx
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.org.models import Window

from .models import Breach, Case, CaseDocument, CaseState, Delivery, PostCheck
from . import events, transitions
from .common import complete_with, decide_now, record_event, locked, not_parent, require_clerk, set_state, today, record_visit


def record_decision(actor, case: Case, *, approve: bool, note: str = "", on: dt.date | None = None,
                    through_process: bool = False) -> Case:
    """The authority's decision on an accepted case. A case with a back-office process is decided only
    through its decision step (the workflow calls this with `through_process=True`)."""
    on = today(on)
    transitions.require(actor, case, "decide")
    if not approve and not note.strip():
        raise DomainError("denial_reason", "不予许可必须说明理由", field="note")
    not_parent(case, "作出决定")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "decide_process" if through_process else "decide")
        if approve and PostCheck.objects.filter(case=case, result=PostCheck.Result.FAILED).exists():
            raise Conflict("commitment_false", "告知承诺经核查不实,不能准予许可")
        decide_now(actor, case, approve, note, on)
    return case

def _check_deliverable(case: Case):
    not_parent(case, "送达结果")
    if case.gap_open and case.state in (CaseState.APPROVED, CaseState.DENIED):
        raise Conflict("gap_open", "容缺受理的材料尚未补齐,结果暂不能送达")
    if case.documents.exclude(state=CaseDocument.State.ISSUED).exists():
        raise Conflict("document_issuing", "决定文书尚未签发完成(签发中或签发失败),暂不能出件")
    from .models import Payment

    if Payment.objects.filter(case=case, state=Payment.State.DUE).exists():
        raise Conflict("unpaid", "该办件有未缴纳的费用(收费清单),缴费后方可送达结果")
    transitions.check(case, "deliver")

def track_token(number: str) -> str:
    """The unguessable part of the public progress address printed in the QR code."""
    from tongban.core.keys import keyed_digest

    return keyed_digest("CASE_TOKEN_KEY", "track", number)[:12]

def pickup_code(case: Case) -> str:
    """The code the applicant shows at the exit window; derived so it needs no storage before delivery."""
    from tongban.core.keys import keyed_digest

    digest = keyed_digest("CASE_TOKEN_KEY", "pickup", case.number)
    return f"{int(digest[:12], 16) % 1000000:06d}"

def deliver(actor, case: Case, *, method: str, received_by: str = "", id_checked: bool = False, code: str = "",
            window: Window | None = None, on: dt.date | None = None) -> Case:
    """统一出件: at the window (pickup code and the receiver's ID checked) or electronically."""
    on = today(on)
    require_clerk(actor, case, "送达结果")
    with tx.atomic():
        case = locked(case)
        _check_deliverable(case)
        if method == Delivery.Method.WINDOW:
            if not received_by.strip() or not id_checked:
                raise DomainError("receiver_check", "窗口领取须登记领取人并核验身份证件", field="received_by")
            if not secrets.compare_digest(code.strip(), pickup_code(case)):
                raise DomainError("pickup_code", "取件码不正确", field="code")
            record_visit(case, "领取结果", window)
            delivery = Delivery(case=case, method=method, pickup_code=code, received_by=received_by, receiver_id_checked=True, delivered_on=on)
        elif method == Delivery.Method.ELECTRONIC:
            delivery = Delivery(case=case, method=method, delivered_on=on)
        else:
            raise DomainError("delivery_method", "邮寄送达请先登记邮寄信息", field="method")
        complete_with(actor, case, delivery, on)
    return case

def register_mail(actor, case: Case, *, recipient: str, address: str, phone: str, courier: str, tracking_number: str,
                  on: dt.date | None = None) -> Delivery:
    """免费邮寄: the result is posted; the case completes when the courier confirms delivery."""
    on = today(on)
    require_clerk(actor, case, "登记邮寄")
    for field, value, label in [("recipient", recipient, "收件人"), ("address", address, "邮寄地址"), ("phone", phone, "收件电话"),
                                ("courier", courier, "快递公司"), ("tracking_number", tracking_number, "运单号")]:
        if not str(value).strip():
            raise DomainError("mail_field", f"请填写{label}", field=field)
    with tx.atomic():
        case = locked(case)
        _check_deliverable(case)
        delivery, _ = Delivery.objects.update_or_create(case=case, defaults=dict(
            method=Delivery.Method.MAIL, recipient=recipient, address=address, phone=phone, courier=courier,
            tracking_number=tracking_number, mail_state=Delivery.MailState.POSTED,
        ))
        record_event(case, actor, "mail_posted", from_state=case.state, courier=courier, tracking=tracking_number)
    return delivery

def confirm_mail_delivered(actor, case: Case, *, on: dt.date | None = None) -> Case:
    on = today(on)
    require_clerk(actor, case, "确认邮件签收")
    with tx.atomic():
        case = locked(case)
        delivery = Delivery.objects.filter(case=case, method=Delivery.Method.MAIL).first()
        if delivery is None:
            raise Conflict("no_mail", "本办件没有邮寄记录")
        _check_deliverable(case)
        delivery.mail_state, delivery.delivered_on = Delivery.MailState.DELIVERED, on
        complete_with(actor, case, delivery, on)
    return case

def record_post_check(actor, case: Case, *, passed: bool, note: str, on: dt.date | None = None) -> PostCheck:
    """事后核查 of an informed commitment (告知承诺), by a reviewer of the item's department. A false
    commitment is recorded against the applicant (失信记录) and revokes the approval it obtained (撤销许可)."""
    on = today(on)
    transitions.require(actor, case, "post_check")
    if not passed and not note.strip():
        raise DomainError("post_check_note", "核查不实须说明情况", field="note")
    with tx.atomic():
        case = locked(case)
        check = PostCheck.objects.select_for_update().filter(case=case).first()
        if check is None:
            raise NotFound("本办件没有告知承诺事后核查任务")
        if check.result != PostCheck.Result.PENDING:
            raise Conflict("post_check_done", "事后核查已完成")
        transitions.check(case, "post_check")
        check.result = PostCheck.Result.PASSED if passed else PostCheck.Result.FAILED
        check.checked_on, check.checked_by, check.note = on, actor, note
        check.save()
        record_event(case, actor, "post_checked", from_state=case.state, reason=note, passed=passed)
        if not passed:
            Breach.objects.create(applicant=case.applicant, case=case, on=on, note=note)
            if case.state in transitions.VERBS["revoke"].states:
                transitions.check(case, "revoke")
                before = case.state
                set_state(case, CaseState.REVOKED)
                reason = f"告知承诺事后核查不实,依法撤销许可:{note}"
                record_event(case, actor, "revoked", from_state=before, reason=reason)
                events.case_revoked.send(sender=Case, case=case, actor=actor, on=on, reason=reason)
    return check
