"""Every change to the licence library is one function here: in one transaction, permission first, an audit
entry, side effects (rendering, reminders' messages) on commit.

Issuing follows the case lifecycle: `cases` announces an approving decision (`case_decided`) and the receiver
(signals.py) calls `issue_for_case` inside that transaction; the face is rendered and sealed afterwards by a
background task (`render_licence`, idempotent)."""

import datetime as dt
import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed, NotFound
from tongban.core.identifiers import make_licence_identifier
from tongban.org.models import Department, Role
from tongban.org.scopes import has_role

from .models import (
    Consent, HolderKind, Licence, LicenceStatus, LicenceType, RenderState, Reminder, StatusChange, Use, UseMode,
)

logger = logging.getLogger(__name__)
St = LicenceStatus

# 撤销 (行政许可法 art. 69), 注销 (art. 70), 吊销 (a penalty), 失效: what staff may set on a valid licence.
STAFF_CHANGES = {
    St.REVOKED: "撤销", St.CANCELLED: "注销", St.PENALTY_REVOKED: "吊销", St.EXPIRED: "失效",
}
RENEWALS = {"change": "变更", "renew": "延续"}
HOLDER_FIELDS = {  # face fields that name the holder: always the holder's registered data, whatever the form says
    "持证主体": "name", "经营者名称": "name", "名称": "name", "姓名": "name", "单位名称": "name", "企业名称": "name",
    "统一社会信用代码": "id_number", "公民身份号码": "id_number",
}
HOLDER_FALLBACK = {  # filled from the holder when the application form leaves them out
    "法定代表人": "legal_rep", "法定代表人(负责人)": "legal_rep", "负责人": "legal_rep", "住所": "address", "地址": "address",
    "经营场所": "address", "注册地址": "address",
}
MAX_RENDER_ATTEMPTS = 5


def _today(on):
    return on or timezone.localdate()


def _clean(value, field: str, label: str, size: int, *, required: bool = True) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise DomainError(f"{field}_required", f"请填写{label}", field=field)
    if len(value) > size:
        raise DomainError("too_long", f"{label}不得超过{size}个字", field=field)
    return value


# --- issuing -------------------------------------------------------------------------------------------------

def _next_serial(issuer_code: str, year: int) -> str:
    """`2026` + 7 digits: one sequence row per issuer and year, bumped in one statement."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO licences_licencesequence (issuer_code, year, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (issuer_code, year) DO UPDATE SET last = licences_licencesequence.last + 1 RETURNING last",
            [issuer_code, year],
        )
        n = cur.fetchone()[0]
    return f"{year}{n:07d}"


def _licence_type_for(version) -> LicenceType | None:
    """The licence type an item version's approval produces (its 审批结果证照), if the library defines it."""
    name = (getattr(version, "licence_type", "") or "").strip()
    if not name:
        return None
    return LicenceType.objects.filter(name=name, active=True).first()


def _issuer_of(case) -> Department:
    """The authority that decided: the decision step's department (一枚印章管审批), else the item's."""
    from tongban.workflow.models import CaseStep, StepKind

    step = CaseStep.objects.filter(case=case, step__kind=StepKind.DECISION).select_related("department__region").first()
    return step.department if step else case.item.department


def face_of(licence_type: LicenceType, holder: dict, form: dict) -> dict:
    """The face fields (照面信息) of the type, filled from the holder and the application form and checked
    against the type's schema: required fields present, lengths within bounds."""
    face = {}
    for spec in licence_type.face_fields or []:
        name = spec["name"]
        if name in HOLDER_FIELDS:
            value = holder.get(HOLDER_FIELDS[name], "")
        else:
            value = form.get(name, "") or holder.get(HOLDER_FALLBACK.get(name, ""), "")
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        value = str(value or "").strip()
        if spec.get("required") and not value:
            raise DomainError("licence_face", f"颁发{licence_type.name}须有照面信息“{name}”:请在申请表中填写", field="form_data")
        if len(value) > int(spec.get("max_length") or 200):
            raise DomainError("licence_face", f"照面信息“{name}”不得超过{spec.get('max_length') or 200}个字", field="form_data")
        if value:
            face[name] = value
    return face


def _valid_until(licence_type: LicenceType, start: dt.date) -> dt.date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = start.replace(year=start.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + licence_type.validity_years, day=28)
    return end - dt.timedelta(days=1)


def create_licence(actor, *, licence_type: LicenceType, holder_kind: str, holder_id: str, holder_name: str, issuer: Department,
            face: dict, content: str, on: dt.date, valid_from: dt.date | None = None, valid_until: dt.date | None = None,
            case=None, previous: Licence | None = None) -> Licence:
    """The one step every issue shares (a decision's licence, a new version, a licence issued before the platform
    and loaded with its data: the demo, a migration script): number, identifier, audit entry, rendering on commit.
    The caller has checked permission and holds the transaction."""
    if previous is not None:
        serial, version = previous.serial, previous.version + 1
        issuer_code = previous.issuer_code
    else:
        issuer_code = issuer.credit_code
        serial, version = _next_serial(issuer_code, on.year), 1
    if version > 999:
        raise Conflict("licence_versions", "证照版本号已用尽(最多999个版本)")
    identifier = make_licence_identifier(licence_type.code, issuer_code, serial, version)
    region = issuer.region.code[:6]
    licence = Licence.objects.create(
        identifier=identifier, licence_type=licence_type, serial=serial, version=version, previous=previous,
        number=f"{licence_type.number_prefix}{region}{serial}" + (f"-{version}" if version > 1 else ""),
        holder_kind=holder_kind, holder_id=holder_id, holder_name=holder_name, issuer=issuer, issuer_name=issuer.name,
        issuer_code=issuer_code, case=case, face=face, content=content[:500], issued_on=on, valid_from=valid_from or on,
        valid_until=valid_until if valid_until is not None or previous is None else previous.valid_until,
    )
    record(actor, "licence.issued", licence, new=True, data={
        "identifier": identifier, "type": licence_type.code, "case": case.number if case else "",
        "previous": previous.identifier if previous else "",
    })
    transaction.on_commit(lambda: _enqueue_render(licence.pk))
    return licence


def _enqueue_render(licence_id: int) -> None:
    from .tasks import render_licence_task

    try:
        render_licence_task.enqueue(licence_id)
    except Exception:  # noqa: BLE001 - the scheduled sweep (render_pending) picks it up
        logger.exception("could not enqueue the rendering of licence %s", licence_id)


def issue_for_case(actor, case, on: dt.date | None = None) -> Licence | None:
    """An approving decision produces the licence its item version names, in the decision's transaction (the
    caller, the `case_decided` receiver, runs inside it). Idempotent: a case issues its licence once."""
    on = _today(on)
    licence_type = _licence_type_for(case.item_version)
    if licence_type is None:
        return None
    existing = Licence.objects.filter(case=case, previous__isnull=True).first()
    if existing is not None:
        return existing
    applicant = case.applicant
    # the holder's code is the applicant's own (an individual trader may hold a type defined for organisations)
    kind = HolderKind.PERSON if applicant.kind == "person" else HolderKind.ORG
    holder = {"name": applicant.name, "legal_rep": applicant.legal_rep, "address": applicant.address, "id_number": applicant.id_number}
    face = face_of(licence_type, holder, case.form_data or {})
    content = face.get(licence_type.content_field, "") if licence_type.content_field else ""
    with tx.atomic():
        return create_licence(actor, licence_type=licence_type, holder_kind=kind, holder_id=applicant.id_number, holder_name=applicant.name,
                       issuer=_issuer_of(case), face=face, content=content or f"准予{case.title}", on=on,
                       valid_until=_valid_until(licence_type, on), case=case)


def render_licence(licence_id: int) -> dict:
    """Render the licence face (PDF with its identifier and a QR code to the verification page), seal it with the
    issuer's key, store it. Idempotent: a licence already rendered is left as it is; a failure is counted and
    retried by the next run until MAX_RENDER_ATTEMPTS, then the licence stays 制证失败 for staff to see."""
    from . import documents

    licence = Licence.objects.select_related("licence_type", "issuer__region", "case").filter(pk=licence_id).first()
    if licence is None:
        return {"licence": licence_id, "state": "missing"}
    if licence.render_state == RenderState.ISSUED and licence.file:
        return {"licence": licence_id, "state": "issued", "again": False}
    try:
        pdf = documents.sealed_pdf(licence)
    except Exception as e:  # noqa: BLE001 - recorded on the row; the task is retried by the sweep
        attempts = licence.render_attempts + 1
        Licence.objects.filter(pk=licence.pk).update(
            render_attempts=attempts, render_error=str(e)[:300],
            render_state=RenderState.FAILED if attempts >= MAX_RENDER_ATTEMPTS else RenderState.PENDING)
        logger.exception("rendering licence %s failed", licence.identifier)
        return {"licence": licence_id, "state": "failed", "error": str(e)[:300]}
    with transaction.atomic():
        fresh = Licence.objects.select_for_update().get(pk=licence.pk)
        if fresh.render_state == RenderState.ISSUED and fresh.file:  # another worker finished first
            return {"licence": licence_id, "state": "issued", "again": False}
        fresh.file.save(f"{licence.identifier}.pdf", ContentFile(pdf), save=False)
        fresh.sha256 = hashlib.sha256(pdf).hexdigest()
        fresh.render_state, fresh.render_attempts, fresh.render_error = RenderState.ISSUED, fresh.render_attempts + 1, ""
        fresh.save(update_fields=["file", "sha256", "render_state", "render_attempts", "render_error"])
    return {"licence": licence_id, "state": "issued", "again": True}


def render_pending() -> dict:
    """The sweep: every licence still waiting for its face (a lost task, a failure to retry)."""
    done = [render_licence(pk)["state"] for pk in
            Licence.objects.filter(render_state=RenderState.PENDING).order_by("id").values_list("pk", flat=True)[:500]]
    return {"rendered": done.count("issued"), "failed": done.count("failed")}


# --- status and versions (staff of the issuing authority) ----------------------------------------------------

def can_manage(actor, licence: Licence) -> bool:
    dept = licence.issuer
    if dept is None:
        return bool(actor and actor.is_active and actor.is_superuser)
    return has_role(actor, Role.BUREAU_LEADER, department=dept) or has_role(actor, Role.REVIEWER, department=dept)


def _require_manager(actor, licence: Licence, what: str):
    if not can_manage(actor, licence):
        raise NotAllowed(f"只有颁证单位({licence.issuer_name})的审批人员可以{what}")


def _locked(licence: Licence) -> Licence:
    return Licence.objects.select_for_update(of=("self",)).select_related("licence_type", "issuer__region").get(pk=licence.pk)


def _set_status(actor, licence: Licence, status: str, reason: str, on: dt.date, case=None) -> Licence:
    before = licence.status
    licence.status, licence.status_reason, licence.status_case, licence.status_changed_on = status, reason, case, on
    licence.save(update_fields=["status", "status_reason", "status_case", "status_changed_on"])
    StatusChange.objects.create(licence=licence, from_status=before, to_status=status, reason=reason, case=case,
                                actor=actor if getattr(actor, "pk", None) else None, on=on)
    record(actor, f"licence.{status}", licence, data={"from": before, "to": status, "reason": reason,
                                                      "case": case.number if case else ""})
    return licence


def change_status(actor, licence: Licence, *, status: str, reason: str, case=None, on: dt.date | None = None) -> Licence:
    """撤销 / 注销 / 吊销 / 失效 a valid licence, with the reason and (when there is one) the case that decided it."""
    on = _today(on)
    if status not in STAFF_CHANGES:
        raise DomainError("licence_status", "状态应为 revoked 撤销、cancelled 注销、penalty_revoked 吊销 或 expired 失效", field="status")
    _require_manager(actor, licence, STAFF_CHANGES[status] + "证照")
    reason = _clean(reason, "reason", "原因", 300)
    with tx.atomic():
        licence = _locked(licence)
        if licence.status != St.VALID:
            raise Conflict("licence_not_valid", f"该证照当前状态为“{licence.get_status_display()}”,不能{STAFF_CHANGES[status]}")
        return _set_status(actor, licence, status, reason, on, case)


def revoke_for_case(actor, case, reason: str, on: dt.date | None = None) -> list[Licence]:
    """The approval was revoked (a false commitment): every valid licence it produced is revoked with it."""
    on = _today(on)
    out = []
    for licence in Licence.objects.filter(case=case, status=St.VALID).order_by("id"):
        out.append(_set_status(actor, _locked(licence), St.REVOKED, reason[:300], on, case))
    return out


def new_version(actor, licence: Licence, *, kind: str, reason: str, face: dict | None = None,
                valid_until: dt.date | None = None, case=None, on: dt.date | None = None) -> Licence:
    """变更 (changed face fields) or 延续 (a new validity): a new version under the same serial, linked to the
    old one, which becomes 已换发新版本. Only a valid licence (or one lapsed by time, for 延续) is replaced."""
    on = _today(on)
    if kind not in RENEWALS:
        raise DomainError("licence_renewal", "换发类型应为 change 变更 或 renew 延续", field="kind")
    _require_manager(actor, licence, RENEWALS[kind] + "证照")
    reason = _clean(reason, "reason", "原因", 300)
    face = {str(k)[:40]: _clean(v, "face", f"照面信息“{k}”", 200, required=False) for k, v in (face or {}).items()}
    with tx.atomic():
        licence = _locked(licence)
        allowed = {St.VALID, St.EXPIRED} if kind == "renew" else {St.VALID}
        if licence.status_on(on) not in allowed:
            raise Conflict("licence_not_valid", f"该证照当前状态为“{licence.status_label(on)}”,不能{RENEWALS[kind]}")
        known = {f["name"] for f in licence.licence_type.face_fields or []}
        unknown = sorted(set(face) - known)
        if unknown:
            raise DomainError("licence_face", f"证照类型没有照面信息项:{'、'.join(unknown)}", field="face")
        if kind == "change" and not face:
            raise DomainError("licence_face", "变更须写明变更后的照面信息", field="face")
        merged = {**licence.face, **{k: v for k, v in face.items() if v}}
        for spec in licence.licence_type.face_fields or []:
            if spec.get("required") and not merged.get(spec["name"]):
                raise DomainError("licence_face", f"照面信息“{spec['name']}”不能为空", field="face")
        if kind == "renew":
            valid_until = valid_until or _valid_until(licence.licence_type, max(on, licence.valid_until or on))
            if valid_until is not None and valid_until <= on:
                raise DomainError("licence_valid_until", "延续后的有效期须晚于今日", field="valid_until")
        else:
            valid_until = licence.valid_until
        content = merged.get(licence.licence_type.content_field, "") if licence.licence_type.content_field else licence.content
        _set_status(actor, licence, St.SUPERSEDED, f"{RENEWALS[kind]}:{reason}", on, case)
        issuer = licence.issuer or Department.objects.get(credit_code=licence.issuer_code)
        return create_licence(actor, licence_type=licence.licence_type, holder_kind=licence.holder_kind, holder_id=licence.holder_id,
                       holder_name=licence.holder_name, issuer=issuer, face=merged, content=content or licence.content, on=on,
                       valid_from=on if kind == "renew" else licence.valid_from, valid_until=valid_until, case=case or licence.case,
                       previous=licence)


# --- consent and use ----------------------------------------------------------------------------------------

def _using_department(case) -> Department:
    if case.item_id is None:
        raise DomainError("licence_case", "请在一件事的各子办件上用证", field="case")
    return case.item.department


def _may_handle(actor, case) -> bool:
    from tongban.cases.selectors import is_visible

    return bool(actor and getattr(actor, "is_authenticated", False)) and is_visible(actor, case, staff_only=True)


def grant_consent(actor, licence: Licence, *, case, reason: str, mode: str, holder_confirmed: bool = False) -> Consent:
    """用证授权: the holder lets the department handling `case` read `licence` for `reason`. Given online by the
    holder (their wallet address: `holder_confirmed`), or recorded at the window by staff who handle the case
    with the holder present. Only the holder's own licences for the holder's own cases."""
    if mode not in UseMode.values:
        raise DomainError("consent_mode", "授权方式应为 online、window、kiosk 或 agent", field="mode")
    if not holder_confirmed and not _may_handle(actor, case):
        raise NotFound("未找到该办件,或您无权查看")
    reason = _clean(reason, "reason", "事由", 200)
    if case.applicant.id_number != licence.holder_id:
        raise DomainError("consent_holder", "只能授权本人(本单位)的证照用于本人(本单位)的办件", field="licence")
    department = _using_department(case)
    with tx.atomic():
        consent, created = Consent.objects.get_or_create(licence=licence, case=case, defaults={
            "holder_id": licence.holder_id, "department": department, "reason": reason, "mode": mode,
            "recorded_by": actor if getattr(actor, "pk", None) else None,
        })
        if created:
            record(actor, "licence.consent_given", licence, data={"case": case.number, "department": department.name,
                                                                   "reason": reason, "mode": mode})
    return consent


def use_licence(actor, licence: Licence, *, case, reason: str) -> Use:
    """A department reads a holder's licence for a named case and reason (调阅加注件). Without the holder's
    consent for that case the reading is refused, and the attempt is logged all the same (the refusal commits
    on its own: the caller must not roll it back)."""
    if not _may_handle(actor, case):
        raise NotFound("未找到该办件,或您无权查看")
    reason = _clean(reason, "reason", "事由", 200)
    department = _using_department(case)
    consent = Consent.objects.filter(licence=licence, case=case).first()
    refusal = ""
    if consent is None:
        refusal = "持证人未授权本办件使用该证照"
    elif not licence.is_valid_on(timezone.localdate()):
        refusal = f"证照状态为“{licence.status_label()}”,不能使用"
    with transaction.atomic():
        use = Use.objects.create(licence=licence, holder_id=licence.holder_id, department=department, case=case,
                                 purpose=Use.Purpose.READ, mode=consent.mode if consent else "", reason=reason,
                                 allowed=not refusal, refusal=refusal, actor=actor)
        record(actor, "licence.used" if not refusal else "licence.use_refused", licence,
               data={"case": case.number, "department": department.name, "reason": reason, "refusal": refusal})
    if refusal:
        raise NotAllowed(f"不能调阅该证照:{refusal}(本次调阅已记录)", code="licence_no_consent" if consent is None else "licence_not_valid")
    return use


def record_reuse(actor, case, offers, mode: str, on: dt.date | None = None) -> list[Use]:
    """Intake satisfied materials from the holder's wallet with consent (reuse.materials_reused): the consent and
    the use are recorded in the intake's transaction."""
    uses = []
    mode = mode if mode in UseMode.values else UseMode.WINDOW
    for offer in offers:
        if offer.source != "licence":
            continue
        licence = Licence.objects.filter(identifier=offer.reference).first()
        if licence is None:
            continue
        reason = f"办理“{case.title}”免提交材料:{offer.extra.get('material_name', '')}".rstrip(":")[:200]
        department = _using_department(case)
        Consent.objects.get_or_create(licence=licence, case=case, defaults={
            "holder_id": licence.holder_id, "department": department, "reason": reason, "mode": mode,
            "recorded_by": actor if getattr(actor, "pk", None) else None,
        })
        uses.append(Use.objects.create(licence=licence, holder_id=licence.holder_id, department=department, case=case,
                                       purpose=Use.Purpose.REUSE, mode=mode, reason=reason, actor=actor if getattr(actor, "pk", None) else None))
        record(actor, "licence.reused", licence, data={"case": case.number, "department": department.name, "mode": mode})
    return uses


# --- reminders ----------------------------------------------------------------------------------------------

def send_reminders(day: dt.date | None = None) -> dict:
    """到期提醒: each valid licence expiring within 90 and within 30 days gets one reminder per threshold (the
    unique constraint holds however often the scan runs), stored for the holder's wallet (in-app) and passed to
    the configured backends (SMS, e-mail) after commit."""
    from .reminders import backends

    day = _today(day)
    made = 0
    for threshold in Reminder.THRESHOLDS:
        due = (Licence.objects.filter(status=St.VALID, valid_until__gte=day, valid_until__lte=day + dt.timedelta(days=threshold))
               .exclude(reminders__threshold=threshold).select_related("licence_type").order_by("valid_until", "id"))
        for licence in due.iterator(chunk_size=500):
            left = (licence.valid_until - day).days
            message = (f"您的{licence.licence_type.name}(编号{licence.number})将于{licence.valid_until:%Y年%m月%d日}到期,"
                       f"还有{left}天,请及时办理延续。")
            channels = [b.name for b in backends()]
            with transaction.atomic():
                reminder, created = Reminder.objects.get_or_create(licence=licence, threshold=threshold, defaults={
                    "holder_id": licence.holder_id, "due_on": licence.valid_until, "created_on": day, "message": message,
                    "channels": channels,
                })
                if created:
                    made += 1
                    transaction.on_commit(lambda r=reminder: [b.send(r) for b in backends()])
    return {"reminders": made}


def find_licence(identifier: str) -> Licence:
    """The licence with this identifier (validated first: a malformed one is a 400 naming what is wrong). One
    indexed lookup with its type: the verification page's hot path."""
    from tongban.core.identifiers import validate_licence_identifier

    found = list(Licence.objects.select_related("licence_type").filter(identifier=validate_licence_identifier(identifier)).order_by()[:1])
    if not found:
        raise NotFound("电子证照库中没有该标识的证照")
    return found[0]


def record_wallet_read(actor, holder_id: str) -> None:
    """A member of staff read a holder's wallet (personal data): one audit entry, on the reader's own chain (one
    insert; readers of the same holder never wait on one another), naming the holder masked."""
    record(actor, "licence.wallet_read", object_type="licences.wallet", object_id=holder_id[:6] + "****" + holder_id[-4:],
           chain=f"licences.wallet_read:{getattr(actor, 'pk', '')}")
