"""Base registries (基础库, F22): the population register (name ↔ 公民身份号码) and the legal-entity register
(name and legal representative ↔ 统一社会信用代码), behind a pluggable interface.

`registry()` returns the configured backend (`settings.BASE_REGISTRY`, a dotted path); the default is the
local demo implementation, which answers from the `RegistryPerson` / `RegistryEntity` tables the demo loader
and the tests fill. A production backend calls the provincial data-sharing exchange (数据共享交换平台) and
returns the same `RegistryAnswer`. Intake (window and portal) and real-name checking of applicant accounts
ask it; a mismatch is shown, never silently accepted.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class RegistryAnswer:
    found: bool  # the register holds this number
    matches: bool  # and the name (and legal representative, when given) agree with it
    message: str  # Chinese, for the clerk or the applicant: what agrees and what does not
    registered_name: str = ""

    @property
    def ok(self) -> bool:
        return self.found and self.matches


class BaseRegistry(Protocol):
    def person(self, id_number: str, name: str) -> RegistryAnswer: ...

    def entity(self, credit_code: str, name: str, legal_rep: str = "") -> RegistryAnswer: ...


def registry() -> BaseRegistry:
    return import_string(getattr(settings, "BASE_REGISTRY", "tongban.cases.registries.LocalRegistry"))()


def check_applicant(kind: str, id_number: str, name: str, legal_rep: str = "") -> RegistryAnswer:
    """The register's answer for an applicant as typed (kind "person" or "org")."""
    if kind == "person":
        return registry().person(id_number, name)
    return registry().entity(id_number, name, legal_rep)


class LocalRegistry:
    """The demo implementation: the local tables stand in for the exchange."""

    def person(self, id_number: str, name: str) -> RegistryAnswer:
        from .models import RegistryPerson

        row = RegistryPerson.objects.filter(id_number=id_number.strip().upper()).first()
        if row is None:
            return RegistryAnswer(False, False, "人口库中未查到该公民身份号码")
        if row.name != name.strip():
            return RegistryAnswer(True, False, "姓名与人口库登记的姓名不一致", row.name)
        return RegistryAnswer(True, True, "姓名与公民身份号码一致(人口库)", row.name)

    def entity(self, credit_code: str, name: str, legal_rep: str = "") -> RegistryAnswer:
        from .models import RegistryEntity

        row = RegistryEntity.objects.filter(credit_code=credit_code.strip().upper()).first()
        if row is None:
            return RegistryAnswer(False, False, "法人库中未查到该统一社会信用代码")
        if row.name != name.strip():
            return RegistryAnswer(True, False, "名称与法人库登记的名称不一致", row.name)
        if legal_rep.strip() and row.legal_rep != legal_rep.strip():
            return RegistryAnswer(True, False, "法定代表人与法人库登记的不一致", row.name)
        return RegistryAnswer(True, True, "名称、法定代表人与统一社会信用代码一致(法人库)", row.name)
