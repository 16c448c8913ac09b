"""Every change to the catalogue: one function per verb, one transaction each, scope-checked, audited."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError
from tongban.org.models import Department, Level, Region, Role, Zone
from tongban.org.scopes import require

from . import search
from .models import (
    Bundle, BundleItem, CaseKind, Item, ItemFee, ItemVersion, Material, PubStatus, ReviewPoint, Topic,
)

CHILD_FIELDS = {
    Material: ["order", "name", "role", "form", "copies", "media", "source", "licence_type", "shared_key", "blank_form", "sample", "notes"],
    ItemFee: ["fee_entry", "name", "note"],
    ReviewPoint: ["order", "point", "basis"],
}


def _fill_children(version: ItemVersion, materials=(), fees=(), review_points=(), topics=()):
    Material.objects.bulk_create([Material(version=version, **{"order": i, **m}) for i, m in enumerate(materials, 1)])
    ItemFee.objects.bulk_create([ItemFee(version=version, **f) for f in fees])
    ReviewPoint.objects.bulk_create([ReviewPoint(version=version, **{"order": i, **r}) for i, r in enumerate(review_points, 1)])
    version.topics.set(topics)


def _check_content(content: dict) -> None:
    """Field rules a draft must meet before it is stored at all (publishing checks more)."""
    legal, promised = content.get("legal_limit"), content.get("promised_limit")
    if legal is not None and promised is not None and promised > legal:
        raise DomainError(
            "promised_over_legal", f"承诺办结时限({promised}个工作日)不得超过法定办结时限({legal}个工作日)", field="promised_limit"
        )
    if not str(content.get("name", "")).strip():
        raise DomainError("name_required", "事项名称不能为空", field="name")


def create_item(
    actor, *, department: Department, level: int, type_code: str, main_code: str, sub_code: str = "000",
    owner_code: str = "00", region: Region | None = None, content: dict, materials=(), fees=(), review_points=(),
    topics=(), zones=(),
) -> Item:
    """A new implementation with its first draft version."""
    region = region or department.region
    require(actor, Role.CATALOG_ADMIN, department=department, what="新增事项")
    _check_content(content)
    with transaction.atomic():
        if Item.objects.filter(region=region, basic_code=Item.compose_basic_code(owner_code, type_code, main_code, sub_code)).exists():
            raise Conflict("item_exists", f"{region.name}已有基本编码相同的实施事项")
        item = Item.objects.create(
            owner_code=owner_code, type_code=type_code, main_code=main_code, sub_code=sub_code,
            level=level, region=region, department=department,
        )
        item.zones.set(zones)
        version = ItemVersion.objects.create(item=item, number=1, **content)
        _fill_children(version, materials, fees, review_points, topics)
        record(actor, "catalog.item_created", item, data={"name": version.name, "code": item.implementation_code})
    return item


def _copy_version(source: ItemVersion, target_item: Item, number: int) -> ItemVersion:
    draft = ItemVersion.objects.create(
        item=target_item, number=number, **{f: getattr(source, f) for f in ItemVersion.CONTENT_FIELDS}
    )
    for model, fields in CHILD_FIELDS.items():
        rows = model.objects.filter(version=source)
        model.objects.bulk_create([model(version=draft, **{f: getattr(r, f) for f in fields}) for r in rows])
    draft.topics.set(source.topics.all())
    return draft


def new_draft(actor, item: Item) -> ItemVersion:
    """A draft copied from the latest version; the one open draft if there already is one."""
    require(actor, Role.CATALOG_ADMIN, department=item.department, what="编辑事项")
    with transaction.atomic():
        Item.objects.select_for_update().get(pk=item.pk)
        existing = item.versions.filter(status=PubStatus.DRAFT).first()
        if existing:
            return existing
        latest = item.versions.order_by("-number").first()
        draft = _copy_version(latest, item, latest.number + 1)
        record(actor, "catalog.draft_created", item, data={"version": draft.number, "from": latest.number})
    return draft


def _publish_problems(version: ItemVersion) -> list[dict]:
    """Everything that stops `version` from being published, each with the field it concerns."""
    problems = []
    if not version.name.strip():
        problems.append({"field": "name", "message": "事项名称不能为空"})
    if not version.legal_basis.strip():
        problems.append({"field": "legal_basis", "message": "设定依据不能为空"})
    elif is_placeholder(version.legal_basis):
        problems.append({"field": "legal_basis", "message": f"设定依据「{version.legal_basis.strip()}」是占位文字,请填写法律法规依据后再发布"})
    for m in version.materials.all():
        if is_placeholder(m.name):
            problems.append({"field": "materials", "message": f"申请材料「{m.name}」不是材料:没有申请材料的事项不列材料"})
    if version.promised_limit > version.legal_limit:
        problems.append({
            "field": "promised_limit",
            "message": f"承诺办结时限({version.promised_limit}个工作日)不得超过法定办结时限({version.legal_limit}个工作日)",
        })
    if version.case_kind == CaseKind.PROMISED and version.promised_limit < 1:
        problems.append({"field": "promised_limit", "message": "承诺件的承诺办结时限至少为1个工作日"})
    if version.extension_days and not version.extension_allowed:
        problems.append({"field": "extension_days", "message": "未设定可延长审批的事项不能填写延长工作日"})
    for fee in version.fees.select_related("fee_entry"):
        if fee.fee_entry is None or not fee.fee_entry.active:
            label = fee.fee_entry.name if fee.fee_entry else (fee.name or "未命名收费")
            problems.append({"field": "fees", "message": f"收费项目「{label}」不在收费清单内,清单之外不得收费"})
    return problems


def publish_version(actor, version: ItemVersion, valid_from: dt.date | None = None, *, correction: str = "") -> ItemVersion:
    """Publish a draft: from `valid_from` it is the item's guide, and the previous version ends then.

    `correction` (更正, with its reason): the draft replaces a version published today, from that version's own
    start date; the replaced version stays on record, in force for no day, and the correction is audited."""
    item = version.item
    require(actor, Role.CATALOG_ADMIN, department=item.department, what="发布事项")
    today = timezone.localdate()
    with transaction.atomic():
        Item.objects.select_for_update().get(pk=item.pk)
        version = ItemVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise Conflict("version_published", "该版本已发布")
        problems = _publish_problems(version)
        if problems:
            raise DomainError("publish_invalid", problems[0]["message"], field=problems[0]["field"], details=problems)
        published = item.versions.filter(status=PubStatus.PUBLISHED)
        latest = published.order_by("-valid_from", "-number").first()
        corrected = None
        if correction:
            corrected = _correctable(latest, today, correction)
            valid_from = corrected.valid_from
            ItemVersion.objects.filter(pk=corrected.pk).update(valid_to=valid_from)  # in force for no day
            search.set_valid_to({"item_version": corrected}, valid_from)
        else:
            valid_from = valid_from or today
            if latest and valid_from <= latest.valid_from:
                raise DomainError(
                    "valid_from_overlap",
                    f"生效日期须晚于现行版本的生效日期({latest.valid_from:%Y-%m-%d}),版本有效期不得重叠;当日发布的版本有误可“更正”",
                    field="valid_from",
                )
            if latest and valid_from < today:
                raise DomainError("valid_from_past", "新版本的生效日期不得早于今天", field="valid_from")
            for old in published.filter(valid_to__isnull=True):
                ItemVersion.objects.filter(pk=old.pk).update(valid_to=valid_from)  # immutable content: only the end date moves
                search.set_valid_to({"item_version": old}, valid_from)
        ItemVersion.objects.filter(pk=version.pk).update(
            status=PubStatus.PUBLISHED, valid_from=valid_from, published_at=timezone.now(),
            published_by=actor if getattr(actor, "pk", None) else None,
            corrects=corrected, correction_reason=correction.strip()[:300],
        )
        version.refresh_from_db()
        search.write_entry(search.item_version_entry(version))
        if corrected:
            record(actor, "catalog.version_corrected", item, data={
                "version": version.number, "corrects": corrected.number, "valid_from": valid_from, "reason": correction,
            })
        else:
            record(actor, "catalog.version_published", item, data={"version": version.number, "valid_from": valid_from})
    return version


def _correctable(latest: ItemVersion | None, today: dt.date, reason: str) -> ItemVersion:
    if not reason.strip():
        raise DomainError("correction_reason", "更正须填写更正原因", field="correction")
    if latest is None:
        raise DomainError("correction_nothing", "该事项没有已发布的版本,无需更正,直接发布即可", field="correction")
    if latest.published_at is None or timezone.localdate(latest.published_at) != today:
        raise DomainError(
            "correction_late", f"更正仅限发布当日:第{latest.number}版发布于"
            f"{timezone.localdate(latest.published_at) if latest.published_at else '此前'},请发布新版本", field="correction",
        )
    return latest


def publish_drafts(actor, versions: list[ItemVersion], valid_from: dt.date | None = None) -> tuple[list[ItemVersion], list[dict]]:
    """Bulk publication of reviewed drafts (e.g. a whole import) from one effective date. Each draft is published
    in its own transaction, so one draft's problem (a placeholder legal basis, an unlisted fee) is reported with
    its name and does not hold back the others."""
    done, failed = [], []
    for v in versions:
        try:
            done.append(publish_version(actor, v, valid_from))
        except DomainError as e:
            failed.append({"version": v, "name": v.name, "message": e.message, "details": e.details})
    return done, failed


PLACEHOLDERS = {"无", "暂无", "待补充", "待定", "待完善", "/", "-", "—", "略", "空", "null", "none", "n/a"}


def is_placeholder(text: str) -> bool:
    """A cell typed to get past a required-field check, not real content."""
    return text.strip().lower() in PLACEHOLDERS


def import_drafts(actor, rows: list[dict]) -> dict:
    """Write validated import rows as drafts, in one transaction. Each row: department, region, level, codes,
    external codes, content, materials, fees. A new item gets item + draft version 1 (bulk-written); an item that
    exists gets its open draft replaced or a new draft; a row identical to the item's latest version is skipped.
    Nothing is published: an administrator reviews the drafts and publishes them (`publish_drafts`)."""
    for dept in {r["department"].pk: r["department"] for r in rows}.values():
        require(actor, Role.CATALOG_ADMIN, department=dept, what="导入事项")
    out = {"created": 0, "drafted": 0, "unchanged": 0, "versions": []}
    with transaction.atomic():
        existing = {}
        for it in Item.objects.filter(
            region__in={r["region"].pk for r in rows}, basic_code__in={r["basic_code"] for r in rows},
        ).select_related("department"):
            existing[(it.region_id, it.basic_code)] = it
        new_rows = [r for r in rows if (r["region"].pk, r["basic_code"]) not in existing]
        items = []
        for r in new_rows:
            it = Item(
                owner_code=r["owner_code"], type_code=r["type_code"], main_code=r["main_code"], sub_code=r["sub_code"],
                level=r["level"], region=r["region"], department=r["department"], **r["external"],
            )
            it.basic_code = r["basic_code"]
            it.implementation_code = Item.compose_implementation_code(r["department"].credit_code, r["level"], it.basic_code)
            items.append(it)
        Item.objects.bulk_create(items, batch_size=500)
        if len({it.implementation_code for it in items}) != len(items) or Item.objects.filter(
            implementation_code__in=[it.implementation_code for it in items]).count() != len(items):
            raise Conflict("item_code_clash", "导入的事项实施编码与已有事项重复")
        versions = [ItemVersion(item=it, number=1, **r["content"]) for it, r in zip(items, new_rows)]
        ItemVersion.objects.bulk_create(versions, batch_size=500)
        Material.objects.bulk_create([
            Material(version=v, order=i, **m) for v, r in zip(versions, new_rows) for i, m in enumerate(r["materials"], 1)
        ], batch_size=2000)
        ItemFee.objects.bulk_create([ItemFee(version=v, **f) for v, r in zip(versions, new_rows) for f in r["fees"]])
        for it, v in zip(items, versions):
            record(actor, "catalog.item_imported", it, data={"name": v.name, "code": it.implementation_code, "draft": 1}, new=True)
        out["created"] = len(items)
        out["versions"].extend(versions)
        for r in rows:
            it = existing.get((r["region"].pk, r["basic_code"]))
            if it is None:
                continue
            if it.department_id != r["department"].pk:
                raise DomainError("import_department", f"「{r['content']['name']}」的实施主体与已有事项不一致(实施主体变更须新建实施事项)")
            latest = it.versions.order_by("-number").first()
            if latest and _version_signature(latest, r["content"]) == _row_signature(r):
                out["unchanged"] += 1
                continue
            draft = new_draft(actor, it)
            ItemVersion.objects.filter(pk=draft.pk).update(**r["content"])
            Material.objects.filter(version=draft).delete()
            ItemFee.objects.filter(version=draft).delete()
            _fill_children(draft, r["materials"], r["fees"], (), draft.topics.all())
            Item.objects.filter(pk=it.pk).update(**r["external"])
            record(actor, "catalog.draft_imported", it, data={"version": draft.number})
            out["drafted"] += 1
            out["versions"].append(draft)
    return out


SIGNATURE_MATERIAL_FIELDS = ["name", "role", "form", "copies", "media", "source", "licence_type", "shared_key", "notes"]


def _row_signature(r: dict) -> tuple:
    return (
        tuple(sorted((k, str(v)) for k, v in r["content"].items())),
        tuple(tuple(str(m.get(k, "")) for k in SIGNATURE_MATERIAL_FIELDS) for m in r["materials"]),
        tuple(sorted(f["fee_entry"].code for f in r["fees"])),
    )


def _version_signature(v: ItemVersion, keys) -> tuple:
    """The same shape as _row_signature, over the content fields a row carries (`keys`)."""
    return (
        tuple(sorted((k, str(getattr(v, k))) for k in keys)),
        tuple(tuple(str(getattr(m, k)) for k in SIGNATURE_MATERIAL_FIELDS) for m in v.materials.all()),
        tuple(sorted(f.fee_entry.code for f in v.fees.select_related("fee_entry") if f.fee_entry)),
    )


def delegate_item(actor, item: Item, counties: list[Region] | None = None) -> list[Item]:
    """市县同权: give counties their own implementation of a city item, run by their counterpart department."""
    require(actor, Role.CATALOG_ADMIN, region=item.region, what="下放事项")
    if item.level != Level.CITY:
        raise DomainError("delegate_level", "只有市级事项可以下放到县(市、区)")
    if counties is None:  # the counties that run on this platform (have departments), not every code in the table
        counties = list(item.region.children.filter(level=Level.COUNTY, departments__isnull=False).distinct())
    source = item.versions.effective().first()
    if source is None:
        raise DomainError("delegate_unpublished", "事项尚未发布,不能下放")
    created = []
    with transaction.atomic():
        for county in counties:
            if not item.region.contains(county) or county.level != Level.COUNTY:
                raise DomainError("delegate_scope", f"{county.name}不是{item.region.name}所辖县级区划")
            if Item.objects.filter(region=county, basic_code=item.basic_code).exists():
                continue
            dept = Department.objects.filter(region=county, function=item.department.function).first()
            if dept is None:
                raise DomainError("delegate_department", f"{county.name}没有与{item.department.name}对应的实施部门")
            child = Item.objects.create(
                owner_code=item.owner_code, type_code=item.type_code, main_code=item.main_code, sub_code=item.sub_code,
                level=Level.COUNTY, region=county, department=dept, delegated_from=item,
            )
            child.zones.set(Zone.objects.filter(hall__region=county, name__in=item.zones.values("name")))
            version = _copy_version(source, child, 1)
            ItemVersion.objects.filter(pk=version.pk).update(
                status=PubStatus.PUBLISHED, valid_from=timezone.localdate(), published_at=timezone.now(),
                published_by=actor if getattr(actor, "pk", None) else None,
            )
            version.refresh_from_db()
            search.write_entry(search.item_version_entry(version))
            record(actor, "catalog.item_delegated", child, data={"from": item.implementation_code, "county": county.code})
            created.append(child)
        record(actor, "catalog.delegated", item, data={"counties": [c.code for c in counties], "created": len(created)})
    return created


def save_bundle(actor, *, code: str, name: str, region: Region, promised_limit: int, items: list[Item],
                description: str = "", topics: list[Topic] = (), publish: bool = True) -> Bundle:
    require(actor, Role.CATALOG_ADMIN, region=region, what="维护一件事")
    if len(items) < 2:
        raise DomainError("bundle_items", "一件事至少包含两个事项", field="items")
    with transaction.atomic():
        bundle, _ = Bundle.objects.select_for_update().update_or_create(
            code=code, defaults=dict(name=name, region=region, promised_limit=promised_limit, description=description),
        )
        bundle.topics.set(topics)
        bundle.entries.all().delete()
        BundleItem.objects.bulk_create([BundleItem(bundle=bundle, item=it, order=i) for i, it in enumerate(items, 1)])
        if publish:
            _publish_bundle(bundle)
        record(actor, "catalog.bundle_saved", bundle, data={"items": [i.implementation_code for i in items], "published": publish})
    return bundle


def _publish_bundle(bundle: Bundle):
    versions = []
    for entry in bundle.entries.select_related("item"):
        v = entry.item.versions.effective().first()
        if v is None:
            raise DomainError("bundle_unpublished", f"一件事所含事项「{entry.item}」尚未发布")
        versions.append(v)
    total = sum(v.promised_limit for v in versions)
    if not 1 <= bundle.promised_limit <= max(total, 1):
        raise DomainError(
            "bundle_limit", f"联办承诺时限应在1至{total}个工作日之间(不超过各事项承诺时限之和)", field="promised_limit"
        )
    Bundle.objects.filter(pk=bundle.pk).update(status=PubStatus.PUBLISHED)
    bundle.status = PubStatus.PUBLISHED
    search.write_entry(search.bundle_entry(bundle, [v.name for v in versions]))
