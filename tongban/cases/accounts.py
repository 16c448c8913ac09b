"""Applicant accounts (网上办事账号) bound to applicants: who may act for whom.

A person's account acts for the person (本人); an enterprise is bound to its legal representative's account
when the legal-entity register (法人库) names them, and the legal representative adds or removes operators
(经办人). Cases the window received under the same ID number or credit code belong to the account through
the applicant. The portal's pages and API call these; cases' own verbs ask `acts_for`."""

from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed, NotFound
from tongban.core.identifiers import validate_id_card, validate_uscc

from .models import Applicant, ApplicantUser
from .registries import check_applicant

R = ApplicantUser.Role


def acts_for(user, applicant: Applicant) -> bool:
    if not getattr(user, "is_authenticated", False) or applicant is None:
        return False
    cache = getattr(user, "_applicant_ids", None)
    if cache is None:
        cache = user._applicant_ids = set(ApplicantUser.objects.filter(user=user).values_list("applicant_id", flat=True))
    return applicant.pk in cache


def is_applicant_account(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and ApplicantUser.objects.filter(user=user, role=R.SELF).exists()


def person_of(user) -> Applicant | None:
    """The person an applicant account belongs to (None for staff)."""
    if not getattr(user, "is_authenticated", False):
        return None
    link = ApplicantUser.objects.filter(user=user, role=R.SELF).select_related("applicant").first()
    return link.applicant if link else None


def applicants_of(user) -> list[Applicant]:
    """The person first, then the enterprises the account acts for."""
    links = ApplicantUser.objects.filter(user=user).select_related("applicant").order_by("id")
    return [link.applicant for link in links]


def role_for(user, applicant: Applicant) -> str | None:
    link = ApplicantUser.objects.filter(user=user, applicant=applicant).first()
    return link.role if link else None


def bind_person(user, *, id_number: str, name: str, phone: str) -> Applicant:
    """The new account's own applicant record: found by ID number (cases received at a window appear in the
    account) or registered. The caller has checked the name against the population register."""
    number = validate_id_card(id_number)
    with tx.atomic():
        applicant, created = Applicant.objects.select_for_update().get_or_create(
            id_number=number, defaults={"kind": Applicant.Kind.PERSON, "name": name.strip(), "phone": phone})
        if not created and applicant.name != name.strip():
            raise DomainError("applicant_name_mismatch", "该身份证号码已登记的姓名与填写的不一致,请核对证件", field="name")
        if ApplicantUser.objects.filter(applicant=applicant, role=R.SELF).exists():
            raise Conflict("account_exists", "该身份证号码已注册网上办事账号,请直接登录", field="id_number")
        ApplicantUser.objects.create(applicant=applicant, user=user, role=R.SELF)
        record(user, "applicant.account_bound", applicant, data={"role": R.SELF, "new_applicant": created})
    return applicant


def bind_enterprise(user, *, credit_code: str, name: str) -> Applicant:
    """An enterprise registered by its legal representative: the legal-entity register must name the account's
    holder as legal representative."""
    person = person_of(user)
    if person is None:
        raise NotAllowed("请先以本人身份注册并登录网上办事账号")
    code = validate_uscc(credit_code)
    if not name.strip() or len(name) > 120:
        raise DomainError("enterprise_name", "请填写企业名称(不超过120个字)", field="name")
    answer = check_applicant("org", code, name, person.name)
    if not answer.ok:
        raise DomainError("registry_mismatch", f"法人库核验未通过:{answer.message}(须由法定代表人本人注册)", field="credit_code")
    with tx.atomic():
        applicant, created = Applicant.objects.select_for_update().get_or_create(
            id_number=code, defaults={"kind": Applicant.Kind.ORG, "name": name.strip(), "legal_rep": person.name})
        if ApplicantUser.objects.filter(applicant=applicant, role=R.LEGAL_REP).exists():
            raise Conflict("enterprise_bound", "该企业已由法定代表人注册", field="credit_code")
        if applicant.legal_rep != person.name:
            Applicant.objects.filter(pk=applicant.pk).update(legal_rep=person.name)
        ApplicantUser.objects.create(applicant=applicant, user=user, role=R.LEGAL_REP)
        record(user, "applicant.account_bound", applicant, data={"role": R.LEGAL_REP, "new_applicant": created})
    return applicant


def enterprise_for(user, credit_code: str, *, legal_rep: bool = False) -> Applicant:
    """An enterprise the account acts for (as its legal representative when asked); others answer 404."""
    link = ApplicantUser.objects.filter(user=user, applicant__id_number=(credit_code or "").strip().upper(),
                                        applicant__kind=Applicant.Kind.ORG).select_related("applicant").first()
    if link is None or (legal_rep and link.role != R.LEGAL_REP):
        raise NotFound("未找到该企业")
    return link.applicant


def add_operator(user, enterprise: Applicant, *, id_number: str, name: str) -> ApplicantUser:
    """The legal representative names an operator (经办人): a person who has an account of their own."""
    if role_for(user, enterprise) != R.LEGAL_REP:
        raise NotFound("未找到该企业")
    number = validate_id_card(id_number)
    link = ApplicantUser.objects.filter(applicant__id_number=number, role=R.SELF).select_related("user", "applicant").first()
    if link is None or link.applicant.name != name.strip():
        raise DomainError("operator_unknown", "未找到该经办人的网上办事账号(姓名与身份证号码须一致,经办人须先注册)", field="id_number")
    with tx.atomic():
        made, created = ApplicantUser.objects.get_or_create(applicant=enterprise, user=link.user,
                                                            defaults={"role": R.OPERATOR, "added_by": user})
        if not created:
            raise Conflict("operator_exists", f"{name}已是本企业的经办人", field="id_number")
        record(user, "applicant.operator_added", enterprise, data={"operator": link.applicant.masked_id})
    return made


def remove_operator(user, enterprise: Applicant, operator_id: int) -> None:
    if role_for(user, enterprise) != R.LEGAL_REP:
        raise NotFound("未找到该企业")
    with tx.atomic():
        link = ApplicantUser.objects.select_for_update().filter(pk=operator_id, applicant=enterprise, role=R.OPERATOR).first()
        if link is None:
            raise NotFound("未找到该经办人")
        link.delete()
        record(user, "applicant.operator_removed", enterprise, data={"operator": operator_id})


def operators_of(enterprise: Applicant) -> list[dict]:
    out = []
    for link in ApplicantUser.objects.filter(applicant=enterprise).select_related("user").order_by("id"):
        person = ApplicantUser.objects.filter(user=link.user, role=R.SELF).select_related("applicant").first()
        out.append({"id": link.pk, "role": link.role, "role_name": link.get_role_display(),
                    "name": person.applicant.name if person else str(link.user),
                    "id_number": person.applicant.masked_id if person else ""})
    return out
