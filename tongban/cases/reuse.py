"""Materials an applicant need not bring again (免提交): offers from the apps above `cases`.

An app that holds something an applicant can reuse (the licence library's 电子证照, the materials of an
earlier case: 申报材料复用) registers a provider with `register(provider)`; a provider is called as
`provider(applicant, version, on)` and returns `Offer`s for materials of that item version's guide.

Intake (the window's checklist, the portal's online form, the API) lists `offers(applicant, version)`
beside the guide's materials. A material entry of `submit_case(materials=[...])` or of the checklist that
names an offer (`{"material": id, "source": "licence", "reference": "<identifier>", "consent": true}`)
is stored as 共享获取(免提交) with the offer's reference, and `events.materials_reused` is sent in the
act's transaction (kwargs: offers, mode) so the provider records the holder's consent and the use.
`cases` imports none of its providers.
"""

import datetime as dt
from dataclasses import dataclass, field

from tongban.core.errors import DomainError


@dataclass(frozen=True)
class Offer:
    material_id: int  # the guide material this satisfies
    source: str  # "licence" | "earlier_case" | …, the providing app's word
    reference: str  # what the source knows it by (a licence identifier, a case number + material)
    label: str  # what the clerk and the applicant read: "电子证照:营业执照(有效期至2030-01-01)"
    valid_until: dt.date | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.reference}"


_providers: list = []


def register(provider) -> None:
    """Called once from the providing app's `ready()`."""
    if provider not in _providers:
        _providers.append(provider)


def offers(applicant, version, on: dt.date | None = None) -> list[Offer]:
    """Every reusable thing the providers hold for this applicant and item version, in guide order."""
    if applicant is None or version is None:
        return []
    found = []
    for provider in _providers:
        found.extend(provider(applicant, version, on))
    return found


def resolve(case, entry: dict, on: dt.date | None = None) -> Offer | None:
    """The offer a material entry names, checked: it must be one of the offers for this case's applicant
    and material, and the applicant must have consented. None when the entry names no offer."""
    source, reference = str(entry.get("source") or "").strip(), str(entry.get("reference") or "").strip()
    if not source and not reference:
        return None
    material_id = int(entry["material"])
    for offer in offers(case.applicant, case.item_version, on):
        if offer.material_id == material_id and offer.source == source and offer.reference == reference:
            if entry.get("consent") is not True:
                raise DomainError("reuse_consent", "复用电子证照或历史材料须经申请人授权同意(consent)", field="materials")
            return offer
    raise DomainError("reuse_offer", "所选复用材料不属于申请人或不能满足该材料要求", field="materials")
