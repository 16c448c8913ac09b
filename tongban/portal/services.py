"""The applicant's verbs on the portal: register, bind an enterprise, draft, apply online, correct online.
Each checks who acts first, runs in one transaction and leaves an audit entry; the case verbs are cases'."""

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tongban.cases import accounts, reuse
from tongban.cases import services as case_services
from tongban.cases.models import Applicant, Case, Channel
from tongban.cases.registries import check_applicant
from tongban.catalog.models import ItemVersion
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.core.identifiers import validate_id_card

from .models import Draft

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


def _form(version: ItemVersion, form_data: dict | None) -> dict:
    """Only the guide's form fields, as text of bounded length."""
    fields = list(version.form_fields or [])
    out = {}
    for key, value in (form_data or {}).items():
        if key not in fields:
            raise DomainError("form_field", f"申请表没有“{str(key)[:30]}”这一项", field="form_data")
        value = str(value if value is not None else "").strip()
        if len(value) > 500 or "\x00" in value:
            raise DomainError("too_long", f"“{key}”不得超过500个字", field="form_data")
        out[key] = value
    return out


def save_draft(user, *, applicant: Applicant, version: ItemVersion, form_data: dict | None, reuse_keys: list[str] = (),
               delivery: dict | None = None, draft: Draft | None = None) -> Draft:
    if not accounts.acts_for(user, applicant):
        raise NotFound("未找到该申请人")
    form = _form(version, form_data)
    keys = [str(k)[:200] for k in reuse_keys][:50]
    d = _delivery(delivery)
    with tx.atomic():
        if draft is None:
            draft = Draft(user=user)
        elif draft.user_id != user.pk:
            raise NotFound("未找到该草稿")
        draft.applicant, draft.item_version, draft.form_data, draft.reuse, draft.delivery = applicant, version, form, keys, d
        draft.save()
        record(user, "portal.draft_saved", draft, data={"item": version.item.implementation_code})
    return draft


def delete_draft(user, draft: Draft) -> None:
    if draft.user_id != user.pk:
        raise NotFound("未找到该草稿")
    with tx.atomic():
        record(user, "portal.draft_deleted", draft, data={})
        draft.delete()


def apply_online(user, *, applicant: Applicant, version: ItemVersion, form_data: dict | None, files: dict,
                 reuse_keys: list[str] = (), delivery: dict | None = None, draft: Draft | None = None) -> Case:
    """在线办理: the application lands in the clerks' workbench as a received online case (网上预审). files:
    {material id: UploadedFile}; reuse_keys: keys of `reuse.offers` the applicant consented to use."""
    if not accounts.acts_for(user, applicant):
        raise NotFound("未找到该申请人")
    form = _form(version, form_data)
    d = _delivery(delivery)
    form["结果领取方式"] = DELIVERY[d["method"]] + (f":{d['recipient']} {d['phone']} {d['address']}" if d["method"] == "mail" else "")
    offers = {o.key: o for o in reuse.offers(applicant, version)}
    entries, used = [], set()
    for key in reuse_keys:
        offer = offers.get(str(key))
        if offer is None:
            raise DomainError("reuse_offer", "所选复用材料不属于申请人或不能满足该材料要求", field="reuse")
        entries.append({"material": offer.material_id, "source": offer.source, "reference": offer.reference, "consent": True})
        used.add(offer.material_id)
    material_ids = {m.pk for m in version.materials.all()}
    for mid, f in files.items():
        if int(mid) not in material_ids:
            raise DomainError("material_not_in_guide", "该材料不在本事项办事指南的材料清单内", field="materials")
        if int(mid) not in used:
            entries.append({"material": int(mid), "status": "provided", "file": f})
    with tx.atomic():
        case = case_services.submit_case(user, applicant=applicant, item=version.item, channel=Channel.ONLINE,
                                         materials=entries, form_data=form)
        if draft is not None and draft.user_id == user.pk:
            draft.delete()
    return case


def correct_online(user, case: Case, files: dict) -> Case:
    """网上补正: the applicant uploads what a one-time notice or a back-office return asked for, on the same case."""
    if not accounts.acts_for(user, case.applicant):
        raise NotFound("未找到该办件")
    supplied = [{"material": int(mid), "status": "provided", "file": f} for mid, f in files.items()]
    return case_services.supply_materials(user, case, supplied=supplied)
