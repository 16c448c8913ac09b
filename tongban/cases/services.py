"""Intake and exit: every change to a case is one function here, in one transaction, with a row lock,
a permission check, a history event and an entry in the case's audit chain."""

import datetime as dt
import json
import logging

from django.db import connection
from django.utils import timezone

from tongban.catalog.models import CaseKind, Item, Material, PubStatus
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.identifiers import validate_id_card, validate_uscc
from tongban.org.models import Role, Window
from tongban.org.scopes import has_role, require
from tongban.workcal import clocks
from tongban.workcal.days import add_working_days

from . import events, reuse, selectors, transitions
from .models import Applicant, Case, CaseMaterial, CaseState, Channel, Delivery, GapCommitment, Mandate, Notice, PostCheck
from .common import (
    complete_parent_if_done, complete_with, decide_now,
    S, record_event, guide_materials_of, is_parent, locked, guide_material, not_parent, provisional_number, require_clerk,
    require_submitter, set_state, store_material, today, record_visit,
)
# The exit lives in decisions.py; callers keep importing every verb of a case from here.
from .decisions import (  # noqa: F401
    confirm_mail_delivered, deliver, pickup_code, record_decision, record_post_check, register_mail, track_token,
)

logger = logging.getLogger(__name__)
POST_CHECK_DAYS = 20
FORM_DATA_MAX = 64 * 1024  # characters of the application form as JSON
AUTO_ACCEPT_DAYS = 5  # 行政许可法 art. 32
REMEDIES = (
    "申请人如对本决定不服,可以自收到本决定书之日起六十日内依照《中华人民共和国行政复议法》申请行政复议,"
    "或者自收到本决定书之日起六个月内依照《中华人民共和国行政诉讼法》向人民法院提起行政诉讼。"
)


def register_applicant(actor, *, kind: str, id_number: str, name: str, phone: str = "", address: str = "", legal_rep: str = "") -> Applicant:
    """Find the applicant by ID number or credit code, or register them. The number is validated. Only staff who
    receive applications may ask (the registry is read after that check). A registered applicant's data is never
    overwritten here: contact details given with an application are recorded on the case (`contact_given`)."""
    if not (has_role(actor, Role.WINDOW_CLERK) or has_role(actor, Role.AGENT)):
        raise NotAllowed("只有窗口工作人员或帮代办员可以登记申请人")
    if kind == Applicant.Kind.PERSON:
        number = validate_id_card(id_number)
    elif kind == Applicant.Kind.ORG:
        number = validate_uscc(id_number)
    else:
        raise DomainError("applicant_kind", "申请人类型应为自然人(person)或法人(org)", field="kind")
    if not name.strip():
        raise DomainError("applicant_name", "请填写申请人姓名或名称", field="name")
    for field, value, size, label in (("name", name, 120, "姓名或名称"), ("address", address, 200, "地址"), ("legal_rep", legal_rep, 40, "法定代表人")):
        if len(value) > size:
            raise DomainError("too_long", f"{label}不得超过{size}个字", field=field)
    phone = phone.strip()
    digits = phone.replace("-", "").replace(" ", "")
    if phone and not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 12):
        raise DomainError("applicant_phone", "联系电话应为7至12位数字(固定电话可含区号和“-”)", field="phone")
    with tx.atomic():
        applicant, created = Applicant.objects.select_for_update().get_or_create(
            id_number=number, defaults={"kind": kind, "name": name.strip(), "phone": phone, "address": address, "legal_rep": legal_rep},
        )
        if not created:
            if applicant.name != name.strip():
                raise DomainError("applicant_name_mismatch",
                                  f"该证件号码已登记的{'姓名' if applicant.kind == Applicant.Kind.PERSON else '名称'}与填写的不一致,请核对证件",
                                  field="name")
        else:
            record(actor, "applicant.registered", applicant, data={"kind": kind})
    return applicant

def contact_given(applicant: Applicant, phone: str = "", address: str = "") -> dict:
    """Contact details given with an application that differ from the applicant's registered ones: kept on the
    case (the registered data changes only by the applicant's own act), never written over the registry."""
    given = {"phone": (phone or "").strip(), "address": (address or "").strip()}
    return {k: v for k, v in given.items() if v and v != getattr(applicant, k)}

def register_mandate(actor, *, applicant: Applicant, agent_name: str, agent_id_number: str, scope: str,
                     agent_phone: str = "", valid_until: dt.date | None = None, agent_user=None) -> Mandate:
    """A written authorisation for an agent (代理人, or a 帮代办员 account) to apply for the applicant."""
    number = validate_id_card(agent_id_number)
    if not agent_name.strip() or not scope.strip():
        raise DomainError("mandate_fields", "请填写代理人姓名和委托事项", field="agent_name")
    if valid_until and valid_until < timezone.localdate():
        raise DomainError("mandate_expired", "委托书已过有效期", field="valid_until")
    if valid_until and valid_until > timezone.localdate() + dt.timedelta(days=3 * 366):
        raise DomainError("mandate_too_long", "委托书有效期自今日起不得超过三年", field="valid_until")
    for field, value, size, label in (("agent_name", agent_name, 40, "代理人姓名"), ("scope", scope, 200, "委托事项"),
                                      ("agent_phone", agent_phone, 20, "代理人电话")):
        if len(value) > size:
            raise DomainError("too_long", f"{label}不得超过{size}个字", field=field)
    if agent_user is not None and not has_role(agent_user, Role.AGENT):
        raise DomainError("mandate_agent", "该账号不是帮代办员", field="agent_user")
    mandate = Mandate.objects.create(applicant=applicant, agent_name=agent_name.strip(), agent_id_number=number,
                                     agent_phone=agent_phone, scope=scope, valid_until=valid_until, agent_user=agent_user)
    record(actor, "mandate.registered", applicant, data={"mandate": mandate.pk, "scope": scope})
    return mandate

def _next_number(region_code: str, day: dt.date) -> str:
    """`370800-20261122-000123`: one sequence row per region and day, bumped in one statement."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO cases_casesequence (region_code, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (region_code, day) DO UPDATE SET last = cases_casesequence.last + 1 RETURNING last",
            [region_code, day],
        )
        n = cur.fetchone()[0]
    return f"{region_code}-{day:%Y%m%d}-{n:06d}"

def submit_case(
    actor, *, applicant: Applicant, item: Item | None = None, bundle=None, channel: str = Channel.WINDOW,
    window: Window | None = None, mandate: Mandate | None = None, materials: list[dict] = (), form_data: dict | None = None,
    on: dt.date | None = None, contact: dict | None = None,
) -> Case:
    """Receive an application for a published item or bundle (收件). Materials: [{"material": id, "status":
    "provided"|"original_seen"|"shared", "file": UploadedFile?}] — only materials the guide lists."""
    on = today(on)
    if (item is None) == (bundle is None):
        raise DomainError("case_target", "请选择一个事项或一件事", field="item")
    if channel not in Channel.values:
        raise DomainError("channel", "申报渠道无效", field="channel")
    region = (item.region if item else bundle.region)
    require_submitter(actor, region, channel, applicant)
    if window is not None and channel == Channel.WINDOW and not has_role(actor, Role.WINDOW_CLERK, region=window.hall.region):
        raise DomainError("window_region", f"只能在本人所在区域的窗口收件,{window.hall.name}不在您的工作范围内", field="window")
    if window is not None and not window.comprehensive and item is not None:
        if not item.zones.filter(pk__in=window.zones.values("pk")).exists():
            raise DomainError("window_scope", f"{window}只受理本功能区事项,请到综合受理窗口办理", field="item")
    if mandate is not None and mandate.applicant_id != applicant.pk:
        raise DomainError("mandate_applicant", "委托书的委托人与申请人不一致", field="mandate")
    if mandate is not None and mandate.valid_until and mandate.valid_until < on:
        raise DomainError("mandate_expired", "委托书已过有效期", field="mandate")
    if channel == Channel.AGENT and mandate is None:
        raise DomainError("mandate_required", "帮代办申报须附申请人的委托书", field="mandate")
    form_data = dict(form_data or {})
    if len(json.dumps(form_data, ensure_ascii=False)) > FORM_DATA_MAX:
        raise DomainError("form_data_too_large", f"申请表内容过多(不得超过{FORM_DATA_MAX // 1024}KB)", field="form_data")
    if contact:  # given with this application, kept on the case; the registry is not changed
        form_data["申请时联系方式"] = contact
    with tx.atomic():
        if bundle is not None:
            case = _submit_bundle(actor, applicant, bundle, channel, window, mandate, materials, form_data or {}, on)
        else:
            case = _submit_item(actor, applicant, item, channel, window, mandate, materials, form_data or {}, on, region)
        if channel == Channel.WINDOW:
            record_visit(case, "收件", window, save=False)  # the count is written with the number below
        Notice.objects.create(case=case, kind=Notice.Kind.RECEIPT, issued_on=on)
        _check_registry(case, applicant)
        # Numbers last: the region's daily sequence row stays locked only from here to the commit.
        for c in [case, *(case.children.order_by("id") if bundle is not None else ())]:
            c.number = _next_number(c.region.code[:6], on)
            Case.objects.filter(pk=c.pk).update(number=c.number, visits=c.visits)
        events.case_received.send(sender=Case, case=case, actor=actor, on=on, channel=channel)
    return case

def _check_registry(case: Case, applicant: Applicant) -> None:
    """F22: the applicant as registered here, checked against the base registries (人口库/法人库) once at intake;
    the answer is kept on the case (and its bundle children) and shown, a mismatch never blocks the application.
    A registry that cannot be reached is recorded as unchecked."""
    from .registries import check_applicant

    try:
        answer = check_applicant(applicant.kind, applicant.id_number, applicant.name, applicant.legal_rep)
        result = {"ok": answer.ok, "found": answer.found, "message": answer.message, "registered_name": answer.registered_name}
    except Exception:  # noqa: BLE001 - a registry outage must not stop intake
        logger.exception("base registry check failed for case %s", case.pk)
        result = {"ok": False, "found": False, "message": "基础库暂时无法核验,请人工核对证件", "registered_name": ""}
    result["checked_on"] = timezone.localdate().isoformat()
    Case.objects.filter(pk__in=[case.pk, *case.children.values_list("pk", flat=True)]).update(registry_check=result)
    case.registry_check = result


def _effective(item: Item, on: dt.date | None = None):
    """The version in force on the day of receipt (a back-dated receipt pins the guide of that day; one
    dated before the item's first guide, as in data taken over from paper, the guide in force today)."""
    version = item.versions.effective(on).first() or (item.versions.effective().first() if on else None)
    if version is None:
        raise DomainError("item_unpublished", "该事项不在已发布的政务服务事项目录内,不能申请", field="item")
    return version

def _submit_item(actor, applicant, item, channel, window, mandate, materials, form_data, on, region, parent=None):
    version = _effective(item, on)
    case = Case.objects.create(
        number=provisional_number(), region=region, item=item, item_version=version, applicant=applicant,
        mandate=mandate, channel=channel, window=window, received_on=on, form_data=form_data, parent=parent,
    )
    plain, with_file, reused = {}, set(), []
    for entry in materials:
        status = entry.get("status", S.PROVIDED)
        if status not in (S.PROVIDED, S.ORIGINAL_SEEN, S.SHARED):
            raise DomainError("material_status", "收件时材料状态应为已收取、已核验原件或共享获取", field="materials")
        m = guide_material(case, entry["material"])
        offer = reuse.resolve(case, entry, on)
        if offer is not None:  # 免提交: satisfied by a licence or an earlier case, with the holder's consent
            plain[m.pk] = CaseMaterial(case=case, material=m, status=S.SHARED, reason=offer.label, reference=offer.key)
            reused.append(offer)
        elif entry.get("file") is not None:
            store_material(case, m, status, file=entry["file"])
            with_file.add(m.pk)
        else:
            plain[m.pk] = CaseMaterial(case=case, material=m, status=status)
    # a new case has no material rows yet: the ones without a file go in one insert (an upload wins over a tick)
    CaseMaterial.objects.bulk_create([cm for pk, cm in plain.items() if pk not in with_file])
    record_event(case, actor, "submitted", channel=channel, item=item.implementation_code, version=version.number)
    if reused:
        events.materials_reused.send(sender=Case, case=case, actor=actor, on=on, offers=reused, mode=channel)
    return case

def _submit_bundle(actor, applicant, bundle, channel, window, mandate, materials, form_data, on):
    if bundle.status != PubStatus.PUBLISHED:
        raise DomainError("bundle_unpublished", "该一件事未发布,不能申请", field="bundle")
    parent = Case.objects.create(
        number=provisional_number(), region=bundle.region, bundle=bundle, applicant=applicant,
        mandate=mandate, channel=channel, window=window, received_on=on, form_data=form_data,
    )
    # One merged material set: a material given once counts for every child item that asks for it.
    given = {}
    for entry in materials:
        m = Material.objects.filter(pk=entry["material"]).first()
        if m is None:
            raise DomainError("material_not_in_guide", "材料不在一件事材料清单内", field="materials")
        given[m.merge_key] = entry
    for bi in bundle.entries.select_related("item").order_by("order"):
        version = _effective(bi.item, on)
        child_materials = [
            {**given[m.merge_key], "material": m.pk} for m in version.materials.all() if m.merge_key in given
        ]
        _submit_item(actor, applicant, bi.item, channel, window, mandate, child_materials, form_data, on, bi.item.region, parent)
    record_event(parent, actor, "submitted", channel=channel, bundle=bundle.code, items=parent.children.count())
    return parent

def _check_materials(actor, case: Case, *, entries: list[dict], on: dt.date | None = None) -> Case:
    """The clerk's checklist on a received case: materials received, originals seen, or shared data used.
    Part of the act that follows it (accept, notify, decide on the spot), in that act's transaction."""
    if not entries:
        return case
    if is_parent(case):  # a bundle's merged checklist: each entry counts for every child that asks for it
        with tx.atomic():
            keys = {Material.objects.get(pk=e["material"]).merge_key: e for e in entries if Material.objects.filter(pk=e["material"]).exists()}
            for child in case.children.select_related("item_version").order_by("id"):
                mine = [{**keys[m.merge_key], "material": m.pk} for m in child.item_version.materials.all() if m.merge_key in keys]
                _check_materials(actor, child, entries=mine, on=on)
        return case
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "check_materials")
        reused = []
        for entry in entries:
            status = entry.get("status", S.PROVIDED)
            if status not in CaseMaterial.RECEIVED:
                raise DomainError("material_status", "核对时材料状态应为已收取、已核验原件或共享获取", field="materials")
            material = guide_material(case, entry["material"])
            offer = reuse.resolve(case, entry, on)
            if offer is not None:  # consent recorded at the window
                store_material(case, material, S.SHARED, reason=offer.label, reference=offer.key)
                reused.append(offer)
            else:
                store_material(case, material, status, file=entry.get("file"))
        if reused:
            events.materials_reused.send(sender=Case, case=case, actor=actor, on=today(on), offers=reused, mode="window")
        if entries:
            record_event(case, actor, "materials_checked", from_state=case.state, count=len(entries))
    return case

def record_materials(actor, case: Case, *, entries: list[dict], on: dt.date | None = None) -> Case:
    """Save the window's checklist of a received case (材料核对) without deciding yet; the same entries can
    instead travel with the act that follows (accept, notify, decide on the spot)."""
    require_clerk(actor, case, "核对材料")
    if not entries:
        raise DomainError("materials_empty", "请至少核对一项材料", field="materials")
    with tx.atomic():
        _check_materials(actor, case, entries=entries, on=on)
        return locked(case) if not is_parent(case) else case

def _outstanding(case: Case) -> list[Material]:
    """Main and auxiliary materials of the guide that are neither received, nor under 容缺 (auxiliary
    only), nor under 告知承诺. Materials marked 视情形提供 are not required."""
    have = dict(case.materials.values_list("material_id", "status"))
    ok = CaseMaterial.RECEIVED | {S.GAP, S.COMMITMENT}
    required = (Material.Role.MAIN, Material.Role.AUXILIARY)
    return [m for m in guide_materials_of(case).values() if m.role in required and have.get(m.pk) not in ok]

def accept_case(actor, case: Case, *, materials=(), gaps=(), gap_days: int | None = None, informed=(),
                on: dt.date | None = None, auto: bool = False) -> Case:
    """受理. `materials`: the window's checklist ticked with the acceptance ([{"material", "status", "file"?}],
    received statuses only); `gaps`: auxiliary materials accepted missing under a commitment (容缺) to
    supply them within `gap_days` working days; `informed`: proofs replaced by the applicant's commitment (告知承诺)."""
    on = today(on)
    if not auto:
        require_clerk(actor, case, "受理")
    with tx.atomic():
        _check_materials(actor, case, entries=list(materials), on=on)
        case = locked(case)
        transitions.check(case, "accept")
        if is_parent(case):
            for child in case.children.filter(state=CaseState.RECEIVED).order_by("id"):
                child = locked(child)
                _accept_one(actor, child, gaps, gap_days, informed, on, auto or _past_answer_period(child, on))
            late = auto or _past_answer_period(case, on)
            start = case.received_on if late else on
            # the bundle's own promise (联办承诺时限) is clocked too: the parent's light shows the whole 一件事
            clock = clocks.start_clock(actor, subject_type="case", subject_id=case.number, start_date=start,
                                       limit_days=case.bundle.promised_limit, legal_limit_days=case.bundle.promised_limit,
                                       label=f"{case.number} {case.bundle.name}", on=on)
            set_state(case, CaseState.ACCEPTED, accepted_on=start, handler=actor if not auto else None, auto_accepted=auto,
                       clock=clock, deadline=clock.deadline, light=clock.light)
            record_event(case, actor, "accepted", from_state=CaseState.RECEIVED, children=case.children.count())
            return case
        case = _accept_one(actor, case, gaps, gap_days, informed, on, auto or _past_answer_period(case, on), clerk=not auto)
    return case

def _past_answer_period(case: Case, on: dt.date) -> bool:
    """True once the five working days of art. 32 have passed without a notice: acceptance dates from receipt."""
    return add_working_days(case.resubmitted_on or case.received_on, AUTO_ACCEPT_DAYS).date < on

def _chosen(case: Case, guide: dict[int, Material], ids) -> list[Material]:
    """The guide materials named by `ids`; in a bundle's child, those sharing a merged material's key."""
    if not case.parent_id:
        return [guide_material(case, i) for i in ids]
    keys = {m.merge_key for m in Material.objects.filter(pk__in=[int(i) for i in ids])}
    return [m for m in guide.values() if m.merge_key in keys]

def _accept_one(actor, case, gaps, gap_days, informed, on, auto, clerk: bool = False) -> Case:
    """Accept one item case; the caller holds its row lock."""
    version = case.item_version
    guide = guide_materials_of(case)
    gap_materials = _chosen(case, guide, gaps)
    for m in gap_materials:
        if m.role != Material.Role.AUXILIARY:
            raise DomainError("gap_not_allowed", f"“{m.name}”不是可容缺的辅助材料", field="gaps")
    if gap_materials and not (gap_days and 0 < gap_days <= 60):
        raise DomainError("gap_days", "容缺受理须由申请人承诺补交期限(1至60个工作日)", field="gap_days")
    informed_materials = _chosen(case, guide, informed)
    if informed_materials and not version.informed_commitment:
        raise DomainError("informed_not_allowed", "本事项未实行告知承诺制", field="informed")
    for m in gap_materials:
        store_material(case, m, S.GAP)
    for m in informed_materials:
        store_material(case, m, S.COMMITMENT)
    outstanding = _outstanding(case)
    if outstanding and not (auto and not clerk):
        names = "、".join(m.name for m in outstanding)
        raise DomainError("materials_missing", f"必要材料不齐:{names}。请出具一次性告知书", field="materials")
    start = (case.resubmitted_on or case.received_on) if auto else on  # art. 32: accepted from the day of receipt
    clock = clocks.start_clock(
        actor, subject_type="case", subject_id=case.number, start_date=start, item_version=version,
        label=f"{case.number} {version.name}", level=case.item.level, on=on,
    )
    set_state(case, CaseState.ACCEPTED, accepted_on=start, handler=actor if (clerk or not auto) else None, clock=clock,
               deadline=clock.deadline, light=clock.light, auto_accepted=auto, gap_open=bool(gap_materials),
               informed_commitment=bool(informed_materials))
    if gap_materials:
        deadline = add_working_days(on, gap_days).date
        GapCommitment.objects.create(case=case, days=gap_days, deadline=deadline, signed_on=on)
        Notice.objects.create(case=case, kind=Notice.Kind.GAP, issued_on=on,
                              data={"materials": [m.name for m in gap_materials], "deadline": deadline.isoformat(), "days": gap_days})
    if informed_materials:
        check = add_working_days(on, POST_CHECK_DAYS).date
        PostCheck.objects.create(case=case, deadline=check)
        Notice.objects.create(case=case, kind=Notice.Kind.INFORMED, issued_on=on,
                              data={"materials": [m.name for m in informed_materials], "post_check": check.isoformat()})
    Notice.objects.create(case=case, kind=Notice.Kind.ACCEPTANCE, issued_on=on)
    record_event(case, actor, "accepted", from_state=CaseState.RECEIVED,
           reason="依《中华人民共和国行政许可法》第三十二条,申请之日起五个工作日内未告知补正,自收到申请材料之日起即为受理" if auto else "",
           deadline=clock.deadline, gaps=[m.name for m in gap_materials], informed=[m.name for m in informed_materials])
    # the back office (workflow) answers True when it starts the item's process for this case
    if any(answer for _, answer in events.case_accepted.send(sender=Case, case=case, actor=actor, on=on)):
        case.back_office = True
        Case.objects.filter(pk=case.pk).update(back_office=True)
    return case

def notify_missing(actor, case: Case, *, items: list[dict], materials=(), on: dt.date | None = None) -> Notice:
    """一次性告知: every missing or defective material at once. items: [{"material": id, "status":
    "missing"|"defective", "reason": "…"}]. A later notice may only name materials an earlier notice
    already named (a material found fine once cannot be objected to later). `materials`: what the window
    received at the same time (recorded with the notice)."""
    on = today(on)
    require_clerk(actor, case, "出具一次性告知书")
    not_parent(case, "出具一次性告知书")
    if not items:
        raise DomainError("notice_empty", "请列明缺少或不符合要求的材料", field="items")
    with tx.atomic():
        _check_materials(actor, case, entries=list(materials), on=on)
        case = locked(case)
        transitions.check(case, "notify_missing")
        if _past_answer_period(case, on):
            raise Conflict("notice_too_late", "收件已超过五个工作日,依《中华人民共和国行政许可法》第三十二条视为受理,不能再出具一次性告知书")
        earlier = list(case.notices.filter(kind=Notice.Kind.MISSING))
        named_before = {mid for n in earlier for mid in n.data.get("material_ids", [])}
        rows = []
        for entry in items:
            m = guide_material(case, entry["material"])
            status = entry.get("status", S.MISSING)
            if status not in (S.MISSING, S.DEFECTIVE):
                raise DomainError("notice_status", "告知的材料状态应为缺少或不符合要求", field="items")
            if status == S.DEFECTIVE and not entry.get("reason", "").strip():
                raise DomainError("notice_reason", f"请说明“{m.name}”不符合要求的原因", field="items")
            if earlier and m.pk not in named_before:
                raise Conflict("second_notice",
                               f"“{m.name}”在此前的一次性告知中未被列出,不得再次告知补正(一次性告知制度)")
            rows.append((m, status, entry.get("reason", "")))
        if not earlier:
            named = {m.pk for m, _, _ in rows}
            unnamed = [m.name for m in _outstanding(case) if m.pk not in named]
            if unnamed:
                raise DomainError("notice_incomplete", f"一次性告知须一次列明全部缺少的材料,尚未列入:{'、'.join(unnamed)}", field="items")
        round_no = len(earlier) + 1
        for m, status, reason in rows:
            cm = store_material(case, m, status, reason=reason)
            CaseMaterial.objects.filter(pk=cm.pk).update(notified_round=round_no)
        notice = Notice.objects.create(
            case=case, kind=Notice.Kind.MISSING, round=round_no, issued_on=on,
            data={"material_ids": [m.pk for m, _, _ in rows], "by": str(actor),
                  "items": [{"name": m.name, "status": s, "reason": r, "form": m.get_form_display(), "copies": m.copies} for m, s, r in rows]},
        )
        set_state(case, CaseState.CORRECTION)
        record_event(case, actor, "notified_missing", from_state=CaseState.RECEIVED, round=round_no, materials=[m.name for m, _, _ in rows])
        events.case_notified.send(sender=Case, case=case, actor=actor, on=on, notice=notice)
    return notice

def supply_materials(actor, case: Case, *, supplied: list[dict], on: dt.date | None = None) -> Case:
    """The applicant supplies what a notice asked for: before acceptance (the same case continues), after
    a back-office return (when everything the return named is in, the case is back in review and the
    clocks run again: `case_resumed`), or the materials of a 容缺 commitment after acceptance."""
    on = today(on)
    online = transitions.permitted(actor, case, "supply_online")  # the applicant's own account, on the portal
    if not online:
        require_clerk(actor, case, "接收补正材料")
    not_parent(case, "补交材料")
    if not supplied:
        raise DomainError("supply_empty", "请选择补交的材料", field="supplied")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "supply_online" if online else "supply")
        before = case.state
        for entry in supplied:
            m = guide_material(case, entry["material"])
            status = entry.get("status", S.PROVIDED)
            if status not in CaseMaterial.RECEIVED:
                raise DomainError("material_status", "补交材料状态应为已收取或已核验原件", field="supplied")
            if online and (status != S.PROVIDED or entry.get("file") is None):
                raise DomainError("supply_file", f"请上传“{m.name}”的电子文件(原件由窗口核验)", field="supplied")
            if online and not case.materials.filter(material=m, status__in=[S.MISSING, S.DEFECTIVE, S.GAP]).exists():
                raise DomainError("supply_not_asked", f"“{m.name}”不在需要补正的材料之列", field="supplied")
            store_material(case, m, status, file=entry.get("file"), on=on)
        if case.channel == Channel.WINDOW and not online:
            record_visit(case, "补交材料", case.window)
        if before == CaseState.CORRECTION:
            set_state(case, CaseState.RECEIVED, resubmitted_on=on)
        elif before == CaseState.RETURNED:
            still = selectors.outstanding_corrections(case)
            if not still:
                set_state(case, CaseState.ACCEPTED)
        if case.gap_open and not case.materials.filter(status=S.GAP).exists():
            GapCommitment.objects.filter(case=case).update(fulfilled_on=on)
            case.gap_open, case.light = False, (case.clock.light if case.clock_id else case.light)
            Case.objects.filter(pk=case.pk).update(gap_open=False, light=case.light)
        record_event(case, actor, "materials_supplied", from_state=before, materials=[str(e["material"]) for e in supplied])
        if before == CaseState.RETURNED and case.state == CaseState.ACCEPTED:
            record_event(case, actor, "resumed", from_state=before, reason="补正材料已补齐,恢复审查和计时")
            events.case_resumed.send(sender=Case, case=case, actor=actor, on=on)
    return case

def return_for_correction(actor, case: Case, *, department, step_name: str, text: str, items: list[dict] = (),
                          on: dt.date | None = None) -> Notice:
    """退回补正 from the back office: one written notice (一次性告知) of exactly what the applicant must supply
    — guide materials ([{"material", "status": "missing"|"defective", "reason"}]) and the reviewer's
    text — the case shows 补正中 until the window receives every named material. Called by the workflow's
    return verb inside its transaction; the caller pauses the clocks."""
    on = today(on)
    require(actor, Role.REVIEWER, department=department, what="退回补正")
    if not text.strip():
        raise DomainError("return_text", "退回补正须写明需要补正的内容", field="text")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "return")
        rows = []
        for entry in items:
            m = guide_material(case, entry["material"])
            status = entry.get("status") or S.DEFECTIVE
            if status not in (S.MISSING, S.DEFECTIVE):
                raise DomainError("notice_status", "补正的材料状态应为缺少(missing)或不符合要求(defective)", field="materials")
            rows.append((m, status, (entry.get("reason") or "").strip()))
        round_no = case.notices.filter(kind=Notice.Kind.MISSING).count() + 1
        for m, status, reason in rows:
            cm = store_material(case, m, status, reason=reason)
            CaseMaterial.objects.filter(pk=cm.pk).update(notified_round=round_no)
        data_items = [{"name": m.name, "status": st, "reason": r or text, "form": m.get_form_display(), "copies": m.copies}
                      for m, st, r in rows]
        if not rows:
            data_items = [{"name": f"{step_name}:补正要求", "status": S.DEFECTIVE, "reason": text, "form": "", "copies": ""}]
        notice = Notice.objects.create(case=case, kind=Notice.Kind.MISSING, round=round_no, issued_on=on, data={
            "material_ids": [m.pk for m, _, _ in rows], "items": data_items, "by_step": step_name,
            "department": str(department), "text": text, "by": str(actor),
        })
        set_state(case, CaseState.RETURNED)
        record_event(case, actor, "returned", from_state=CaseState.ACCEPTED, reason=text, step=step_name,
                     materials=[m.name for m, _, _ in rows])
        events.case_returned.send(sender=Case, case=case, actor=actor, on=on, notice=notice)
    return notice

def extend_deadline(actor, case: Case, *, days: int, reason: str, on: dt.date | None = None) -> Case:
    """延期 (行政许可法 art. 42): the authority's leader extends the time limit, within the legal maximum, with
    a reason; the applicant receives a written notice (延长审批期限告知书)."""
    on = today(on)
    transitions.require(actor, case, "extend")
    if not reason.strip():
        raise DomainError("extension_reason", "请填写延长审批期限的理由", field="reason")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "extend")
        before_deadline = case.deadline
        clock = clocks.extend_clock(actor, case.clock, days, reason, approver=actor, on=on)
        case.clock, case.deadline, case.light = clock, clock.deadline, clock.light
        Case.objects.filter(pk=case.pk).update(deadline=clock.deadline, light=clock.light)
        Notice.objects.create(case=case, kind=Notice.Kind.EXTENSION, issued_on=on, data={
            "days": days, "reason": reason, "old_deadline": str(before_deadline) if before_deadline else "",
            "new_deadline": str(clock.deadline) if clock.deadline else "",
        })
        record_event(case, actor, "extended", from_state=case.state, reason=reason, days=days, deadline=clock.deadline)
        events.case_extended.send(sender=Case, case=case, actor=actor, on=on, days=days, reason=reason)
    return case

def refuse_case(actor, case: Case, *, reason: str, on: dt.date | None = None) -> Case:
    """不予受理: with the reason and the applicant's legal remedies."""
    on = today(on)
    require_clerk(actor, case, "作出不予受理决定")
    if not reason.strip():
        raise DomainError("refusal_reason", "不予受理必须说明理由", field="reason")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "refuse")
        before = case.state
        set_state(case, CaseState.REFUSED)
        Notice.objects.create(case=case, kind=Notice.Kind.REFUSAL, issued_on=on, data={"reason": reason, "remedies": REMEDIES})
        record_event(case, actor, "refused", from_state=before, reason=reason)
        for child in case.children.filter(state__in=[CaseState.RECEIVED, CaseState.CORRECTION]):
            child = locked(child)
            child_before = child.state
            set_state(child, CaseState.REFUSED)
            record_event(child, actor, "refused", from_state=child_before, reason=reason)
    return case

def withdraw_case(actor, case: Case, *, reason: str = "申请人申请撤回", on: dt.date | None = None) -> Case:
    """撤回: the application ends at the applicant's request; clocks stop and open back-office work is cancelled
    (the back office listens to `case_withdrawn`). A bundle's open children are withdrawn with it."""
    on = today(on)
    require_clerk(actor, case, "撤回申请")
    if not reason.strip():
        raise DomainError("withdraw_reason", "请填写撤回原因", field="reason")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "withdraw")
        children = list(case.children.filter(state__in=transitions.OPEN).order_by("id"))
        for c in [case, *children]:
            c = case if c.pk == case.pk else locked(c)
            before = c.state
            if c.clock_id:
                c.clock = clocks.stop_clock(actor, c.clock, on=on)
            set_state(c, CaseState.WITHDRAWN, gap_open=False)
            record_event(c, actor, "withdrawn", from_state=before, reason=reason)
            events.case_withdrawn.send(sender=Case, case=c, actor=actor, on=on, reason=reason)
        complete_parent_if_done(actor, case, on)
    return case

def reassign_handler(actor, case: Case, new_handler, *, reason: str) -> Case:
    """首办负责: the responsible person changes only by an explicit, recorded act."""
    require(actor, Role.WINDOW_CLERK, region=case.region, what="变更首办负责人")
    if not reason.strip():
        raise DomainError("reassign_reason", "请说明变更首办负责人的原因", field="reason")
    if not has_role(new_handler, Role.WINDOW_CLERK, region=case.region):
        raise DomainError("reassign_target", "新的首办负责人须为本区域窗口工作人员", field="handler")
    with tx.atomic():
        case = locked(case)
        transitions.check(case, "handover")
        if case.handler_id == new_handler.pk:
            raise DomainError("reassign_same", f"{new_handler}已是本办件的首办负责人", field="handler")
        old = case.handler
        Case.objects.filter(pk=case.pk).update(handler=new_handler)
        case.handler = new_handler
        record_event(case, actor, "handler_reassigned", from_state=case.state, reason=reason,
               old=getattr(old, "pk", None), new=new_handler.pk)
    return case

def decide_immediately(actor, case: Case, *, approve: bool = True, note: str = "", handover: bool = True,
                       materials=(), on: dt.date | None = None) -> Case:
    """即办件: accepted, decided and (by default) handed over at the window in the same visit."""
    on = today(on)
    require_clerk(actor, case, "即时办结")
    if case.item_version is None or case.item_version.case_kind != CaseKind.IMMEDIATE:
        raise DomainError("not_immediate", "该事项为承诺件,不能当场办结", field="case")
    if not approve and not note.strip():
        raise DomainError("denial_reason", "不予许可必须说明理由", field="note")
    with tx.atomic():
        _check_materials(actor, case, entries=list(materials), on=on)
        case = locked(case)
        transitions.check(case, "immediate")
        if case.state == CaseState.RECEIVED:
            case = _accept_one(actor, case, (), None, (), on, False)
        decide_now(actor, case, approve, note, on)
        if handover:
            complete_with(actor, case, Delivery(case=case, method=Delivery.Method.WINDOW, received_by=case.applicant.name,
                                            receiver_id_checked=True, delivered_on=on), on)
    return case

def auto_accept_due(day: dt.date | None = None) -> list[str]:
    """行政许可法 art. 32: a case neither accepted nor notified within five working days of receipt is
    accepted from the day of receipt."""
    day = today(day)
    numbers = []
    due = [*Case.objects.filter(state=CaseState.RECEIVED, item__isnull=False, parent__isnull=True).order_by("id"),
           *Case.objects.filter(state=CaseState.RECEIVED, bundle__isnull=False, item__isnull=True).order_by("id")]
    for case in due:
        if not _past_answer_period(case, day):
            continue
        try:
            accept_case(None, case, on=day, auto=True)
            numbers.append(case.number)
        except DomainError as e:  # one case that cannot be accepted must not stop the others; it stays listed
            logger.warning("automatic acceptance of %s failed: %s", case.number, e.message)
    return numbers

