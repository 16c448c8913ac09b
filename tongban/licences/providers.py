"""What the licence library offers the apps below it, registered in LicencesConfig.ready:
- reuse offers (tongban.cases.reuse): each guide material that names a licence type is offered from the holder's
  wallet (电子证照, 免提交); materials the applicant submitted in an earlier case and still valid (申报材料复用);
- decision details (tongban.cases.document_details): a 准予许可 decision names the licence it issued."""

import datetime as dt

from django.utils import timezone

from tongban.cases.reuse import Offer

from .models import Licence, LicenceStatus

EARLIER_CASE_YEARS = 1  # an earlier case's material counts as still valid for a year after it was received


def _valid_text(licence: Licence) -> str:
    return f"有效期至{licence.valid_until:%Y-%m-%d}" if licence.valid_until else "长期有效"


def wallet_offers(applicant, version, on: dt.date | None = None) -> list[Offer]:
    """电子证照: the holder's valid licences whose type a material of this guide names (source 20)."""
    on = on or timezone.localdate()
    materials = [m for m in version.materials.all() if m.licence_type]
    if not materials:
        return []
    licences = {}
    for licence in (Licence.objects.filter(holder_id=applicant.id_number, status=LicenceStatus.VALID,
                                           licence_type__name__in={m.licence_type for m in materials})
                    .select_related("licence_type").order_by("-issued_on", "-id")):
        if licence.is_valid_on(on):
            licences.setdefault(licence.licence_type.name, licence)  # the newest valid one of each type
    out = []
    for m in materials:
        licence = licences.get(m.licence_type)
        if licence is not None:
            out.append(Offer(material_id=m.pk, source="licence", reference=licence.identifier,
                             label=f"电子证照:{licence.licence_type.name} {licence.number}({_valid_text(licence)})",
                             valid_until=licence.valid_until, extra={"material_name": m.name, "number": licence.number}))
    return out


def earlier_case_offers(applicant, version, on: dt.date | None = None) -> list[Offer]:
    """申报材料复用: a material of this guide (same name or shared key) the applicant handed in for an earlier case
    within the last year, received with a file, in a case past intake that did not end refused or withdrawn."""
    from tongban.cases.models import CaseMaterial

    on = on or timezone.localdate()
    wanted = {m.merge_key: m for m in version.materials.all() if not m.licence_type}
    if not wanted:
        return []
    since = on - dt.timedelta(days=365 * EARLIER_CASE_YEARS)
    rows = (CaseMaterial.objects.filter(case__applicant=applicant, case__received_on__gte=since,
                                        status__in=[CaseMaterial.Status.PROVIDED, CaseMaterial.Status.ORIGINAL_SEEN])
            .exclude(file="").exclude(case__state__in=["received", "correction", "refused", "withdrawn"])
            .select_related("material", "case").order_by("-case__received_on", "-id")[:200])
    out, seen = [], set()
    for cm in rows:
        m = wanted.get(cm.material.merge_key)
        if m is None or m.pk in seen:
            continue
        seen.add(m.pk)
        until = cm.case.received_on + dt.timedelta(days=365 * EARLIER_CASE_YEARS)
        out.append(Offer(material_id=m.pk, source="earlier_case", reference=f"{cm.case.number}/{cm.material_id}",
                         label=f"历史申报材料:{cm.material.name}(办件{cm.case.number},{cm.case.received_on:%Y-%m-%d}提交)",
                         valid_until=until, extra={"material_name": m.name}))
    return out


def decision_details(case) -> list[tuple[str, str]]:
    out = []
    for licence in Licence.objects.filter(case=case, previous__isnull=True).select_related("licence_type"):
        until = f"{licence.valid_until:%Y年%m月%d日}" if licence.valid_until else "长期"
        out += [("证照名称", licence.licence_type.name), ("许可证编号", licence.number), ("许可内容", licence.content),
                ("有效期", f"{licence.valid_from:%Y年%m月%d日}至{until}"), ("电子证照标识", licence.identifier)]
    return out
