"""Reads the pages and the API share: the public verification, the holder's wallet, the issuer's list."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tongban.core.errors import NotFound
from tongban.core.keys import fernet
from tongban.org.models import Role, RoleGrant

from .models import Licence, Reminder, Use

WALLET_USES = 100


def wallet_token(holder_id: str) -> str:
    """The holder's wallet address token (the portal links it after the holder signs in; the window prints it for
    the holder): the holder's code encrypted, so the address carries no personal data and cannot be guessed."""
    return fernet("CASE_TOKEN_KEY").encrypt(holder_id.strip().upper().encode()).decode()


def wallet_url(holder_id: str) -> str:
    return f"{settings.SITE_URL}/licences/wallet/{wallet_token(holder_id)}/"


def holder_of(token: str) -> str:
    """The holder a wallet token stands for, or NotFound for anything else."""
    from cryptography.fernet import InvalidToken

    try:
        holder_id = fernet("CASE_TOKEN_KEY").decrypt(str(token or "")[:400].encode()).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise NotFound("未找到该证照夹") from None
    return holder_id


def verification(licence: Licence, on: dt.date | None = None) -> dict:
    """What anyone scanning the QR may read: genuine (in the library), valid now, the face's public part, the
    holder masked."""
    on = on or timezone.localdate()
    status = licence.status_on(on)
    replaced_by = getattr(licence, "next_version", None) if status == "superseded" else None
    return {
        "identifier": licence.identifier, "genuine": True, "valid": licence.is_valid_on(on), "status": status,
        "status_name": licence.status_label(on), "status_reason": licence.status_reason if status != "valid" else "",
        "status_changed_on": licence.status_changed_on, "type": licence.licence_type.name, "type_code": licence.licence_type.code,
        "number": licence.number, "holder": licence.masked_holder_name, "holder_id": licence.masked_holder_id,
        "issuer": licence.issuer_name, "issued_on": licence.issued_on, "valid_from": licence.valid_from,
        "valid_until": licence.valid_until, "content": licence.content, "version": licence.version,
        "replaced_by": replaced_by.identifier if replaced_by else None, "sha256": licence.sha256,
        "rendered": licence.render_state == "issued",
    }


def wallet(holder_id: str, on: dt.date | None = None) -> dict:
    """Every licence issued to the holder (all versions, newest first) with its status and expiry, the reminders,
    and the use log (who read which licence, for which case and reason, when: refused attempts too)."""
    on = on or timezone.localdate()
    # one indexed query each (licence_wallet, licence_use_holder, the reminder's holder_id), with everything the
    # page and the API show joined in: the statements do not grow with the holder's licences or uses
    licences = list(Licence.objects.filter(holder_id=holder_id).select_related("licence_type", "case", "previous")
                    .order_by("-issued_on", "-id")[:500])
    uses = list(Use.objects.filter(holder_id=holder_id).select_related(
        "licence__licence_type", "department", "case__item_version", "case__bundle")[:WALLET_USES])
    reminders = list(Reminder.objects.filter(holder_id=holder_id, licence__status="valid", licence__valid_until__gte=on)
                     .select_related("licence__licence_type")[:50])
    return {"holder_id": holder_id, "licences": licences, "uses": uses, "reminders": reminders, "on": on,
            "holder_name": licences[0].holder_name if licences else ""}


def licence_out(licence: Licence, on: dt.date | None = None) -> dict:
    on = on or timezone.localdate()
    return {
        "identifier": licence.identifier, "type": licence.licence_type.name, "number": licence.number, "version": licence.version,
        "status": licence.status_on(on), "status_name": licence.status_label(on), "status_reason": licence.status_reason,
        "holder": licence.masked_holder_name, "holder_id": licence.masked_holder_id, "issuer": licence.issuer_name,
        "issued_on": licence.issued_on, "valid_from": licence.valid_from, "valid_until": licence.valid_until,
        "days_left": (licence.valid_until - on).days if licence.valid_until else None, "content": licence.content,
        "face": licence.face, "case": licence.case.number if licence.case_id else None,
        "previous": licence.previous.identifier if licence.previous_id else None,
        "render_state": licence.render_state, "verify_url": licence.verify_url,
    }


def use_out(use: Use) -> dict:
    return {
        "id": use.pk, "identifier": use.licence.identifier, "type": use.licence.licence_type.name,
        "department": use.department.name if use.department_id else "", "case": use.case.number if use.case_id else None,
        "item": use.case.title if use.case_id else "", "purpose": use.purpose, "purpose_name": use.get_purpose_display(),
        "mode": use.mode, "reason": use.reason, "allowed": use.allowed, "refusal": use.refusal, "at": use.at,
    }


def wallet_out(data: dict) -> dict:
    return {
        "holder_id": data["holder_id"][:6] + "****" + data["holder_id"][-4:],
        "licences": [licence_out(x, data["on"]) for x in data["licences"]],
        "reminders": [{"identifier": r.licence.identifier, "type": r.licence.licence_type.name, "threshold": r.threshold,
                       "due_on": r.due_on, "created_on": r.created_on, "message": r.message} for r in data["reminders"]],
        "uses": [use_out(u) for u in data["uses"]],
    }


def managed_licences(user, q: str = "", limit: int = 50) -> list[Licence]:
    """The licences a member of staff may manage: those issued by their department(s) (reviewers and leaders), or
    in their region; searched by identifier, number or holder name."""
    if not user.is_authenticated:
        return []
    qs = Licence.objects.select_related("licence_type")
    if not user.is_superuser:
        scope = Q(pk__in=[])
        for g in RoleGrant.objects.filter(user=user, role__in=[Role.REVIEWER, Role.BUREAU_LEADER, Role.SYSTEM_ADMIN]).select_related("region"):
            if g.role == Role.SYSTEM_ADMIN:
                scope |= Q(issuer__region__path__startswith=g.region.path)
            elif g.department_id:
                scope |= Q(issuer_id=g.department_id)
            else:
                scope |= Q(issuer__region__path__startswith=g.region.path)
        qs = qs.filter(scope)
    q = (q or "").strip()[:120]
    if q:
        qs = qs.filter(Q(identifier=q.upper()) | Q(number=q.upper()) | Q(holder_name__contains=q))
    return list(qs.order_by("-issued_on", "-id")[:limit])


def managed_licence(user, identifier: str) -> Licence:
    from .services import can_manage, find_licence

    licence = find_licence(identifier)
    if not can_manage(user, licence):
        raise NotFound("电子证照库中没有该标识的证照,或您无权管理")
    return licence


