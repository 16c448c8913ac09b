"""Demo organisation: 济宁市 with 曲阜市 and 汶上县, their towns, departments, halls and staff."""

import csv
from pathlib import Path

from tongban.core.identifiers import make_uscc

from .models import Department, Hall, Level, Region, Role, RoleGrant, User, Window, Zone

CITY = "370800"
COUNTIES = ["370881", "370830"]
TOWNS_FILE = Path(__file__).with_name("data") / "demo_towns.csv"
DEMO_PASSWORD = "Tongban@2026"

HALLS = {
    "370800": ("济宁市为民服务中心", "济宁市任城区太白湖新区金宇路与圣贤路交叉口", "0537-12345"),
    "370881": ("曲阜市为民服务中心", "曲阜市春秋中路与大成路交叉口", "0537-4412345"),
    "370830": ("汶上县为民服务中心", "汶上县圣泽大街与宝相寺路交叉口", "0537-7212345"),
}


def load_towns() -> None:
    with TOWNS_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if line.strip() and not line.startswith("#")))
    for row in sorted(rows, key=lambda r: (int(r["level"]), r["code"])):
        parent = Region.objects.get(code=row["parent"])
        Region.objects.update_or_create(code=row["code"], defaults={"name": row["name"], "level": int(row["level"]), "parent": parent})


def department_name(template: dict, region: Region) -> str:
    level = "city" if region.level == Level.CITY else "county"
    return region.name + (template.get(f"name_{level}") or template["name"])


def load_departments(templates: list[dict]) -> None:
    regions = [Region.objects.get(code=CITY)] + [Region.objects.get(code=c) for c in COUNTIES]
    for region in regions:
        level = "city" if region.level == Level.CITY else "county"
        for n, t in enumerate(templates, start=1):
            if level not in t["levels"]:
                continue
            Department.objects.get_or_create(
                region=region, function=t["function"],
                defaults={
                    "name": department_name(t, region), "short_name": t.get("name") or t.get(f"name_{level}"),
                    "credit_code": make_uscc(region.code, int(region.code[2:6]) * 1000 + n, authority="1", kind="1"),
                    "is_approval_bureau": t.get("is_approval_bureau", False), "order": n,
                },
            )
    for town in Region.objects.filter(level=Level.TOWN, parent__code__in=COUNTIES):
        suffix = "办事处" if town.name.endswith("街道") else "人民政府"
        Department.objects.get_or_create(
            region=town, function="town",
            defaults={"name": town.name + suffix, "credit_code": make_uscc(town.code[:6], int(town.code[4:9]) * 10 + 7, authority="1", kind="1"), "order": 1},
        )


def load_halls(zone_names: list[str]) -> None:
    for code, (name, address, phone) in HALLS.items():
        region = Region.objects.get(code=code)
        hall, _ = Hall.objects.get_or_create(
            region=region, name=name,
            defaults={"address": address, "phone": phone, "hours": "周一至周五 9:00-17:00;周六 9:00-12:00(延时、周末服务)"},
        )
        zones = []
        for i, zname in enumerate(zone_names, start=1):
            zones.append(Zone.objects.get_or_create(hall=hall, name=zname, defaults={"order": i})[0])
        for i in range(1, 7):  # six comprehensive windows: any item (无差别一窗受理)
            Window.objects.get_or_create(hall=hall, number=f"A{i:02d}", defaults={"name": "无差别综合受理", "comprehensive": True})
        for i, zone in enumerate(zones, start=1):
            w, created = Window.objects.get_or_create(hall=hall, number=f"B{i:02d}", defaults={"name": zone.name + "专区窗口"})
            if created:
                w.zones.add(zone)
        Window.objects.get_or_create(hall=hall, number="C01", defaults={"name": "统一出件窗口"})


STAFF = [
    # username, name, role, region, department function, window
    ("admin", "系统管理员", Role.SYSTEM_ADMIN, CITY, None, None),
    ("catalog", "孔令华", Role.CATALOG_ADMIN, CITY, None, None),
    ("clerk", "颜春梅", Role.WINDOW_CLERK, CITY, None, "A01"),  # a comprehensive window: any item in the city
    ("clerk_qf", "孟凡强", Role.WINDOW_CLERK, "370881", None, "A01"),
    ("reviewer", "曾庆伟", Role.REVIEWER, CITY, "approval", None),
    ("reviewer_fire", "仲昭阳", Role.REVIEWER, CITY, "fire", None),
    ("leader", "闵建国", Role.BUREAU_LEADER, CITY, "approval", None),
    ("agent", "冉晓东", Role.AGENT, CITY, None, None),
    ("supervisor", "端木静", Role.SUPERVISOR, CITY, None, None),
]


def load_staff() -> list[tuple[str, str, str]]:
    """Create the demo accounts (once); return (username, name, role) for printing."""
    out = []
    for username, name, role, region_code, function, window in STAFF:
        region = Region.objects.get(code=region_code)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name, is_staff=True, is_superuser=(role == Role.SYSTEM_ADMIN))
            user.set_password(DEMO_PASSWORD)
            user.save()
        dept = Department.objects.filter(region=region, function=function).first() if function else None
        win = Window.objects.filter(hall__region=region, number=window).first() if window else None
        RoleGrant.objects.get_or_create(user=user, role=role, region=region, department=dept, defaults={"window": win})
        out.append((username, name, Role(role).label + (f"({dept.name})" if dept else f"({region.name})")))
    return out
