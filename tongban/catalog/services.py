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


def check_content(content: dict) -> None:
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
    check_content(content)
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


def publish_problems(version: ItemVersion) -> list[dict]:
    """Everything that stops `version` from being published, each with the field it concerns."""
    problems = []
    if not version.name.strip():
        problems.append({"field": "name", "message": "事项名称不能为空"})
    if not version.legal_basis.strip():
        problems.append({"field": "legal_basis", "message": "设定依据不能为空"})
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


def publish_version(actor, version: ItemVersion, valid_from: dt.date | None = None) -> ItemVersion:
    """Publish a draft: from `valid_from` it is the item's guide, and the previous version ends then."""
    item = version.item
    require(actor, Role.CATALOG_ADMIN, department=item.department, what="发布事项")
    today = timezone.localdate()
    valid_from = valid_from or today
    with transaction.atomic():
        Item.objects.select_for_update().get(pk=item.pk)
        version = ItemVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise Conflict("version_published", "该版本已发布")
        problems = publish_problems(version)
        if problems:
            raise DomainError("publish_invalid", problems[0]["message"], field=problems[0]["field"], details=problems)
        published = item.versions.filter(status=PubStatus.PUBLISHED)
        latest = published.order_by("-valid_from").first()
        if latest and valid_from <= latest.valid_from:
            raise DomainError(
                "valid_from_overlap", f"生效日期须晚于现行版本的生效日期({latest.valid_from:%Y-%m-%d}),版本有效期不得重叠",
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
        )
        version.refresh_from_db()
        search.write_entry(search.item_version_entry(version))
        record(actor, "catalog.version_published", item, data={"version": version.number, "valid_from": valid_from})
    return version


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
