"""Read queries shared by pages and the API."""

from collections import OrderedDict

from django.db.models import Exists, OuterRef, Prefetch

from tongban.org.models import Level, Region

from . import search
from .models import Bundle, Item, ItemType, ItemVersion, Material, PubStatus, SearchEntry

PAGE_SIZE = 20


def _version_qs():
    return ItemVersion.objects.select_related("item__department", "item__region")


def effective_version(item: Item) -> ItemVersion | None:
    return item.versions.effective().first()


def guide(implementation_code: str, number: int | None = None) -> ItemVersion | None:
    """The version a citizen reads: the effective one, or a named published one."""
    qs = _version_qs().filter(item__implementation_code=implementation_code).prefetch_related(
        "materials", "fees__fee_entry", "review_points", "topics", "item__zones__hall", "item__delegated_from",
    )
    if number is not None:
        return qs.filter(number=number, status=PubStatus.PUBLISHED).first()
    return qs.effective().first()


def item_page(*, q: str = "", level: int | None = None, department_id: int | None = None, topic: str | None = None,
              service_object: str | None = None, region: Region | None = None, prefer: Region | None = None,
              page: int = 1, page_size: int = PAGE_SIZE) -> tuple[int, list[ItemVersion]]:
    """(count, effective item versions) for the catalogue list, the search page and the items API.
    `region`: only items of that region's subtree; `prefer`: items of that region and the regions above it first."""
    from tongban.core.paging import clamp_page

    offset = (clamp_page(page) - 1) * page_size
    if q.strip():
        filters = {}
        if level:
            filters["level"] = level
        if department_id:
            filters["department_id"] = department_id
        total, ids = search.search(
            q, kind=SearchEntry.Kind.ITEM, filters=filters, limit=page_size, offset=offset,
            region_path=region.path if region else None, prefer_regions=region_line(prefer),
        )
        by_id = {e.id: e.item_version_id for e in SearchEntry.objects.filter(id__in=ids)}
        versions = {v.id: v for v in _version_qs().filter(id__in=by_id.values())}
        return total, [versions[by_id[i]] for i in ids if by_id.get(i) in versions]
    qs = _version_qs().effective()
    if level:
        qs = qs.filter(item__level=level)
    if department_id:
        qs = qs.filter(item__department_id=department_id)
    if topic:
        qs = qs.filter(topics__code=topic)
    if service_object:
        qs = qs.filter(service_object__in=[service_object, "both"])
    if region:
        qs = qs.filter(item__region__path__startswith=region.path)
    qs = qs.order_by("item__department__order", "item__implementation_code")
    return qs.count(), list(qs[offset : offset + page_size])


def region_line(region: Region | None) -> list[int]:
    """The region and those above it: a county citizen is served by the county's, the city's and the province's items."""
    if region is None:
        return []
    codes = [c for c in region.path.split("/") if c]
    return list(Region.objects.filter(code__in=codes).values_list("pk", flat=True))


def search_regions() -> list[Region]:
    """The regions that have published items: the choices of the search page's region switcher."""
    ids = SearchEntry.objects.filter(kind=SearchEntry.Kind.ITEM).values("region_id").distinct()
    return list(Region.objects.filter(pk__in=ids).order_by("code"))


def search_all(q: str, limit: int = 30, *, page: int = 1, prefer: Region | None = None) -> dict:
    """Bundles and items for the public search page, bundles first (on the first page)."""
    bundles = []
    if page == 1:
        _, bundle_ids = search.search(q, kind=SearchEntry.Kind.BUNDLE, limit=10, prefer_regions=region_line(prefer))
        entries = {e.id: e.bundle_id for e in SearchEntry.objects.filter(id__in=bundle_ids)}
        found = {b.id: b for b in Bundle.objects.filter(id__in=entries.values(), status=PubStatus.PUBLISHED)}
        bundles = [found[entries[i]] for i in bundle_ids if entries.get(i) in found]
    total, versions = item_page(q=q, page_size=limit, page=page, prefer=prefer)
    return {"bundles": bundles, "items": versions, "count": total, "relaxed": search.was_relaxed(q, total, SearchEntry.Kind.ITEM) if page == 1 else False}


def bundle_guide(bundle: Bundle) -> dict:
    """The bundle's items and its merged material list: a material several items need is asked once."""
    entries = list(bundle.entries.select_related("item__department").order_by("order"))
    versions = {
        v.item_id: v
        for v in ItemVersion.objects.effective().filter(item__in=[e.item_id for e in entries]).prefetch_related(
            Prefetch("materials", queryset=Material.objects.order_by("order"))
        )
    }
    merged: OrderedDict[str, dict] = OrderedDict()
    form_fields: list[str] = []
    separately = 0
    rank = {"main": 0, "auxiliary": 1, "optional": 2}
    for e in entries:
        v = versions.get(e.item_id)
        if v is None:
            continue
        for f in v.form_fields or []:
            if f not in form_fields:
                form_fields.append(f)
        for m in v.materials.all():
            separately += 1
            row = merged.get(m.merge_key)
            if row is None:
                merged[m.merge_key] = row = {
                    "id": m.pk, "key": m.merge_key, "name": m.name, "role": m.role, "role_label": m.get_role_display(),
                    "form": m.get_form_display(), "copies": m.copies, "source": m.get_source_display(),
                    "licence_type": m.licence_type, "items": [],
                }
            elif rank[m.role] < rank[row["role"]]:
                row["role"], row["role_label"] = m.role, m.get_role_display()  # needed by one item = needed
            row["copies"] = max(row["copies"], m.copies)
            row["items"].append(v.name)
    return {
        "bundle": bundle,
        "items": [(e.item, versions.get(e.item_id)) for e in entries],
        "materials": list(merged.values()),
        "materials_separately": separately,
        "form_fields": form_fields,
    }


def published_bundles(region: Region | None = None):
    qs = Bundle.objects.filter(status=PubStatus.PUBLISHED).prefetch_related("topics")
    if region:
        qs = qs.filter(region__path__startswith=region.path)
    return qs


def delegation_report(city: Region) -> dict:
    """市县同权: how many of the city's published permits (行政许可) are delegated to its counties."""
    items = (
        Item.objects.filter(region=city, level=Level.CITY, type_code=ItemType.LICENSING)
        .filter(Exists(ItemVersion.objects.effective().filter(item=OuterRef("pk"))))
        .annotate(delegated=Exists(Item.objects.filter(delegated_from=OuterRef("pk"))))
    )
    total = items.count()
    delegated = items.filter(delegated=True).count()
    return {
        "region": city.name,
        "total": total,
        "delegated": delegated,
        "ratio": round(delegated * 100 / total, 2) if total else 0.0,
        "kept": [str(i) for i in items.filter(delegated=False).select_related("department")],
    }


def drafts_for(user, q: str = ""):
    """Open drafts of the items whose department the user's 事项管理员 grants cover (system administrators and
    superusers as has_role lets them), newest items first."""
    from django.db.models import Q

    from tongban.org.models import Role
    from tongban.org.scopes import grants

    qs = ItemVersion.objects.filter(status=PubStatus.DRAFT).select_related("item__department", "item__region").prefetch_related("materials")
    if not user.is_superuser:
        scope = Q(pk__in=[])
        for role in (Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN):
            for g in grants(user, role):
                scope |= Q(item__department=g.department) if g.department_id else Q(item__region__path__startswith=g.region.path)
        qs = qs.filter(scope)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(item__implementation_code__icontains=q) | Q(item__department__name__icontains=q))
    return qs.order_by("item__region__code", "item__department__order", "item__basic_code")


def guide_materials(version: ItemVersion) -> dict[int, Material]:
    """The materials of a version's guide by id, in order; a published version's never change, so they are
    read from the database once per server process."""
    def load():
        return {m.pk: m for m in version.materials.all()}

    if version.status != PubStatus.PUBLISHED or version.published_at is None:
        return load()
    from tongban.core import memo

    return memo.frozen(("guide_materials", version.pk, version.published_at), load)
