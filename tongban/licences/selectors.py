"""Reads the pages and the API share: the public verification, the holder's wallet, the issuer's list."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tongban.core.errors import NotFound
from tongban.core.keys import fernet
from tongban.org.models import Role, RoleGrant

from .models import Licence, LicenceStatus, LicenceType, Reminder, Use

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


# The wallet's three reads in SQL written out and sent together: the window and the portal read a wallet on every
# visit, and the ORM compiling three queries with their joins cost more than PostgreSQL answering them (about 10 ms of
# CPU against well under 1 ms), and so did three round trips on a busy server. Each is one indexed lookup by the
# holder (licence_wallet, licence_use_holder, the reminder's holder_id); on PostgreSQL they go in one round trip
# (psycopg's pipeline mode). What the page and the API show of the related rows comes in the same row (columns
# named `<prefix>__<column>`) and is attached as instances holding those columns only (any other field of them
# loads on access, as with QuerySet.only()).
_LICENCE_COLUMNS = ", ".join(f"l.{f.column}" for f in Licence._meta.concrete_fields)
WALLET_LICENCES_SQL = f"""
    SELECT {_LICENCE_COLUMNS}, t.id AS type__id, t.code AS type__code, t.name AS type__name, c.id AS case__id,
           c.number AS case__number, p.id AS prev__id, p.identifier AS prev__identifier
    FROM licences_licence l JOIN licences_licencetype t ON t.id = l.licence_type_id
    LEFT JOIN cases_case c ON c.id = l.case_id LEFT JOIN licences_licence p ON p.id = l.previous_id
    WHERE l.holder_id = %s ORDER BY l.issued_on DESC, l.id DESC LIMIT 500"""
WALLET_USES_SQL = f"""
    SELECT u.id, u.licence_id, u.holder_id, u.department_id, u.case_id, u.purpose, u.mode, u.reason, u.allowed, u.refusal,
           u.actor_id, u.at, l.id AS lic__id, l.identifier AS lic__identifier, l.licence_type_id AS lic__licence_type_id,
           t.id AS type__id, t.code AS type__code, t.name AS type__name, d.id AS dept__id, d.name AS dept__name,
           c.id AS case__id, c.number AS case__number, c.item_id AS case__item_id, c.item_version_id AS case__item_version_id,
           c.bundle_id AS case__bundle_id, v.id AS iv__id, v.name AS iv__name, b.id AS bundle__id, b.name AS bundle__name
    FROM licences_use u JOIN licences_licence l ON l.id = u.licence_id JOIN licences_licencetype t ON t.id = l.licence_type_id
    LEFT JOIN org_department d ON d.id = u.department_id LEFT JOIN cases_case c ON c.id = u.case_id
    LEFT JOIN catalog_itemversion v ON v.id = c.item_version_id LEFT JOIN catalog_bundle b ON b.id = c.bundle_id
    WHERE u.holder_id = %s ORDER BY u.at DESC, u.id DESC LIMIT {WALLET_USES}"""
WALLET_REMINDERS_SQL = """
    SELECT r.id, r.licence_id, r.holder_id, r.threshold, r.due_on, r.created_on, r.message, r.channels,
           l.id AS lic__id, l.identifier AS lic__identifier, l.licence_type_id AS lic__licence_type_id,
           t.id AS type__id, t.code AS type__code, t.name AS type__name
    FROM licences_reminder r JOIN licences_licence l ON l.id = r.licence_id JOIN licences_licencetype t ON t.id = l.licence_type_id
    WHERE r.holder_id = %s AND l.status = %s AND l.valid_until >= %s ORDER BY r.created_on DESC, r.id DESC LIMIT 50"""


def _fetch(statements: list[tuple[str, list]]) -> list[list[dict]]:
    """Each statement's rows (dicts by column name); on PostgreSQL all of them in one round trip."""
    import contextlib

    from django.db import connection

    connection.ensure_connection()
    pipelined = connection.vendor == "postgresql" and hasattr(connection.connection, "pipeline")  # psycopg 3
    cursors = [connection.cursor() for _ in statements]
    try:
        with connection.connection.pipeline() if pipelined else contextlib.nullcontext():
            for cur, (sql, params) in zip(cursors, statements, strict=True):
                cur.execute(sql, params)
        out = []  # leaving the pipeline received every result
        for cur in cursors:
            names = [c[0] for c in cur.description]
            out.append([dict(zip(names, row, strict=True)) for row in cur.fetchall()])
        return out
    finally:
        for cur in cursors:
            cur.close()


def _build(model, row: dict, prefix: str = ""):
    """An instance of `model` from the row's columns named `prefix + attname` (converted as the ORM converts them);
    the model's other fields are deferred."""
    from django.db import connection

    names, values = [], []
    for f in model._meta.concrete_fields:
        key = prefix + f.attname
        if key in row:
            value = row[key]
            col, converters = _converters(f, connection.vendor)
            for convert in converters:
                value = convert(value, col, connection)
            names.append(f.attname)
            values.append(value)
    return model.from_db(connection.alias, names, values)


_CONVERTERS = {}


def _converters(field, vendor):
    if (field, vendor) not in _CONVERTERS:
        from django.db import connection

        col = field.get_col(field.model._meta.db_table)
        _CONVERTERS[field, vendor] = col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    return _CONVERTERS[field, vendor]


def _used_licence(row: dict) -> Licence:
    """The licence a use or a reminder row names (columns `lic__…`), with its type (`type__…`)."""
    licence = _build(Licence, row, "lic__")
    licence.licence_type = _build(LicenceType, row, "type__")
    return licence


def wallet(holder_id: str, on: dt.date | None = None) -> dict:
    """Every licence issued to the holder (all versions, newest first) with its status and expiry, the reminders,
    and the use log (who read which licence, for which case and reason, when: refused attempts too). Three
    statements whatever the holder has, in one round trip."""
    from django.db import connection

    from tongban.cases.models import Case
    from tongban.catalog.models import Bundle, ItemVersion
    from tongban.org.models import Department

    on = on or timezone.localdate()
    licence_rows, use_rows, reminder_rows = _fetch([
        (WALLET_LICENCES_SQL, [holder_id]), (WALLET_USES_SQL, [holder_id]),
        (WALLET_REMINDERS_SQL, [holder_id, LicenceStatus.VALID, connection.ops.adapt_datefield_value(on)]),
    ])
    licences = []
    for row in licence_rows:
        x = _build(Licence, row)
        x.licence_type = _build(LicenceType, row, "type__")
        x.case = _build(Case, row, "case__") if x.case_id else None
        x.previous = _build(Licence, row, "prev__") if x.previous_id else None
        licences.append(x)
    uses = []
    for row in use_rows:
        u = _build(Use, row)
        u.licence = _used_licence(row)
        u.department = _build(Department, row, "dept__") if u.department_id else None
        u.case = _build(Case, row, "case__") if u.case_id else None
        if u.case is not None:
            u.case.item_version = _build(ItemVersion, row, "iv__") if u.case.item_version_id else None
            u.case.bundle = _build(Bundle, row, "bundle__") if u.case.bundle_id else None
        uses.append(u)
    reminders = []
    for row in reminder_rows:
        r = _build(Reminder, row)
        r.licence = _used_licence(row)
        reminders.append(r)
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


