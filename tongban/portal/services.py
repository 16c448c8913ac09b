"""The applicant's verbs on the portal: register, bind an enterprise, draft, apply online, correct online.
Each checks who acts first, runs in one transaction and leaves an audit entry; the case verbs are cases'."""

import re
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from tongban.cases import accounts, reuse
from tongban.cases import services as case_services
from tongban.cases.models import Applicant, Case, Channel
from tongban.cases.registries import check_applicant
from tongban.catalog import selectors as catalog_selectors
from tongban.catalog.models import Bundle, ItemVersion, PubStatus
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.core.identifiers import validate_id_card

from .models import Draft, DraftFile

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def register_person(*, id_number: str, name: str, phone: str, password: str):
    """网上办事账号 for a person: ID number validated, name checked against the population register (人口库),
    the staff's password rules. The account is bound to the applicant record of that number."""
    number = validate_id_card(id_number)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise DomainError("name", "请填写姓名(不超过60个字)", field="name")
    phone = (phone or "").strip()
    if not MOBILE.match(phone):
        raise DomainError("phone", "手机号码应为11位数字(以1开头)", field="phone")
    answer = check_applicant("person", number, name)
    if not answer.ok:
        raise DomainError("registry_mismatch", f"实名核验未通过:{answer.message}", field="name")
    User = get_user_model()
    user = User(username=number, display_name=name, phone=phone, is_staff=False)
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise DomainError("password", "密码不符合要求:" + ";".join(e.messages), field="password") from None
    with tx.atomic():
        if User.objects.filter(username=number).exists():
            raise Conflict("account_exists", "该身份证号码已注册网上办事账号,请直接登录", field="id_number")
        user.set_password(password)
        user.save()
        applicant = accounts.bind_person(user, id_number=number, name=name, phone=phone)
        if not applicant.phone:
            Applicant.objects.filter(pk=applicant.pk).update(phone=phone)
        record(user, "portal.registered", applicant, data={"kind": "person"})
    return user


def applicant_for(user, id_number: str | None) -> Applicant:
    """The applicant the account acts for: itself by default, or one of its enterprises; others answer 404."""
    mine = accounts.applicants_of(user)
    if not mine:
        raise NotFound("请使用网上办事账号登录")
    if not id_number:
        return mine[0]
    for a in mine:
        if a.id_number == id_number.strip().upper():
            return a
    raise NotFound("未找到该申请人")


def current_version(code: str) -> ItemVersion:
    version = ItemVersion.objects.effective().filter(item__implementation_code=code).select_related("item", "item__region").first()
    if version is None:
        raise NotFound("未找到已发布的事项")
    return version


DELIVERY = {"window": "窗口领取", "mail": "免费邮寄"}


def _delivery(delivery: dict | None) -> dict:
    d = dict(delivery or {"method": "window"})
    method = d.get("method") or "window"
    if method not in DELIVERY:
        raise DomainError("delivery_method", "结果领取方式应为窗口领取(window)或免费邮寄(mail)", field="delivery")
    out = {"method": method}
    if method == "mail":
        for key, label, size in (("recipient", "收件人", 40), ("address", "邮寄地址", 200), ("phone", "收件电话", 20)):
            value = str(d.get(key) or "").strip()
            if not value:
                raise DomainError("delivery_field", f"免费邮寄请填写{label}", field=f"delivery.{key}")
            if len(value) > size or "\x00" in value:
                raise DomainError("too_long", f"{label}不得超过{size}个字", field=f"delivery.{key}")
            out[key] = value
    return out


def _form(version: ItemVersion | None, form_data: dict | None, fields: list[str] | None = None) -> dict:
    """Only the guide's form fields (a bundle's: the merged fields of its items), as text of bounded length."""
    fields = list(version.form_fields or []) if fields is None else fields
    out = {}
    for key, value in (form_data or {}).items():
        if key not in fields:
            raise DomainError("form_field", f"申请表没有“{str(key)[:30]}”这一项", field="form_data")
        value = str(value if value is not None else "").strip()
        if len(value) > 500 or "\x00" in value:
            raise DomainError("too_long", f"“{key}”不得超过500个字", field="form_data")
        out[key] = value
    return out


def _guide_files(material_ids: set[int], files: dict | None, guide: str = "本事项办事指南") -> dict[int, object]:
    """{material id: upload} for the guide's materials only (`material_ids`; a bundle's: its merged list)."""
    out = {}
    for mid, f in (files or {}).items():
        if int(mid) not in material_ids:
            raise DomainError("material_not_in_guide", f"该材料不在{guide}的材料清单内", field="materials")
        out[int(mid)] = f
    return out


def _delete_stored(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


def _drop_files(draft: Draft, rows) -> None:
    """Remove draft files: the rows now, the stored files once the transaction commits."""
    names = [r.file.name for r in rows]
    DraftFile.objects.filter(pk__in=[r.pk for r in rows]).delete()
    transaction.on_commit(lambda: _delete_stored(names))


def save_draft(user, *, applicant: Applicant, version: ItemVersion, form_data: dict | None, reuse_keys: list[str] = (),
               delivery: dict | None = None, draft: Draft | None = None, files: dict | None = None, remove=()) -> Draft:
    """暂存: the form, the reuse choices, the delivery and the files uploaded so far ({material id: upload}; a new
    upload replaces the draft's file for that material; `remove`: material ids whose kept file is dropped)."""
    from tongban.cases.files import check_upload, stored_name

    if not accounts.acts_for(user, applicant):
        raise NotFound("未找到该申请人")
    form = _form(version, form_data)
    keys = [str(k)[:200] for k in reuse_keys][:50]
    d = _delivery(delivery)
    material_ids = {m.pk for m in version.materials.all()}
    uploads = _guide_files(material_ids, files)
    checked = {mid: check_upload(f) for mid, f in uploads.items()}  # refused before anything is stored
    with tx.atomic():
        if draft is None:
            draft = Draft(user=user)
        elif draft.user_id != user.pk:
            raise NotFound("未找到该草稿")
        draft.applicant, draft.item_version, draft.form_data, draft.reuse, draft.delivery = applicant, version, form, keys, d
        draft.save()
        dropped = {int(m) for m in remove}
        stale = [f for f in draft.files.all() if f.material_id not in material_ids or f.material_id in uploads
                 or f.material_id in dropped]
        _drop_files(draft, stale)
        for mid, f in uploads.items():
            row = DraftFile(draft=draft, material_id=mid, name=str(getattr(f, "name", "") or "材料")[:100],
                            content_type=checked[mid], size=getattr(f, "size", 0) or 0)
            row.file.save(stored_name(checked[mid]), f, save=False)
            row.save()
        record(user, "portal.draft_saved", draft, data={"item": version.item.implementation_code, "files": sorted(uploads)})
    return draft


def delete_draft(user, draft: Draft) -> None:
    if draft.user_id != user.pk:
        raise NotFound("未找到该草稿")
    with tx.atomic():
        record(user, "portal.draft_deleted", draft, data={})
        _drop_files(draft, list(draft.files.all()))
        draft.delete()


def apply_online(user, *, applicant: Applicant, version: ItemVersion, form_data: dict | None, files: dict,
                 reuse_keys: list[str] = (), delivery: dict | None = None, draft: Draft | None = None) -> Case:
    """在线办理: the application lands in the clerks' workbench as a received online case (网上预审). files:
    {material id: UploadedFile}; reuse_keys: keys of `reuse.offers` the applicant consented to use."""
    if not accounts.acts_for(user, applicant):
        raise NotFound("未找到该申请人")
    form = _form(version, form_data)
    d = _delivery(delivery)
    form["结果领取方式"] = _delivery_text(d)
    entries, used = _reused(reuse.offers(applicant, version), reuse_keys)
    material_ids = {m.pk for m in version.materials.all()}
    files = _guide_files(material_ids, files)
    if draft is not None and draft.user_id != user.pk:
        raise NotFound("未找到该草稿")
    kept = [f for f in draft.files.all() if f.material_id not in files] if draft is not None else []
    for mid, f in files.items():
        if mid not in used:
            entries.append({"material": mid, "status": "provided", "file": f})
    for row in kept:  # the draft's files for materials this submission neither uploads again nor reuses
        if row.material_id in material_ids and row.material_id not in used:
            entries.append({"material": row.material_id, "status": "provided", "file": row.file.open("rb")})
    try:
        with tx.atomic():
            case = case_services.submit_case(user, applicant=applicant, item=version.item, channel=Channel.ONLINE,
                                             materials=entries, form_data=form)
            if draft is not None:
                _drop_files(draft, list(draft.files.all()))
                draft.delete()
    finally:
        for row in kept:
            row.file.close()
    return case


def _delivery_text(d: dict) -> str:
    return DELIVERY[d["method"]] + (f":{d['recipient']} {d['phone']} {d['address']}" if d["method"] == "mail" else "")


def _reused(offers, reuse_keys) -> tuple[list[dict], set[int]]:
    """Material entries for the offers the applicant consented to (by key), and the materials they satisfy."""
    by_key: dict[str, list] = {}
    for o in offers:  # one licence may satisfy several materials (a bundle's items each ask for the ID card)
        by_key.setdefault(o.key, []).append(o)
    entries, used = [], set()
    for key in dict.fromkeys(str(k) for k in reuse_keys):
        if key not in by_key:
            raise DomainError("reuse_offer", "所选复用材料不属于申请人或不能满足该材料要求", field="reuse")
        for offer in by_key[key]:
            if offer.material_id not in used:
                entries.append({"material": offer.material_id, "source": offer.source, "reference": offer.reference, "consent": True})
                used.add(offer.material_id)
    return entries, used


# --- 一件事 online ---------------------------------------------------------------------------------------------

def current_bundle(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code, status=PubStatus.PUBLISHED).select_related("region").first()
    if bundle is None:
        raise NotFound("未找到已发布的一件事")
    return bundle


def bundle_form(bundle: Bundle) -> dict:
    """What the bundle's online form needs: the merged guide (a material several items ask for is asked once),
    whether every item can be applied for online (网上办理深度三级及以上), the originals to bring once, 全程网办."""
    guide = catalog_selectors.bundle_guide(bundle)
    versions = [v for _, v in guide["items"]]
    complete = bool(versions) and all(v is not None for v in versions)
    originals = []
    for v in versions if complete else ():
        for m in v.materials.all():
            if m.form == "original" and m.name not in originals:
                originals.append(m.name)
    return {**guide, "versions": versions if complete else [], "online": complete and all(v.online_depth >= 3 for v in versions),
            "originals": originals, "zero_visits": complete and all(v.visits == 0 for v in versions)}


def bundle_offers(applicant: Applicant, form: dict) -> list:
    """The reuse offers of every item of the bundle, once per merged material (its id in the merged list)."""
    merged = {row["key"]: row["id"] for row in form["materials"]}
    out = {}
    for v in form["versions"]:
        keys = {m.pk: m.merge_key for m in v.materials.all()}
        for o in reuse.offers(applicant, v):
            mid = merged.get(keys.get(o.material_id))
            if mid is not None and mid not in out:
                out[mid] = replace(o, material_id=mid)
    return sorted(out.values(), key=lambda o: list(merged.values()).index(o.material_id))


def apply_bundle_online(user, *, applicant: Applicant, bundle: Bundle, form_data: dict | None, files: dict,
                        reuse_keys: list[str] = (), delivery: dict | None = None) -> Case:
    """在线办理一件事: one form and one merged material list; the window receives the bundle's case with a child
    case per item (as at the window), each child given the materials its guide asks for."""
    if not accounts.acts_for(user, applicant):
        raise NotFound("未找到该申请人")
    form_spec = bundle_form(bundle)
    if not form_spec["online"]:
        raise DomainError("bundle_offline", "该一件事包含不能网上申请的事项,请到综合受理窗口办理", field="bundle")
    form = _form(None, form_data, form_spec["form_fields"])
    d = _delivery(delivery)
    form["结果领取方式"] = _delivery_text(d)
    entries, used = _reused(bundle_offers(applicant, form_spec), reuse_keys)
    for mid, f in _guide_files({row["id"] for row in form_spec["materials"]}, files, "本一件事").items():
        if mid not in used:
            entries.append({"material": mid, "status": "provided", "file": f})
    with tx.atomic():
        return case_services.submit_case(user, applicant=applicant, bundle=bundle, channel=Channel.ONLINE, materials=entries,
                                         form_data=form)


def correct_online(user, case: Case, files: dict) -> Case:
    """网上补正: the applicant uploads what a one-time notice or a back-office return asked for, on the same case."""
    if not accounts.acts_for(user, case.applicant):
        raise NotFound("未找到该办件")
    supplied = [{"material": int(mid), "status": "provided", "file": f} for mid, f in files.items()]
    return case_services.supply_materials(user, case, supplied=supplied)
