"""The national investment project code (投资项目统一代码): one code for the project's whole life.

Since 2020 a code reads `YYMM-RRRRRR-DD-TT-NNNNNC` (24 characters, 20 digits): the month the code was given,
the 6-digit region (GB/T 2260), a 2-digit industry/department code, a 2-digit project type (01 审批, 02 核准,
03 备案), a 5-digit serial and a check digit C, ISO/IEC 7064 MOD 11,10 over the 19 digits before it (hyphens
removed). Codes given before 2020 read `YYYY-RRRRRR-DD-TT-NNNNNN` with the year (2013…2020) and carry no check
digit: they stay valid for life and are accepted as they are.
"""

import datetime as dt
import re

from stdnum.iso7064 import mod_11_10

from tongban.core.errors import DomainError
from tongban.core.regions import lookup

PATTERN = re.compile(r"^(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})$")
OLD_YEARS = range(2013, 2021)  # a leading 2013…2020 cannot be a month (13…20), so the two forms never collide
TYPES = {"01": "审批", "02": "核准", "03": "备案"}


def _clean(value) -> str:
    v = str(value or "").strip().replace("—", "-").replace("－", "-").replace("–", "-")
    return v.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


def check_digit(first19: str) -> str:
    return mod_11_10.calc_check_digit(first19)


def validate_project_code(value, *, today: dt.date | None = None) -> str:
    """The normalised code, or DomainError saying exactly what is wrong (field `code`)."""
    v = _clean(value)
    if "\x00" in v:
        raise DomainError("project_code_format", "投资项目代码含有非法字符", field="code")
    m = PATTERN.match(v)
    if not m:
        raise DomainError("project_code_format",
                          f"投资项目代码应为24位,格式为“年月-6位区划-2位行业-2位类型-6位序号”,如2403-370800-04-01-123457,当前为「{v[:30]}」",
                          field="code")
    head, region, _dept, kind, _serial = m.groups()
    if lookup(region) is None:
        raise DomainError("project_code_region", f"投资项目代码中的行政区划代码{region}不存在", field="code")
    if kind not in TYPES:
        raise DomainError("project_code_type", f"投资项目代码中的项目类型{kind}无效(应为01审批、02核准或03备案)", field="code")
    if int(head) in OLD_YEARS:  # 2020年以前赋码:年份,无校验位
        return v
    yy, mm = int(head[:2]), int(head[2:])
    if not (1 <= mm <= 12) or yy < 20:
        raise DomainError("project_code_month", f"投资项目代码的赋码年月{head}无效(2020年起为“年年月月”,此前为年份)", field="code")
    today = today or dt.date.today()
    if (2000 + yy, mm) > (today.year, today.month):
        raise DomainError("project_code_month", f"投资项目代码的赋码年月{head}晚于当前月份", field="code")
    digits = v.replace("-", "")
    expected = check_digit(digits[:19])
    if digits[19] != expected:
        raise DomainError("project_code_check", f"投资项目代码校验位错误(末位应为{expected},当前为{digits[19]}),请核对代码", field="code")
    return v


def describe(code: str) -> dict:
    """The parts of a valid code, for pages and the API."""
    head, region, dept, kind, serial = PATTERN.match(code).groups()
    old = int(head) in OLD_YEARS
    found = lookup(region)
    return {
        "given": f"{head}年" if old else f"20{head[:2]}年{int(head[2:])}月", "region": region,
        "region_name": found[0] if found else "", "industry": dept, "type": kind, "type_name": TYPES.get(kind, ""),
        "serial": serial, "has_check_digit": not old,
    }


def make_project_code(region: str, on: dt.date, serial: int, *, industry: str = "04", kind: str = "03") -> str:
    """A valid code given in the month of `on` (demo data and tests)."""
    first19 = f"{on:%y%m}{region}{industry}{kind}{serial % 100000:05d}"
    body = first19 + check_digit(first19)
    return f"{body[:4]}-{body[4:10]}-{body[10:12]}-{body[12:14]}-{body[14:]}"
