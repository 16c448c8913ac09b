"""National identifiers: 居民身份证号码 (GB 11643), 统一社会信用代码 (GB 32100), 行政区划代码 (GB/T 2260),
电子证照标识 (GB/T 36904).

Validators raise DomainError with a specific Chinese message; generators make valid numbers with
correct check digits for demo data and tests.
"""

import datetime as dt
import re

from .errors import DomainError
from .regions import lookup, region_table

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I O Z S V
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 organisation code inside the USCC


def _clean(value) -> str:
    return str(value or "").strip().upper()


def id_card_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def validate_id_card(value, *, today: dt.date | None = None) -> str:
    """Return the normalised number or raise DomainError saying exactly what is wrong."""
    v = _clean(value)
    if len(v) != 18:
        raise DomainError("id_card_length", f"身份证号码应为18位,当前为{len(v)}位", field="id_card")
    if not (v[:17].isascii() and v[:17].isdigit()):
        raise DomainError("id_card_chars", "身份证号码前17位应为数字", field="id_card")
    if v[17] not in "0123456789X":
        raise DomainError("id_card_chars", "身份证号码第18位应为数字或X", field="id_card")
    if v[:2] + "0000" not in region_table():  # provinces only: fixed since 1997, and old numbers keep retired county codes
        raise DomainError("id_card_region", "身份证号码地址码无效(省级代码不存在)", field="id_card")
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise DomainError("id_card_birth", "身份证号码出生日期无效", field="id_card") from None
    if birth.year < 1900 or birth > (today or dt.date.today()):
        raise DomainError("id_card_birth", "身份证号码出生日期无效", field="id_card")
    if id_card_check_digit(v[:17]) != v[17]:
        raise DomainError("id_card_check", "身份证号码校验位错误", field="id_card")
    return v


def make_id_card(region: str, birth: dt.date, seq: int) -> str:
    """A valid number: `seq` (0–999) is the order code; odd is male, even female."""
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_card_check_digit(first17)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value) -> str:
    v = _clean(value)
    if len(v) != 18:
        raise DomainError("uscc_length", f"统一社会信用代码应为18位,当前为{len(v)}位", field="uscc")
    bad = sorted({c for c in v if c not in USCC_CHARS})
    if bad:
        raise DomainError(
            "uscc_chars", f"统一社会信用代码含有不允许的字符:{''.join(bad)}(不使用I、O、Z、S、V)", field="uscc"
        )
    if not (v[2:8].isascii() and v[2:8].isdigit()):
        raise DomainError("uscc_region", "统一社会信用代码第3至8位应为登记管理机关行政区划码", field="uscc")
    if uscc_check_char(v[:17]) != v[17]:
        raise DomainError("uscc_check", "统一社会信用代码校验位错误", field="uscc")
    return v


def org_code_check_char(first8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(region: str, serial: int, *, authority: str = "1", kind: str = "1") -> str:
    """A valid code: authority 1 机构编制 / 5 民政 / 9 市场监管 …, kind 1 机关 / 2 事业单位 / 1 企业 …"""
    body = f"{serial % 10**8:08d}"
    org = body + org_code_check_char(body)
    first17 = f"{authority}{kind}{region}{org}"
    return first17 + uscc_check_char(first17)


def validate_region_code(value, *, on: dt.date | None = None) -> str:
    """A code of the region table (the database once Django runs) in force on `on` (default today): a retired
    code stays valid for records dated before its end, a new one from its start."""
    v = _clean(value)
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", v):
        raise DomainError("region_format", f"行政区划代码应为6位数字(乡级9位、村级12位),当前为「{v[:20]}」", field="region")
    found = lookup(v)
    if found is None:
        raise DomainError("region_unknown", f"行政区划代码{v}不存在于区划代码表(系统管理员可在后台“行政区划”中新增)", field="region")
    name, start, end = found
    on = on or dt.date.today()
    if start and on < start:
        raise DomainError("region_not_yet", f"行政区划代码{v}({name})自{start:%Y-%m-%d}起启用", field="region")
    if end and on >= end:
        raise DomainError("region_retired", f"行政区划代码{v}({name})已于{end:%Y-%m-%d}停用", field="region")
    return v


LICENCE_ROOT = "1.2.156.3005.2."  # GB/T 36904-2018: the OID arc of the national e-licence identifiers
_LICENCE_RE = re.compile(
    r"(?P<type>[0-9A-Z]{18}\d{3})\.(?P<issuer>[0-9A-Z]{18}|\d{6})\.(?P<serial>[0-9A-Z]{1,40})\.(?P<version>\d{3})\.(?P<check>[0-9A-Z])"
)


def licence_check_char(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 over the segments after the root, dots removed (GB/T 36904)."""
    from stdnum.iso7064 import mod_37_36

    return mod_37_36.calc_check_digit(body.replace(".", "").upper())


def make_licence_identifier(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """`1.2.156.3005.2.<证照类型代码>.<颁证单位代码>.<流水号>.<版本号>.<校验位>`."""
    body = f"{type_code}.{issuer_code}.{serial}.{version:03d}".upper()
    return f"{LICENCE_ROOT}{body}.{licence_check_char(body)}"


def parse_licence_identifier(value) -> dict:
    """The segments of a well-formed identifier (any issuer, any province; an issuer code is a credit code or a
    6-digit region code), or DomainError naming what is wrong."""
    v = _clean(value)
    if not v.startswith(LICENCE_ROOT):
        raise DomainError("licence_root", f"电子证照标识应以根节点 {LICENCE_ROOT} 开头", field="identifier")
    m = _LICENCE_RE.fullmatch(v[len(LICENCE_ROOT):])
    if m is None:
        raise DomainError("licence_format", "电子证照标识格式错误:应为 证照类型代码(21位).颁证单位代码(18位统一社会信用代码或6位区划代码)"
                          ".流水号.3位版本号.校验位", field="identifier")
    parts = m.groupdict()
    body = f"{parts['type']}.{parts['issuer']}.{parts['serial']}.{parts['version']}"
    if licence_check_char(body) != parts["check"]:
        raise DomainError("licence_check", "电子证照标识校验位错误", field="identifier")
    return {**parts, "identifier": v, "version": int(parts["version"])}


def validate_licence_identifier(value) -> str:
    return parse_licence_identifier(value)["identifier"]


VALIDATORS = {"id_card": validate_id_card, "uscc": validate_uscc, "region": validate_region_code,
              "licence": validate_licence_identifier}


def mask_id_card(value: str) -> str:
    v = value or ""
    return v[:6] + "*" * 8 + v[-4:] if len(v) == 18 else v


def mask_phone(value: str) -> str:
    v = value or ""
    return v[:3] + "****" + v[-4:] if len(v) >= 11 else v
