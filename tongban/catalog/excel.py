"""Catalogue import and export as Excel (openpyxl).

The workbook has two sheets: 事项 (one row per item) and 材料 (one row per material, keyed by
区划代码 + 基本编码). An import is all or nothing: every row is checked, every error is reported with
its sheet, row and column, and if there is any error nothing is written.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from tongban.core.errors import DomainError
from tongban.core.identifiers import validate_region_code, validate_uscc
from tongban.org.models import Department, Level, Region

from . import services
from .models import (
    CaseKind, FeeEntry, Item, ItemType, ItemVersion, Material, OnlineDepth, Scope, ServiceObject, Visits,
)

ITEM_COLUMNS = [
    ("区划代码", "region"), ("实施主体统一社会信用代码", "credit_code"), ("行使层级", "level"), ("目录管理单位码", "owner_code"),
    ("事项类型", "type_code"), ("主项编码", "main_code"), ("子项编码", "sub_code"), ("事项名称", "name"), ("别名", "aliases"),
    ("服务对象", "service_object"), ("办件类型", "case_kind"), ("法定时限", "legal_limit"), ("承诺时限", "promised_limit"),
    ("可延长", "extension_allowed"), ("延长工作日", "extension_days"), ("到现场次数", "visits"), ("网办深度", "online_depth"),
    ("通办范围", "scope"), ("告知承诺", "informed_commitment"), ("受理条件", "conditions"), ("设定依据", "legal_basis"),
    ("办理流程", "flow"), ("收费编码", "fees"), ("生效日期", "valid_from"),
]
MATERIAL_COLUMNS = [
    ("区划代码", "region"), ("基本编码", "basic_code"), ("材料名称", "name"), ("材料类型", "role"), ("材料形式", "form"),
    ("份数", "copies"), ("载体", "media"), ("来源渠道", "source"), ("证照类型", "licence_type"), ("通用材料标识", "shared_key"),
    ("填报须知", "notes"),
]
SEP = "、"
SHEET_CONTENT_FIELDS = [k for _, k in ITEM_COLUMNS if k in ItemVersion.CONTENT_FIELDS]  # what a row can change


def _labels(choices) -> dict:
    """Accept either the stored value or its Chinese label."""
    out = {}
    for value, label in choices:
        out[str(value)] = value
        out[str(label)] = value
    return out


LOOKUPS = {
    "level": _labels(Level.choices), "type_code": _labels(ItemType.choices), "service_object": _labels(ServiceObject.choices),
    "case_kind": _labels(CaseKind.choices), "visits": _labels(Visits.choices), "online_depth": _labels(OnlineDepth.choices),
    "scope": _labels(Scope.choices), "role": _labels(Material.Role.choices), "form": _labels(Material.Form.choices),
    "media": _labels(Material.Media.choices), "source": _labels(Material.Source.choices),
}
BOOL = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "": False}


@dataclass
class ImportReport:
    items_created: int = 0
    versions_published: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, sheet: str, row: int, column: str, message: str):
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


class RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _choice(key, label, raw):
    value = LOOKUPS[key].get(_text(raw))
    if value is None:
        raise RowError(label, f"「{_text(raw)}」不是有效的{label}")
    return value


def _int(label, raw, lo=0, hi=3650):
    t = _text(raw)
    if not (t.isascii() and t.isdigit()) or not lo <= int(t) <= hi:
        raise RowError(label, f"{label}应为{lo}至{hi}之间的整数")
    return int(t)


def _bool(label, raw):
    t = _text(raw).lower()
    if t not in BOOL:
        raise RowError(label, f"{label}应填写“是”或“否”")
    return BOOL[t]


def _code(label, raw, width):
    t = _text(raw).zfill(width)
    if len(t) != width or not t.isalnum():
        raise RowError(label, f"{label}应为{width}位")
    return t


def _date(label, raw):
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(_text(raw))
    except ValueError:
        raise RowError(label, f"{label}应为日期,格式 YYYY-MM-DD") from None


def _rows(ws, columns):
    header = [_text(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1))]
    missing = [label for label, _ in columns if label not in header]
    if missing:
        raise DomainError("excel_header", f"工作表「{ws.title}」缺少列:{SEP.join(missing)}")
    index = {label: header.index(label) for label, _ in columns}
    for n, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(v in (None, "") for v in row):
            continue
        yield n, {key: (row[index[label]] if index[label] < len(row) else None) for label, key in columns}


def _parse_item(raw: dict, regions: dict, departments: dict, fees: dict) -> dict:
    label = dict((k, lbl) for lbl, k in ITEM_COLUMNS)
    try:
        region_code = validate_region_code(_text(raw["region"])) if len(_text(raw["region"])) == 6 else _text(raw["region"])
    except DomainError as e:
        raise RowError(label["region"], e.message) from None
    region = regions.get(region_code)
    if region is None:
        raise RowError(label["region"], f"系统中没有区划{region_code}")
    try:
        credit = validate_uscc(_text(raw["credit_code"]))
    except DomainError as e:
        raise RowError(label["credit_code"], e.message) from None
    dept = departments.get(credit)
    if dept is None:
        raise RowError(label["credit_code"], f"没有统一社会信用代码为{credit}的部门")
    name = _text(raw["name"])
    if not name:
        raise RowError(label["name"], "事项名称不能为空")
    legal = _int(label["legal_limit"], raw["legal_limit"])
    promised = _int(label["promised_limit"], raw["promised_limit"])
    if promised > legal:
        raise RowError(label["promised_limit"], f"承诺时限({promised})不得超过法定时限({legal})")
    fee_codes = [c for c in _text(raw["fees"]).replace(",", SEP).replace(",", SEP).split(SEP) if c]
    unknown = [c for c in fee_codes if c not in fees]
    if unknown:
        raise RowError(label["fees"], f"收费编码{SEP.join(unknown)}不在收费清单内,清单之外不得收费")
    basis = _text(raw["legal_basis"])
    if not basis:
        raise RowError(label["legal_basis"], "设定依据不能为空")
    return {
        "region": region, "department": dept, "level": _choice("level", label["level"], raw["level"]),
        "owner_code": _code(label["owner_code"], raw["owner_code"] or "00", 2),
        "type_code": _choice("type_code", label["type_code"], raw["type_code"]),
        "main_code": _code(label["main_code"], raw["main_code"], 5), "sub_code": _code(label["sub_code"], raw["sub_code"] or "000", 3),
        "valid_from": _date(label["valid_from"], raw["valid_from"]),
        "fees": [{"fee_entry": fees[c]} for c in fee_codes],
        "content": {
            "name": name, "aliases": _text(raw["aliases"]),
            "service_object": _choice("service_object", label["service_object"], raw["service_object"]),
            "case_kind": _choice("case_kind", label["case_kind"], raw["case_kind"]),
            "legal_limit": legal, "promised_limit": promised,
            "extension_allowed": _bool(label["extension_allowed"], raw["extension_allowed"]),
            "extension_days": _int(label["extension_days"], raw["extension_days"] or 0, 0, 60),
            "visits": _choice("visits", label["visits"], raw["visits"]),
            "online_depth": _choice("online_depth", label["online_depth"], raw["online_depth"]),
            "scope": _choice("scope", label["scope"], raw["scope"]),
            "informed_commitment": _bool(label["informed_commitment"], raw["informed_commitment"]),
            "conditions": _text(raw["conditions"]), "legal_basis": basis,
            "flow": [s for s in _text(raw["flow"]).replace("→", SEP).split(SEP) if s],
        },
    }


def _raw_key(raw: dict) -> tuple[str, str]:
    type_code = LOOKUPS["type_code"].get(_text(raw["type_code"]), _text(raw["type_code"]))
    owner = _text(raw["owner_code"] or "00").zfill(2)
    return _text(raw["region"]), f"{owner}{type_code}{_text(raw['main_code']).zfill(5)}{_text(raw['sub_code'] or '000').zfill(3)}"


def _parse_material(raw: dict) -> tuple[tuple[str, str], dict]:
    label = dict((k, lbl) for lbl, k in MATERIAL_COLUMNS)
    name = _text(raw["name"])
    if not name:
        raise RowError(label["name"], "材料名称不能为空")
    key = (_text(raw["region"]), _text(raw["basic_code"]))
    if not key[0] or len(key[1]) != 12:
        raise RowError(label["basic_code"], "基本编码应为12位,并填写区划代码")
    return key, {
        "name": name, "role": _choice("role", label["role"], raw["role"]), "form": _choice("form", label["form"], raw["form"]),
        "copies": _int(label["copies"], raw["copies"] or 1, 1, 99), "media": _choice("media", label["media"], raw["media"]),
        "source": _choice("source", label["source"], raw["source"]), "licence_type": _text(raw["licence_type"]),
        "shared_key": _text(raw["shared_key"]), "notes": _text(raw["notes"]),
    }


def _content_signature(content: dict, materials: list[dict], fee_codes: list[str]) -> tuple:
    return (
        tuple(sorted((k, str(content[k])) for k in SHEET_CONTENT_FIELDS)),
        tuple(tuple(sorted(m.items())) for m in materials),
        tuple(sorted(fee_codes)),
    )


def _version_signature(v: ItemVersion) -> tuple:
    content = {k: getattr(v, k) for k in SHEET_CONTENT_FIELDS}
    fields = [k for _, k in MATERIAL_COLUMNS if k not in ("region", "basic_code")]
    materials = [{k: getattr(m, k) for k in fields} for m in v.materials.all()]
    return _content_signature(content, materials, [f.fee_entry.code for f in v.fees.all() if f.fee_entry])


def import_workbook(actor, upload) -> ImportReport:
    report = ImportReport()
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError, Exception) as e:  # noqa: BLE001 - any unreadable file
        report.error("", 0, "", f"无法读取 Excel 文件:请上传 .xlsx 格式({type(e).__name__})")
        return report
    for sheet in ("事项", "材料"):
        if sheet not in wb.sheetnames:
            report.error(sheet, 0, "", f"缺少工作表「{sheet}」")
    if report.errors:
        return report
    regions = {r.code: r for r in Region.objects.all()}
    departments = {d.credit_code: d for d in Department.objects.select_related("region")}
    fees = {f.code: f for f in FeeEntry.objects.filter(active=True)}

    materials: dict[tuple[str, str], list[dict]] = {}
    material_rows: dict[tuple[str, str], int] = {}
    item_keys = set()  # every key the 事项 sheet names, parsed or not, so a bad item row does not orphan its materials
    try:
        for n, raw in _rows(wb["材料"], MATERIAL_COLUMNS):
            try:
                key, m = _parse_material(raw)
                materials.setdefault(key, []).append(m)
                material_rows.setdefault(key, n)
            except RowError as e:
                report.error("材料", n, e.column, e.message)
        parsed = []
        for n, raw in _rows(wb["事项"], ITEM_COLUMNS):
            item_keys.add(_raw_key(raw))
            try:
                parsed.append((n, _parse_item(raw, regions, departments, fees)))
            except RowError as e:
                report.error("事项", n, e.column, e.message)
    except DomainError as e:
        report.error("", 0, "", e.message)
        return report

    seen = {}
    for n, p in parsed:
        key = (p["region"].code, Item.compose_basic_code(p["owner_code"], p["type_code"], p["main_code"], p["sub_code"]))
        if key in seen:
            report.error("事项", n, "主项编码", f"与第{seen[key]}行重复(同一区划同一基本编码)")
        seen[key] = n
        p["key"] = key
    for key in materials:
        if key not in item_keys:
            report.error("材料", material_rows[key], "基本编码", f"材料所属事项 {key[0]}/{key[1]} 不在「事项」表中")

    with transaction.atomic():
        for n, p in parsed:
            if report.errors and len(report.errors) > 200:
                break
            try:
                with transaction.atomic():
                    _apply(actor, p, materials.get(p["key"], []), report)
            except DomainError as e:
                report.error("事项", n, e.field or "", e.message)
        if report.errors:
            transaction.set_rollback(True)
            report.items_created = report.versions_published = report.unchanged = 0
    return report


def _apply(actor, p: dict, materials: list[dict], report: ImportReport):
    item = Item.objects.filter(region=p["region"], basic_code=p["key"][1]).first()
    fee_codes = [f["fee_entry"].code for f in p["fees"]]
    if item is None:
        item = services.create_item(
            actor, department=p["department"], level=p["level"], region=p["region"], owner_code=p["owner_code"],
            type_code=p["type_code"], main_code=p["main_code"], sub_code=p["sub_code"], content=p["content"],
            materials=materials, fees=p["fees"],
        )
        report.items_created += 1
        services.publish_version(actor, item.versions.get(), p["valid_from"])
        report.versions_published += 1
        return
    if item.department_id != p["department"].pk:
        raise DomainError("excel_department", "实施主体与已有事项不一致(实施主体变更须新建实施事项)", field="实施主体统一社会信用代码")
    current = item.versions.effective().first() or item.versions.order_by("-number").first()
    if current and _version_signature(current) == _content_signature(p["content"], materials, fee_codes):
        report.unchanged += 1
        return
    draft = services.new_draft(actor, item)
    for k, v in p["content"].items():
        setattr(draft, k, v)
    draft.save()
    draft.materials.all().delete()
    draft.fees.all().delete()
    Material.objects.bulk_create([Material(version=draft, order=i, **m) for i, m in enumerate(materials, 1)])
    for f in p["fees"]:
        draft.fees.create(**f)
    services.publish_version(actor, draft, p["valid_from"])
    report.versions_published += 1


def export_workbook() -> bytes:
    """Every effective item version, in the same layout the import reads."""
    wb = Workbook()
    ws = wb.active
    ws.title = "事项"
    ws.append([label for label, _ in ITEM_COLUMNS])
    wm = wb.create_sheet("材料")
    wm.append([label for label, _ in MATERIAL_COLUMNS])
    versions = (
        ItemVersion.objects.effective().select_related("item__department", "item__region")
        .prefetch_related("materials", "fees__fee_entry").order_by("item__region__code", "item__basic_code")
    )
    for v in versions:
        it = v.item
        ws.append([
            it.region.code, it.department.credit_code, it.get_level_display(), it.owner_code, it.get_type_code_display(),
            it.main_code, it.sub_code, v.name, v.aliases, v.get_service_object_display(), v.get_case_kind_display(),
            v.legal_limit, v.promised_limit, "是" if v.extension_allowed else "否", v.extension_days, v.get_visits_display(),
            v.get_online_depth_display(), v.get_scope_display(), "是" if v.informed_commitment else "否", v.conditions,
            v.legal_basis, SEP.join(v.flow or []), SEP.join(f.fee_entry.code for f in v.fees.all() if f.fee_entry),
            v.valid_from.isoformat() if v.valid_from else "",
        ])
        for m in v.materials.all():
            wm.append([
                it.region.code, it.basic_code, m.name, m.get_role_display(), m.get_form_display(), m.copies,
                m.get_media_display(), m.get_source_display(), m.licence_type, m.shared_key, m.notes,
            ])
    for sheet in (ws, wm):
        sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
