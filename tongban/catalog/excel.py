"""Catalogue import and export as Excel (openpyxl), for a county migrating its list in a day.

A workbook has up to three sheets: 部门 (departments, optional), 事项 (one row per item) and 材料 (one row
per material, keyed to its item by 区划代码 + 基本编码). An upload is read and checked whole before anything
is written, and every error of every row is reported at once, each with its sheet, row, column and, for a
choice, the values allowed. Then, as the administrator chose:
- 全部或不导入 (`all`): any error and nothing is written;
- 导入无误的行 (`valid`): the rows without errors are written, the others come back in an error workbook
  (the original rows plus a 错误原因 column) to fix and upload again.
Imported items land as drafts; an administrator reviews and publishes them in bulk (services.publish_drafts).
Labels are matched tolerantly: full- or half-width punctuation, spaces, and common synonyms (企业 → 法人).
"""

import base64
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tongban.core.errors import DomainError
from tongban.core.identifiers import validate_uscc
from tongban.org import services as org_services
from tongban.org.models import Department, Level, Region, Role
from tongban.org.scopes import has_role

from . import services
from .models import CaseKind, FeeEntry, ItemType, ItemVersion, Material, OnlineDepth, Scope, ServiceObject, Visits

SEP = "、"
ITEMS, MATERIALS, DEPARTMENTS = "事项", "材料", "部门"
REASON = "错误原因"
MODES = {"all": "全部或不导入(有任何错误则不写入)", "valid": "导入无误的行,有误的行退回(错误工作簿)"}


@dataclass(frozen=True)
class Col:
    label: str
    key: str
    kind: str = "text"  # text, code, choice, int, bool, credit, region, list, url
    required: bool = False
    choices: str = ""  # a LOOKUPS key
    width: int = 0  # code columns: the width leading zeros are restored to
    aliases: tuple = ()
    lo: int = 0
    hi: int = 3650


DEPT_COLUMNS = [
    Col("部门名称", "name", required=True, aliases=("名称", "单位名称")),
    Col("统一社会信用代码", "credit_code", "credit", required=True, aliases=("信用代码",)),
    Col("区划代码", "region", "region", required=True, aliases=("行政区划代码", "所属区划代码")),
    Col("职能代码", "function", aliases=("职能",)),
    Col("简称", "short_name"),
    Col("行政审批服务局", "is_approval_bureau", "bool", aliases=("是否行政审批服务局",)),
]
ITEM_COLUMNS = [
    Col("区划代码", "region", "region", required=True, aliases=("行政区划代码", "实施区划代码")),
    Col("实施主体统一社会信用代码", "credit_code", "credit", required=True, aliases=("实施主体信用代码", "统一社会信用代码", "实施主体编码")),
    Col("实施机构", "sub_unit", aliases=("实施主体下属单位", "内设机构", "承办机构")),
    Col("行使层级", "level", "choice", choices="level"),
    Col("目录管理单位码", "owner_code", "code", width=2),
    Col("事项类型", "type_code", "choice", required=True, choices="type_code"),
    Col("主项编码", "main_code", "code", required=True, width=5),
    Col("子项编码", "sub_code", "code", width=3),
    Col("事项名称", "name", required=True, aliases=("实施清单名称", "事项名")),
    Col("别名", "aliases", aliases=("俗称", "别名/俗称")),
    Col("主事项", "group_name", aliases=("主项名称", "主事项名称")),
    Col("服务对象", "service_object", "choice", required=True, choices="service_object"),
    Col("办件类型", "case_kind", "choice", required=True, choices="case_kind"),
    Col("法定时限", "legal_limit", "int", required=True, aliases=("法定办结时限",)),
    Col("承诺时限", "promised_limit", "int", required=True, aliases=("承诺办结时限",)),
    Col("可延长", "extension_allowed", "bool"),
    Col("延长工作日", "extension_days", "int", hi=60),
    Col("到现场次数", "visits", "choice", choices="visits"),
    Col("网办深度", "online_depth", "choice", choices="online_depth", aliases=("网上办理深度",)),
    Col("通办范围", "scope", "choice", choices="scope"),
    Col("告知承诺", "informed_commitment", "bool", aliases=("可告知承诺",)),
    Col("受理条件", "conditions"),
    Col("设定依据", "legal_basis", required=True),
    Col("办理流程", "flow", "list"),
    Col("收费编码", "fees", "list"),
    Col("省级基本编码", "province_basic_code", aliases=("省基本编码",)),
    Col("省级实施编码", "province_implementation_code", aliases=("省实施编码", "省级平台实施编码")),
    Col("来源网址", "source_url", "url", aliases=("来源链接", "办事指南网址")),
    Col("审批结果证照", "licence_type", aliases=("结果证照", "颁发证照")),
    Col("生效日期", "valid_from", "ignore"),  # exported for reference; publication sets the date
]
MATERIAL_COLUMNS = [
    Col("区划代码", "region", "region", required=True, aliases=("行政区划代码",)),
    Col("基本编码", "basic_code", "code", required=True, width=12, aliases=("事项基本编码",)),
    Col("材料名称", "name", required=True),
    Col("材料类型", "role", "choice", choices="role", aliases=("材料必要性",)),
    Col("材料形式", "form", "choice", choices="form"),
    Col("份数", "copies", "int", lo=1, hi=99),
    Col("载体", "media", "choice", choices="media", aliases=("材料载体",)),
    Col("来源渠道", "source", "choice", choices="source", aliases=("材料来源",)),
    Col("证照类型", "licence_type", aliases=("可用电子证照",)),
    Col("通用材料标识", "shared_key"),
    Col("填报须知", "notes"),
]
SHEETS = {DEPARTMENTS: DEPT_COLUMNS, ITEMS: ITEM_COLUMNS, MATERIALS: MATERIAL_COLUMNS}
ROW_CONTENT_FIELDS = {c.key for c in ITEM_COLUMNS} & set(ItemVersion.CONTENT_FIELDS)
EXTERNAL_FIELDS = ["province_basic_code", "province_implementation_code", "sub_unit", "source_url", "group_name"]
DEFAULTS = {
    "owner_code": "00", "sub_code": "000", "extension_allowed": False, "extension_days": 0, "visits": Visits.ONE,
    "online_depth": OnlineDepth.PRECHECK, "scope": Scope.LOCAL, "informed_commitment": False, "role": Material.Role.MAIN,
    "form": Material.Form.ORIGINAL, "copies": 1, "media": Material.Media.BOTH, "source": Material.Source.APPLICANT,
    "is_approval_bureau": False,
}

_SEPARATORS = re.compile(r"[,/;、和及与或]+")


def norm(text) -> str:
    """Full-width to half-width, spaces removed, list separators unified: 「三级：在线预审」 = 「三级:在线预审」."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    t = re.sub(r"\s+", "", t)
    return _SEPARATORS.sub(SEP, t).strip(SEP)


SYNONYMS = {
    "service_object": {"企业": "org", "单位": "org", "法人或其他组织": "org", "法人和其他组织": "org", "个人": "person", "公民": "person",
                       "自然人、法人": "both", "个人、企业": "both", "企业、个人": "both", "法人、自然人": "both", "全部": "both"},
    "case_kind": {"即办": "immediate", "承诺": "promised"},
    "visits": {"0次": 0, "零次": 0, "不跑": 0, "一次": 1, "1次": 1, "跑一次": 1, "2次": 2, "两次": 2, "多次": 2, "2次及以上": 2},
    "online_depth": {"一级": 1, "二级": 2, "三级": 3, "四级": 4, "信息公开": 1, "在线预约": 2, "表格下载": 2, "在线预审": 3, "全程网办": 4},
    "level": {"省": 1, "省级": 1, "市": 2, "地市级": 2, "设区市": 2, "县": 3, "区县级": 3, "县(市、区)": 3, "县(市、区)级": 3,
              "乡": 4, "镇": 4, "乡镇": 4, "乡镇(街道)": 4, "街道": 4, "村": 5, "村(社区)": 5, "社区": 5},
    "type_code": {"许可": "01", "处罚": "02", "强制": "03", "征收": "04", "给付": "05", "检查": "06", "确认": "07", "奖励": "08",
                  "裁决": "09", "其他权力": "10", "其他": "10", "公共服务事项": "20"},
    "scope": {"本级": "local", "全市": "city", "全省": "province", "跨省": "national", "全国通办": "national"},
    "role": {"必要": "main", "必须": "main", "必需": "main", "必交": "main", "辅助": "auxiliary", "辅助材料": "auxiliary",
             "容缺": "auxiliary", "可容缺": "auxiliary", "视情形": "optional", "视情况": "optional", "视情况提供": "optional",
             "非必要": "optional", "可选": "optional"},
    "form": {"原件、复印件": "original_and_copy", "原件和复印件": "original_and_copy", "复印": "copy"},
    "media": {"纸质、电子": "both", "电子版": "electronic", "纸质版": "paper"},
    "source": {"申请人": "10", "自备": "10", "申请人提供": "10", "政府部门": "20", "政府核发": "20", "部门核发": "20"},
}
CHOICES = {
    "level": Level.choices, "type_code": ItemType.choices, "service_object": ServiceObject.choices, "case_kind": CaseKind.choices,
    "visits": Visits.choices, "online_depth": OnlineDepth.choices, "scope": Scope.choices, "role": Material.Role.choices,
    "form": Material.Form.choices, "media": Material.Media.choices, "source": Material.Source.choices,
}


def _lookup(key: str) -> dict:
    out = {}
    for value, label in CHOICES[key]:
        out[norm(value)] = value
        out[norm(label)] = value
        out[norm(re.sub(r"\(.*?\)", "", str(label)))] = value  # 辅助材料(可容缺) → 辅助材料
    for word, value in SYNONYMS.get(key, {}).items():
        out.setdefault(norm(word), value)
    return out


LOOKUPS = {key: _lookup(key) for key in CHOICES}
BOOL = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "y": True, "n": False, "√": True,
        "×": False, "有": True, "无": False, "可以": True, "不可以": False}
MISSING_CELLS = (None, "")


def allowed(key: str) -> str:
    return " / ".join(str(label) for _, label in CHOICES[key])


class Problems(list):
    def add(self, col: Col, message: str):
        self.append((col.label, message))


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        v = int(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    return str(v).strip()


def _numeric_code(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class Context:
    """What the checks look up, read once per upload."""

    actor: object
    regions: dict
    departments: dict  # credit code → Department (saved, or to be saved from the 部门 sheet)
    fees: dict
    digit_codes: set = field(default_factory=set)  # the all-digit credit codes known (Excel may have rounded them)
    today: dt.date = field(default_factory=dt.date.today)

    def know_digit_code(self, code: str):
        if code.isdigit():
            self.digit_codes.add(code)


def rounds_to(code: str, value: float) -> bool:
    """Whether the digits of `code`, rounded to as many significant digits as `value` keeps, give `value`."""
    mantissa = repr(value).split("e")[0].replace(".", "").replace("-", "").lstrip("0").rstrip("0") or "0"
    n = max(len(mantissa), 1)
    return f"{int(code):.{n - 1}e}" == f"{value:.{n - 1}e}"


def parse_credit(raw, ctx: Context) -> str:
    """A credit code, also when Excel stored an all-digit one as a number (rounded to 15 significant digits):
    recovered when exactly one known code rounds to it, otherwise a message saying what happened."""
    if _numeric_code(raw):
        if isinstance(raw, int) and len(str(raw)) == 18:
            return validate_uscc(str(raw))
        shown = f"{raw:.5E}".replace("E+", "E+")
        candidates = [c for c in ctx.digit_codes if rounds_to(c, float(raw))]
        if float(raw) >= 1e17 and len(candidates) == 1:
            return next(iter(candidates))
        raise DomainError("uscc_number", f"单元格被 Excel 存成了数字({shown}),统一社会信用代码的末几位已丢失、无法还原;"
                                         "请把该列设置为“文本”格式后重新输入(或在代码前加英文单引号 ')")
    t = _text(raw)
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", t, flags=re.I):
        raise DomainError("uscc_number", f"「{t}」是科学计数法显示的数字,统一社会信用代码已丢失末几位;请把该列设置为“文本”格式后重新输入")
    return validate_uscc(t)


def check_cell(col: Col, raw, ctx: Context, problems: Problems, *, region_on: dt.date | None = None):
    """The typed value of one cell, or None after adding a problem. Empty optional cells get their default."""
    empty = raw in MISSING_CELLS or (isinstance(raw, str) and not raw.strip())
    if empty:
        if col.required:
            hint = f",可填:{allowed(col.choices)}" if col.kind == "choice" else ""
            problems.add(col, f"{col.label}不能为空{hint}")
            return None
        if col.kind == "list":
            return []
        return DEFAULTS.get(col.key, "" if col.kind in ("text", "url", "code") else None)
    try:
        if col.kind == "region":
            code = _text(raw)
            region = ctx.regions.get(code)
            if region is None:
                shape = "6位数字(乡级9位、村级12位)" if not (code.isdigit() and len(code) in (6, 9, 12)) else ""
                raise DomainError("region_unknown", f"行政区划代码{code}" + (f"格式有误,应为{shape}" if shape else "不在区划代码表中(系统管理员可在后台“行政区划”中新增)"))
            if not region.in_force(region_on or ctx.today):
                raise DomainError("region_retired", f"行政区划代码{code}({region.name})已于{region.valid_to:%Y-%m-%d}停用")
            return region
        if col.kind == "credit":
            return parse_credit(raw, ctx)
        if col.kind == "choice":
            t = _text(raw)
            if col.choices == "type_code" and t.isdigit() and len(t) == 1:
                t = t.zfill(2)  # 01 typed into a number cell
            value = LOOKUPS[col.choices].get(norm(t))
            if value is None:
                raise DomainError("choice", f"「{_text(raw)}」不是有效的{col.label},可填:{allowed(col.choices)}")
            return value
        if col.kind == "int":
            t = _text(raw)
            if not (t.isascii() and t.isdigit()) or not col.lo <= int(t) <= col.hi:
                raise DomainError("int", f"{col.label}应为{col.lo}至{col.hi}之间的整数(工作日),当前为「{t}」")
            return int(t)
        if col.kind == "bool":
            value = BOOL.get(norm(_text(raw)))
            if value is None:
                raise DomainError("bool", f"「{_text(raw)}」不是有效的{col.label},可填:是 / 否")
            return value
        if col.kind == "code":
            t = _text(raw)
            if t.isdigit() and len(t) < col.width:
                t = t.zfill(col.width)  # leading zeros a number cell dropped: unambiguous for a fixed width
            if len(t) != col.width or not (t.isascii() and t.isalnum()):
                raise DomainError("code", f"{col.label}应为{col.width}位数字或字母,当前为「{t}」")
            return t.upper()
        if col.kind == "list":
            return [s.strip() for s in re.split(r"[、,,;;→\n]+", _text(raw)) if s.strip()]
        if col.kind == "url":
            t = _text(raw)
            if not re.match(r"https?://\S+$", t):
                raise DomainError("url", f"{col.label}应以 http:// 或 https:// 开头,当前为「{t[:60]}」")
            return t[:500]
        return _text(raw)
    except DomainError as e:
        problems.add(col, e.message)
        return None


# --- reading -------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str
    header: list
    rows: list  # (row number, values tuple)
    index: dict  # key → column position


def _header_row(rows: list, columns) -> int:
    """The index of the header among the first rows: provincial exports often put a title row (仁寿县政务服务事项
    实施清单) or a merged group row above it. The first row naming at least two known columns; else the first row."""
    known = {norm(n) for c in columns for n in (c.label, *c.aliases)}
    for i, row in enumerate(rows[:6]):
        if sum(1 for v in row if norm(_text(v)) in known) >= 2:
            return i
    return 0


def _read_sheet(ws, columns, errors: list) -> Sheet:
    rows = list(ws.iter_rows(values_only=True))
    at = _header_row(rows, columns)
    header = [_text(v) for v in (rows[at] if rows else ())]
    normalised = {norm(h): i for i, h in enumerate(header) if h}
    index = {}
    for col in columns:
        for name in (col.label, *col.aliases):
            if norm(name) in normalised:
                index[col.key] = normalised[norm(name)]
                break
    missing = [c.label for c in columns if c.required and c.key not in index]
    if missing:
        errors.append({"sheet": ws.title, "row": at + 1, "column": SEP.join(missing),
                       "message": f"工作表「{ws.title}」缺少必填列:{SEP.join(missing)}(可下载导入模板对照列名)"})
    body = [(n, r) for n, r in enumerate(rows[at + 1:], start=at + 2) if any(v not in MISSING_CELLS for v in r)]
    return Sheet(ws.title, header, body, index)


def _cells(sheet: Sheet, values, columns):
    for col in columns:
        i = sheet.index.get(col.key)
        yield col, (values[i] if i is not None and i < len(values) else None), i is not None


# --- the import ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    mode: str = "all"
    errors: list[dict] = field(default_factory=list)
    rows: dict = field(default_factory=dict)  # sheet → rows read
    failed_rows: dict = field(default_factory=dict)  # sheet → {row: [reasons]}
    departments: dict = field(default_factory=dict)
    items_created: int = 0
    drafts: int = 0
    unchanged: int = 0
    draft_ids: list[int] = field(default_factory=list)
    written: bool = False
    error_workbook: bytes | None = None
    seconds_validate: float = 0.0
    seconds_write: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def failed_count(self) -> int:
        return sum(len(v) for v in self.failed_rows.values())

    def error(self, sheet: str, row: int, column: str, message: str):
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})
        self.failed_rows.setdefault(sheet, {}).setdefault(row, []).append(f"{column}:{message}" if column else message)

    def error_workbook_data_uri(self) -> str:
        return "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + base64.b64encode(self.error_workbook or b"").decode()


def import_workbook(actor, upload, mode: str = "all") -> ImportReport:
    """Check the whole workbook, then write as `mode` says (see the module docstring)."""
    import time

    from django.utils import timezone

    started = time.perf_counter()
    report = ImportReport(mode=mode if mode in MODES else "all")
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        report.error("", 0, "", f"无法读取 Excel 文件:请上传 .xlsx 格式({type(e).__name__})")
        return report
    names = {norm(n): n for n in wb.sheetnames}
    if norm(ITEMS) not in names and norm(DEPARTMENTS) not in names:
        report.error(ITEMS, 0, "", f"缺少工作表「{ITEMS}」(或只导入部门时的「{DEPARTMENTS}」);现有工作表:{SEP.join(wb.sheetnames)}")
        return report
    sheet_errors: list[dict] = []
    sheets = {key: _read_sheet(wb[names[norm(key)]], cols, sheet_errors) for key, cols in SHEETS.items() if norm(key) in names}
    for e in sheet_errors:
        report.errors.append(e)
    wb.close()  # read-only workbooks keep the file open
    for key, sheet in sheets.items():
        report.rows[key] = len(sheet.rows)

    ctx = Context(
        actor=actor, regions={r.code: r for r in Region.objects.all()},
        departments={d.credit_code: d for d in Department.objects.select_related("region")},
        fees={f.code: f for f in FeeEntry.objects.filter(active=True)}, today=timezone.localdate(),
    )
    for code in ctx.departments:
        ctx.know_digit_code(code)

    dept_rows = _check_departments(sheets.get(DEPARTMENTS), ctx, report)
    item_rows = _check_items(sheets.get(ITEMS), sheets.get(MATERIALS), ctx, report)
    order = {DEPARTMENTS: 0, ITEMS: 1, MATERIALS: 2}
    report.errors.sort(key=lambda e: (order.get(e["sheet"], -1), e["row"]))  # stable: a row's errors keep their column order
    report.seconds_validate = time.perf_counter() - started

    if report.errors and report.mode == "all":
        report.error_workbook = error_workbook(sheets, report)  # the bad rows only: the refusal stays as fast as the check
        return report
    started = time.perf_counter()
    good_depts = [r for n, r in dept_rows if n not in report.failed_rows.get(DEPARTMENTS, {})]
    good_items = [r for n, r in item_rows if n not in report.failed_rows.get(ITEMS, {})]
    if good_depts or good_items:
        from django.db import IntegrityError, transaction

        try:
            with transaction.atomic():
                if good_depts:
                    report.departments = org_services.save_departments(actor, good_depts)
                    saved = {d.credit_code: d for d in Department.objects.filter(credit_code__in=[r["credit_code"] for r in good_depts])}
                    for r in good_items:
                        if r["department"].pk is None:
                            r["department"] = saved[r["department"].credit_code]
                if good_items:
                    out = services.import_drafts(actor, good_items)
                    report.items_created, report.drafts, report.unchanged = out["created"], out["drafted"], out["unchanged"]
                    report.draft_ids = [v.pk for v in out["versions"]]
            report.written = True
        except (DomainError, IntegrityError) as e:  # e.g. the same items written by another upload meanwhile
            report.departments, report.items_created, report.drafts, report.unchanged, report.draft_ids = {}, 0, 0, 0, []
            message = e.message if isinstance(e, DomainError) else "写入时发现与其他人同时导入的数据冲突(相同事项或部门已存在)"
            report.errors.append({"sheet": "", "row": 0, "column": "", "message": f"{message};未写入任何数据,请重新导入"})
    if report.errors:
        report.error_workbook = error_workbook(sheets, report)
    report.seconds_write = time.perf_counter() - started
    return report


def _check_departments(sheet: Sheet | None, ctx: Context, report: ImportReport) -> list[tuple[int, dict]]:
    if sheet is None:
        return []
    out, seen = [], {}
    for n, values in sheet.rows:
        problems = Problems()
        row = {}
        for col, raw, present in _cells(sheet, values, DEPT_COLUMNS):
            if present or col.required:
                row[col.key] = check_cell(col, raw, ctx, problems) if present else None
            else:
                row[col.key] = DEFAULTS.get(col.key, "")
        code, region = row.get("credit_code"), row.get("region")
        if code and code in seen:
            problems.append(("统一社会信用代码", f"与第{seen[code]}行重复"))
        if region is not None and not has_role(ctx.actor, Role.SYSTEM_ADMIN, region=region):
            problems.append(("区划代码", f"您没有{region.name}系统管理员的权限,不能导入该区划的部门"))
        for column, message in problems:
            report.error(DEPARTMENTS, n, column, message)
        if code:
            seen.setdefault(code, n)
        if problems:
            continue
        row["function"] = row.get("function") or ""
        out.append((n, row))
        existing = ctx.departments.get(code)
        ctx.departments[code] = existing or Department(
            name=row["name"], credit_code=code, region=region, function=row["function"], short_name=row.get("short_name") or "",
        )
        ctx.know_digit_code(code)
    return out


def _check_items(items: Sheet | None, materials: Sheet | None, ctx: Context, report: ImportReport) -> list[tuple[int, dict]]:
    if items is None:
        return []
    from .models import Item

    existing = {(region_code, basic): dept_id for region_code, basic, dept_id in Item.objects.filter(
        region__code__in={_text(v[items.index["region"]]) for _, v in items.rows} if "region" in items.index else [],
    ).values_list("region__code", "basic_code", "department_id")}
    by_key: dict[tuple, list] = {}  # (region code, basic code) → [(row, material dict)]
    material_problems: dict[tuple, list] = {}
    for n, values in (materials.rows if materials else []):
        problems = Problems()
        m = {}
        for col, raw, present in _cells(materials, values, MATERIAL_COLUMNS):
            m[col.key] = check_cell(col, raw, ctx, problems) if (present or col.required) else DEFAULTS.get(col.key, "")
        name = m.get("name") or ""
        if name and services.is_placeholder(name):
            problems.append(("材料名称", f"材料名称不能为「{name}」:没有申请材料的事项不填材料行"))
        region, basic = m.pop("region", None), m.pop("basic_code", None)
        key = (region.code if region else _text(values[materials.index["region"]]) if "region" in materials.index else "",
               basic or "")
        by_key.setdefault(key, []).append((n, m))
        for column, message in problems:
            report.error(MATERIALS, n, column, message)
        if problems:
            material_problems.setdefault(key, []).append(n)

    out, seen = [], {}
    for n, values in items.rows:
        problems = Problems()
        row = {}
        for col, raw, present in _cells(items, values, ITEM_COLUMNS):
            if col.kind == "ignore":
                continue
            row[col.key] = check_cell(col, raw, ctx, problems) if (present or col.required) else _absent(col)
        region, code = row.get("region"), row.get("credit_code")
        dept = ctx.departments.get(code) if code else None
        if code and dept is None:
            problems.append(("实施主体统一社会信用代码", f"没有统一社会信用代码为{code}的部门:请先在「{DEPARTMENTS}」表或后台添加该部门"))
        if dept is not None and not has_role(ctx.actor, Role.CATALOG_ADMIN, region=dept.region) and not (
                dept.pk and has_role(ctx.actor, Role.CATALOG_ADMIN, department=dept)):
            problems.append(("实施主体统一社会信用代码", f"您没有{dept.name}的事项管理员权限"))
        if dept is not None and region is not None and not dept.region.contains(region):
            problems.append(("区划代码", f"实施主体「{dept.name}」属于{dept.region.name}({dept.region.code}),不能实施{region.name}({region.code})的事项"))
        if row.get("level") is None and region is not None and "行使层级" not in problems_columns(problems):
            row["level"] = min(region.level, Level.VILLAGE)
        legal, promised = row.get("legal_limit"), row.get("promised_limit")
        if legal is not None and promised is not None and promised > legal:
            problems.append(("承诺时限", f"承诺时限({promised})不得超过法定时限({legal})"))
        if row.get("extension_days") and row.get("extension_allowed") is False:
            problems.append(("延长工作日", "未设定“可延长”的事项不能填写延长工作日(可延长填“是”,或延长工作日填0)"))
        unknown = [c for c in row.get("fees") or [] if c not in ctx.fees]
        if unknown:
            problems.append(("收费编码", f"收费编码{SEP.join(unknown)}不在收费清单内,清单之外不得收费"))
        basic = None
        if all(row.get(k) is not None for k in ("owner_code", "type_code", "main_code", "sub_code")):
            basic = f"{row['owner_code']}{row['type_code']}{row['main_code']}{row['sub_code']}"
            key = (region.code if region else "", basic)
            if region is not None and key in seen:
                problems.append(("主项编码", f"与第{seen[key]}行重复(同一区划同一基本编码)"))
            seen.setdefault(key, n)
            if dept is not None and key in existing and existing[key] != dept.pk:
                problems.append(("实施主体统一社会信用代码", f"{region.name}已有基本编码{basic}的事项,由另一部门实施;实施主体变更须新建实施事项"))
        mats = by_key.pop((region.code, basic), []) if region is not None and basic else []
        names = {}
        for mn, m in mats:
            k = norm(re.sub(r"[()()《》“”\"']", "", m.get("name") or ""))
            if k and k in names:
                report.error(MATERIALS, mn, "材料名称", f"与第{names[k]}行的材料重复(同一事项同一材料只列一次)")
                material_problems.setdefault((region.code, basic), []).append(mn)
            names.setdefault(k, mn)
        bad = material_problems.get((region.code, basic), []) if region is not None and basic else []
        if bad:
            problems.append(("", f"该事项的材料有误(「{MATERIALS}」表第{SEP.join(str(b) for b in sorted(set(bad)))}行)"))
        for column, message in problems:
            report.error(ITEMS, n, column, message)
        if problems:
            for mn, _ in mats:
                if mn not in report.failed_rows.get(MATERIALS, {}):
                    report.failed_rows.setdefault(MATERIALS, {})[mn] = [f"所属事项(「{ITEMS}」表第{n}行)有误,随之退回"]
            continue
        out.append((n, {
            "region": region, "department": dept, "level": row["level"], "owner_code": row["owner_code"],
            "type_code": row["type_code"], "main_code": row["main_code"], "sub_code": row["sub_code"], "basic_code": basic,
            "external": {k: row.get(k) or "" for k in EXTERNAL_FIELDS},
            "content": {k: row[k] for k in ROW_CONTENT_FIELDS if k in row},
            "materials": [m for _, m in mats],
            "fees": [{"fee_entry": ctx.fees[c]} for c in row.get("fees") or []],
        }))
    for key, rows in by_key.items():  # materials whose item is not in the sheet
        for mn, _ in rows:
            report.error(MATERIALS, mn, "基本编码", f"材料所属事项 {key[0]}/{key[1]} 不在「{ITEMS}」表中")
    return out


def _absent(col: Col):
    """The value of a column the sheet does not have."""
    if col.kind == "list":
        return []
    if col.kind == "choice" and col.key not in DEFAULTS:
        return None
    return DEFAULTS.get(col.key, "")


def problems_columns(problems) -> set:
    return {c for c, _ in problems}


# --- workbooks out -------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REASON_FILL = PatternFill("solid", fgColor="FCE4D6")
TEXT_KINDS = {"code", "credit", "region"}


def _format_sheet(ws, columns, n_rows: int):
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(40, len(col.label) * 2 + 4))
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = HEADER_FILL
        if col.kind in TEXT_KINDS:
            for r in range(2, n_rows + 1):
                ws.cell(row=r, column=i).number_format = "@"  # codes are text: no rounding, no lost leading zeros
    ws.freeze_panes = "A2"


def _choice_sheet(wb):
    ws = wb.create_sheet("可选值")
    keys = list(CHOICES)
    for i, key in enumerate(keys, start=1):
        ws.cell(row=1, column=i, value=key)
        for r, (_, label) in enumerate(CHOICES[key], start=2):
            ws.cell(row=r, column=i, value=str(label))
    ws.cell(row=1, column=len(keys) + 1, value="bool")
    ws.cell(row=2, column=len(keys) + 1, value="是")
    ws.cell(row=3, column=len(keys) + 1, value="否")
    ws.sheet_state = "hidden"
    return {key: f"可选值!${get_column_letter(i)}$2:${get_column_letter(i)}${len(CHOICES[key]) + 1}" for i, key in enumerate(keys, 1)} | {
        "bool": f"可选值!${get_column_letter(len(keys) + 1)}$2:${get_column_letter(len(keys) + 1)}$3"}


def _validations(ws, columns, ranges):
    """Drop-down lists of the allowed values (typing another value still passes: the import matches tolerantly)."""
    for i, col in enumerate(columns, start=1):
        source = ranges.get(col.choices) if col.kind == "choice" else ranges["bool"] if col.kind == "bool" else None
        if not source:
            continue
        dv = DataValidation(type="list", formula1=f"={source}", allow_blank=not col.required, showErrorMessage=False)
        dv.promptTitle, dv.prompt = col.label, ("可填:" + (allowed(col.choices) if col.kind == "choice" else "是 / 否"))[:250]
        dv.showInputMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}5000")


def template_workbook() -> bytes:
    """An empty workbook in the import's layout: required headers in red, code columns as text, drop-down lists."""
    wb = Workbook()
    guide = wb.active
    guide.title = "说明"
    for line in [
        "事项目录导入模板",
        "红色列名为必填列;代码列(区划代码、统一社会信用代码、主项编码等)已设为文本格式,请勿改为数字或常规格式。",
        "「部门」表可选:批量新增或更新部门(需系统管理员权限)。「材料」表以 区划代码+基本编码 对应事项;基本编码=目录管理单位码+事项类型码+主项编码+子项编码。",
        "选项列可从下拉列表选择,也可直接输入(全角/半角标点、空格不影响;如 企业=法人、个人=自然人)。",
        "导入的事项为草稿,经审核后在“草稿审核发布”页面批量发布并指定生效日期。",
    ]:
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    ranges = _choice_sheet(wb)
    for name, columns in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.append([c.label for c in columns if c.kind != "ignore"])
        cols = [c for c in columns if c.kind != "ignore"]
        _format_sheet(ws, cols, 2000)  # the rows an administrator will type into
        _validations(ws, cols, ranges)
    wb.move_sheet("可选值", offset=len(wb.sheetnames))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def error_workbook(sheets: dict, report: ImportReport) -> bytes:
    """The rows with errors (and the materials of an item with errors), as uploaded, each with its 错误原因. After an
    import of the valid rows these are exactly the rows not imported: fix them and upload this workbook again. After
    an all-or-nothing refusal they are the list of rows to fix in the original workbook."""
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for name, sheet in sheets.items():
        failed = report.failed_rows.get(name, {})
        ws = wb.create_sheet(name)
        text_positions = {sheet.index[c.key] for c in SHEETS[name] if c.kind in TEXT_KINDS and c.key in sheet.index}
        ws.column_dimensions[get_column_letter(len(sheet.header) + 1)].width = 80
        ws.freeze_panes = "A2"

        def reason_cell(value):
            cell = WriteOnlyCell(ws, value=value)
            cell.fill = REASON_FILL
            return cell

        ws.append([*sheet.header, reason_cell(REASON)])
        width = len(sheet.header)
        for n, values in sheet.rows:
            if n not in failed:
                continue
            row = []
            for i, v in enumerate(list(values)[:width] + [None] * (width - len(values))):
                if i in text_positions and v is not None:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = "@"
                    row.append(cell)
                else:
                    row.append(v)
            ws.append([*row, reason_cell(";".join(failed.get(n, [])) or None)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_workbook() -> bytes:
    """Every effective item version with its external codes, in the layout the import reads: a round trip to
    the provincial platform loses nothing."""
    wb = Workbook()
    ws = wb.active
    ws.title = ITEMS
    ws.append([c.label for c in ITEM_COLUMNS])
    wm = wb.create_sheet(MATERIALS)
    wm.append([c.label for c in MATERIAL_COLUMNS])
    versions = (
        ItemVersion.objects.effective().select_related("item__department", "item__region")
        .prefetch_related("materials", "fees__fee_entry").order_by("item__region__code", "item__basic_code")
    )
    for v in versions:
        it = v.item
        ws.append([
            it.region.code, it.department.credit_code, it.sub_unit, it.get_level_display(), it.owner_code, it.get_type_code_display(),
            it.main_code, it.sub_code, v.name, v.aliases, it.group_name, v.get_service_object_display(), v.get_case_kind_display(),
            v.legal_limit, v.promised_limit, "是" if v.extension_allowed else "否", v.extension_days, v.get_visits_display(),
            v.get_online_depth_display(), v.get_scope_display(), "是" if v.informed_commitment else "否", v.conditions,
            v.legal_basis, SEP.join(v.flow or []), SEP.join(f.fee_entry.code for f in v.fees.all() if f.fee_entry),
            it.province_basic_code, it.province_implementation_code, it.source_url, v.licence_type,
            v.valid_from.isoformat() if v.valid_from else "",
        ])
        for m in v.materials.all():
            wm.append([
                it.region.code, it.basic_code, m.name, m.get_role_display(), m.get_form_display(), m.copies,
                m.get_media_display(), m.get_source_display(), m.licence_type, m.shared_key, m.notes,
            ])
    _format_sheet(ws, ITEM_COLUMNS, ws.max_row)
    _format_sheet(wm, MATERIAL_COLUMNS, wm.max_row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
