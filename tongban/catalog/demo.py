"""Demo catalogue from tongban/catalog/demo/catalog.json: fees, topics, items (through the services,
so codes, versions, delegations and the search index are made as in production), bundles."""

import json
from pathlib import Path

from django.db import transaction

from tongban.org import demo as org_demo
from tongban.org.models import Department, Level, Region, User, Zone

from . import services
from .models import FeeEntry, Item, Topic

DATA_FILE = Path(__file__).with_name("demo") / "catalog.json"
LEVELS = {"city": Level.CITY, "county": Level.COUNTY, "town": Level.TOWN}
DEMO_TOWNS = ["370881001", "370881105", "370830102"]  # 鲁城街道, 尼山镇, 南旺镇
MATERIAL_KEYS = ["name", "role", "form", "copies", "media", "source", "licence_type", "shared_key", "notes"]


def read_data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def is_loaded() -> bool:
    return Item.objects.exists()


def _service_object(values: list[str]) -> str:
    return "both" if set(values) >= {"person", "org"} else (values[0] if values else "person")


def _content(it: dict) -> dict:
    return {
        "name": it["name"], "aliases": "、".join(it.get("aliases", [])), "service_object": _service_object(it["service_object"]),
        "case_kind": it["case_kind"], "legal_limit": it["legal_limit"], "promised_limit": it["promised_limit"],
        "extension_allowed": it.get("extension_allowed", False),
        "extension_days": it.get("extension_days", 0) if it.get("extension_allowed") else 0,
        "visits": it["visits"], "online_depth": it["online_depth"], "scope": it["scope"],
        "informed_commitment": it.get("informed_commitment", False), "licence_type": it.get("licence_type", ""), "conditions": it.get("conditions", ""),
        "legal_basis": it["legal_basis"], "flow": it.get("flow", []), "form_fields": it.get("form_fields", []),
    }


def load_catalogue(actor: User, data: dict) -> dict:
    city = Region.objects.get(code=org_demo.CITY)
    for f in data["fee_list"]:
        FeeEntry.objects.update_or_create(code=f["code"], defaults={
            "name": f["name"], "legal_basis": f["legal_basis"], "standard": f["standard"],
            "department": Department.objects.filter(region=city, function=f.get("department")).first(),
        })
    for i, t in enumerate(data["topics"], start=1):
        Topic.objects.update_or_create(code=t["code"], defaults={"name": t["name"], "kind": t["kind"], "order": i})
    topics = {t.code: t for t in Topic.objects.all()}
    fees = {f.code: f for f in FeeEntry.objects.all()}

    regions_by_level = {
        "city": [city],
        "county": list(Region.objects.filter(code__in=org_demo.COUNTIES)),
        "town": list(Region.objects.filter(code__in=DEMO_TOWNS)),
    }
    by_name: dict[str, Item] = {}
    delegated = 0
    for it in data["items"]:
        for region in regions_by_level[it["level"]]:
            function = "town" if it["level"] == "town" else it["department"]
            dept = Department.objects.get(region=region, function=function)
            hall_region = region if region.level <= Level.COUNTY else region.parent
            with transaction.atomic():
                item = services.create_item(
                    actor, department=dept, level=LEVELS[it["level"]], region=region, type_code=it["type"],
                    main_code=it["main_code"], sub_code=it.get("sub_code", "000"), content=_content(it),
                    materials=[{k: m.get(k, "") for k in MATERIAL_KEYS} for m in it["materials"]],
                    fees=[{"fee_entry": fees[f["fee_code"]]} for f in it.get("fees", [])],
                    review_points=[{"point": r["point"], "basis": r.get("basis", "")} for r in it.get("review_points", [])],
                    topics=[topics[c] for c in it.get("topics", []) if c in topics],
                    zones=Zone.objects.filter(hall__region=hall_region, name=it.get("zone", "")),
                )
                services.publish_version(actor, item.versions.get())
            by_name.setdefault(it["name"], item)
            if it["level"] == "city" and it.get("delegate_to_counties"):
                delegated += len(services.delegate_item(actor, item))
    for b in data["bundles"]:
        services.save_bundle(
            actor, code=b["code"], name=b["name"], region=city, promised_limit=b["promised_limit"],
            items=[by_name[n] for n in b["items"]], description=b.get("description", ""),
            topics=[topics[c] for c in b.get("topics", []) if c in topics],
        )
    return {"items": Item.objects.count(), "delegated": delegated, "bundles": len(data["bundles"])}
