"""The region table in the database: the one source of truth for validating codes.

Shipped rows (tongban/core/data/regions.csv, GB/T 2260 to county level) are loaded by migrations and by
`manage.py load_regions`; towns and villages by `manage.py import_towns` from the statistics bureau's
统计用区划代码; a system administrator adds or retires a region in the admin (`add_region`, `retire_region`).
A retired code stays valid for records dated before its end (codes change every year)."""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction

from tongban.core.audit import record
from tongban.core.errors import DomainError
from tongban.core.regions import DATA_FILE, read_rows

from .models import Level, Region, Role
from .scopes import has_role, require

CODE_WIDTH = {Level.PROVINCE: 6, Level.CITY: 6, Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}


def lookup(code: str):
    """(name, valid_from, valid_to) of `code` in the database, or None (core.identifiers asks through this)."""
    row = Region.objects.filter(code=code).values_list("name", "valid_from", "valid_to").first()
    return tuple(row) if row else None


def region_on(code: str, on: dt.date | None = None) -> Region:
    """The region with `code`, in force on `on`; DomainError naming the code otherwise."""
    from tongban.core.identifiers import validate_region_code

    validate_region_code(code, on=on)
    return Region.objects.get(code=code.strip())


def level_of(code: str) -> int:
    """The level a well-formed code implies (GB/T 2260 and the statistics bureau's 12-digit codes)."""
    if len(code) == 12:
        return Level.TOWN if code.endswith("000") else Level.VILLAGE
    if len(code) == 9:
        return Level.TOWN
    if code.endswith("0000"):
        return Level.PROVINCE
    if code.endswith("00"):
        return Level.CITY
    return Level.COUNTY


def check_new_region(*, code: str, name: str, level: int, parent: Region | None) -> list[tuple[str, str]]:
    """(field, message) for everything wrong with a region to be added."""
    problems = []
    width = CODE_WIDTH[Level(level)]
    if not (code.isascii() and code.isdigit() and len(code) == width):
        problems.append(("code", f"{Level(level).label}区划代码应为{width}位数字"))
    if not name.strip():
        problems.append(("name", "名称不能为空"))
    if level != Level.PROVINCE:
        if parent is None:
            problems.append(("parent", "请选择上级区划"))
        elif parent.level >= level:
            problems.append(("parent", f"上级区划「{parent.name}」的层级应高于{Level(level).label}"))
        elif level == Level.COUNTY and not code.startswith(parent.code[: 2 if parent.level == Level.PROVINCE else 4]):
            problems.append(("code", f"县级代码{code}与上级「{parent.name}」({parent.code})的前几位不符"))
        elif level >= Level.TOWN and not code.startswith(parent.code[:6] if level == Level.TOWN else parent.code[:9]):
            problems.append(("code", f"代码{code}应以上级「{parent.name}」的代码{parent.code}开头"))
    return problems


def add_region(actor, *, code: str, name: str, level: int, parent: Region | None, valid_from: dt.date | None = None,
               note: str = "") -> Region:
    """A region new to the table (a new county, a town): by a system administrator of the parent region."""
    require(actor, Role.SYSTEM_ADMIN, region=parent, what="新增行政区划") if parent else _superuser(actor)
    code, name = code.strip(), name.strip()
    problems = check_new_region(code=code, name=name, level=level, parent=parent)
    if problems:
        raise DomainError("region_invalid", problems[0][1], field=problems[0][0], details=[{"field": f, "message": m} for f, m in problems])
    with transaction.atomic():
        if Region.objects.filter(code=code).exists():
            raise DomainError("region_exists", f"区划代码{code}已存在", field="code")
        region = Region.objects.create(code=code, name=name, level=level, parent=parent, valid_from=valid_from, note=note)
        record(actor, "org.region_added", region, data={"code": code, "name": name, "valid_from": valid_from, "note": note}, new=True)
    return region


def retire_region(actor, region: Region, valid_to: dt.date, note: str = "") -> Region:
    """Retire a code from `valid_to`: records dated before it keep it as valid."""
    require(actor, Role.SYSTEM_ADMIN, region=region.parent or region, what="停用行政区划")
    with transaction.atomic():
        region = Region.objects.select_for_update().get(pk=region.pk)
        if region.valid_from and valid_to <= region.valid_from:
            raise DomainError("region_dates", f"停用日期须晚于启用日期({region.valid_from:%Y-%m-%d})", field="valid_to")
        Region.objects.filter(pk=region.pk).update(valid_to=valid_to, note=note or region.note)
        region.refresh_from_db()
        record(actor, "org.region_retired", region, data={"code": region.code, "valid_to": valid_to, "note": note})
    return region


def _superuser(actor):
    if not (actor and actor.is_superuser):
        from tongban.core.errors import NotAllowed

        raise NotAllowed("只有超级管理员可以新增省级行政区划")


def load_shipped(region_model=Region, path=DATA_FILE) -> int:
    """Bring the shipped table into the database: new codes inserted, names of shipped codes updated; rows
    an administrator added or retired are kept. Returns the number of rows inserted. Also run by migrations
    (with the historical model)."""
    rows = sorted(read_rows(path), key=lambda r: (r.level, r.code))
    existing = {r.code: r for r in region_model.objects.all()}
    inserted = 0
    for level in sorted({r.level for r in rows}):
        new = []
        for row in (r for r in rows if r.level == level):
            obj = existing.get(row.code)
            if obj is not None:
                if obj.name != row.name:
                    region_model.objects.filter(pk=obj.pk).update(name=row.name)
                continue
            parent = existing.get(row.parent)
            new.append(region_model(
                code=row.code, name=row.name, level=row.level, parent=parent,
                path=(parent.path if parent else "") + row.code + "/",
            ))
        region_model.objects.bulk_create(new, batch_size=1000)
        for obj in region_model.objects.filter(code__in=[n.code for n in new]):
            existing[obj.code] = obj
        inserted += len(new)
    return inserted


@dataclass
class TownImport:
    added: int = 0
    renamed: int = 0
    skipped: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


CODE_HEADERS = ("code", "统计用区划代码", "区划代码", "代码")
NAME_HEADERS = ("name", "名称", "单位名称")


def import_towns(actor, text: str) -> TownImport:
    """Towns (乡级) and villages (村级) from a CSV of the statistics bureau's 统计用区划代码: a code column
    (9 or 12 digits; 12-digit town codes end in 000) and a name column; the parent follows from the code.
    Rows whose county is not in the table are skipped and named; existing codes get the new name."""
    lines = [ln for ln in io.StringIO(text.lstrip("\ufeff")) if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines)
    headers = reader.fieldnames or []
    code_col = next((h for h in headers if h.strip() in CODE_HEADERS), None)
    name_col = next((h for h in headers if h.strip() in NAME_HEADERS), None)
    if not code_col or not name_col:
        raise DomainError("towns_header", f"CSV 缺少代码列或名称列:需要列名 {'/'.join(CODE_HEADERS)} 与 {'/'.join(NAME_HEADERS)}")
    rows = []
    for n, r in enumerate(reader, start=2):
        code, name = (r.get(code_col) or "").strip(), (r.get(name_col) or "").strip()
        if not (code.isascii() and code.isdigit() and len(code) in (9, 12)) or not name:
            raise DomainError("towns_row", f"第{n}行:代码应为9位或12位数字且名称不能为空(当前「{code}」)")
        if len(code) == 12 and code.endswith("000"):
            code = code[:9]
        rows.append((code, name))
    report = TownImport()
    with transaction.atomic():
        if actor is not None:
            require(actor, Role.SYSTEM_ADMIN, what="导入乡镇、村级区划")
        existing = {r.code: r for r in Region.objects.filter(code__in=[c for c, _ in rows] + list({c[:6] for c, _ in rows} | {c[:9] for c, _ in rows}))}
        for code, name in sorted(rows, key=lambda r: (len(r[0]), r[0])):
            parent = existing.get(code[:6] if len(code) == 9 else code[:9])
            obj = existing.get(code)
            if obj is not None:
                if obj.name != name:
                    Region.objects.filter(pk=obj.pk).update(name=name)
                    report.renamed += 1
                continue
            if parent is None:
                report.skipped.append(code)
                continue
            if actor is not None and not has_role(actor, Role.SYSTEM_ADMIN, region=parent):
                report.outside.append(code)  # another administrator's county
                continue
            obj = Region.objects.create(code=code, name=name, level=level_of(code), parent=parent)
            existing[code] = obj
            report.added += 1
        if actor is not None:
            record(actor, "org.towns_imported", object_type="org.region", object_id="towns",
                   data={"added": report.added, "renamed": report.renamed, "skipped": len(report.skipped), "outside": len(report.outside)})
    return report
