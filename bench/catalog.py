"""Catalogue benchmark: guide page and search latency with 20,000 published items; the import of a county's
~1,050-row workbook (validate + write) and the refusal of the same workbook (validation only).

    .venv/bin/python bench/catalog.py                         # SQLite (a scratch file under var/)
    .venv/bin/python bench/catalog.py --database-url postgres://postgres@127.0.0.1:5432/tongban_bench

Single client, warm, in-process (Django test client: the full middleware, view and template stack, no socket).
The baseline is the cheapest API call (identifier validation) measured in the same run, so ratios compare
across machines. The last line is one JSON object.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = [
    "食品经营许可", "公共场所卫生许可", "个体工商户设立登记", "药品零售企业经营许可", "医疗机构执业登记", "建设工程规划许可证核发",
    "建设用地规划许可证核发", "建筑工程施工许可证核发", "特殊建设工程消防验收", "户外广告设施设置审批", "娱乐场所经营活动审批",
    "营业性演出审批", "出版物零售业务经营许可", "道路货物运输经营许可", "道路旅客运输经营许可", "取水许可", "城镇污水排入排水管网许可",
    "民办幼儿园设立", "民办非企业单位成立登记", "养老机构备案", "托育机构备案", "结婚登记", "户口迁移", "居民身份证申领",
    "最低生活保障对象认定", "临时救助", "城乡居民基本养老保险参保登记", "职工基本医疗保险参保登记", "住房公积金提取",
    "不动产首次登记", "不动产转移登记", "农村村民宅基地审批", "残疾人两项补贴申请", "就业困难人员认定", "失业保险金申领",
    "母婴保健技术服务机构执业许可", "放射诊疗许可", "消毒产品生产企业卫生许可", "生活饮用水供水单位卫生许可", "危险化学品经营许可",
    "烟花爆竹经营(零售)许可", "特种设备使用登记", "工业产品生产许可",
]
QUERIES = ["饭店", "社保", "食品经营", "spjy", "建设工程规划", "户口", "低保", "幼儿园", "公积金提取", "卫生许可", "施工许可证", "结婚"]
MATERIALS = ["申请书", "营业执照", "法定代表人身份证明", "经营场所使用证明", "平面布局图", "管理制度", "授权委托书", "承诺书"]


def setup(database_url: str):
    if database_url.startswith("postgres"):
        from harness import recreate

        recreate(database_url)  # a fresh machine has no such database: the benchmark makes its own
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    os.environ.setdefault("TONGBAN_DEMO", "1")  # the published demo keys
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(n_items: int) -> int:
    """Bulk-load `n_items` published items across Shandong's counties; returns how many exist."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from tongban.catalog import search
    from tongban.catalog.models import Item, ItemVersion, Material, PubStatus, SearchEntry
    from tongban.core.identifiers import make_uscc
    from tongban.org.models import Department, Level, Region

    if Item.objects.count() >= n_items:
        return Item.objects.count()
    regions = list(Region.objects.filter(code__startswith="37", level__in=[Level.CITY, Level.COUNTY]).order_by("code"))
    today = timezone.localdate() - dt.timedelta(days=1)
    rng = random.Random(7)
    with transaction.atomic():
        depts = Department.objects.bulk_create([
            Department(name=f"{r.name}行政审批服务局", function="approval", region=r, credit_code=make_uscc(r.code, int(r.code) % 10**7 * 10 + 1))
            for r in regions
        ])
        per_region = -(-n_items // len(regions))
        items = []
        for d in depts:
            for k in range(per_region):
                if len(items) == n_items:
                    break
                level = Level.CITY if d.region.level == Level.CITY else Level.COUNTY
                items.append(Item(type_code="01", main_code=f"{k:05d}", sub_code="000", level=level, region=d.region, department=d))
        for it in items:  # bulk_create skips save(): compose the codes here
            it.basic_code = Item.compose_basic_code(it.owner_code, it.type_code, it.main_code, it.sub_code)
            it.implementation_code = Item.compose_implementation_code(it.department.credit_code, it.level, it.basic_code)
        Item.objects.bulk_create(items, batch_size=2000)
        versions = []
        for i, it in enumerate(items):
            name = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f"(第{i // len(NAMES)}类)")
            versions.append(ItemVersion(
                item=it, number=1, status=PubStatus.PUBLISHED, valid_from=today, name=name, service_object="both",
                case_kind="promised", legal_limit=20, promised_limit=rng.randint(1, 20), legal_basis="《中华人民共和国行政许可法》",
                conditions="申请人应当具备与申请事项相适应的场所、设备和管理制度。", flow=["申请", "受理", "审查", "决定", "送达"],
            ))
        ItemVersion.objects.bulk_create(versions, batch_size=2000)
        Material.objects.bulk_create(
            [Material(version=v, order=j, name=(v.name[:6] + m) if j == 1 else m) for v in versions for j, m in enumerate(rng.sample(MATERIALS, 5), 1)],
            batch_size=5000,
        )
        entries = []
        for v in versions:
            it = v.item
            entries.append(SearchEntry(
                kind="item", item_version=v, level=it.level, department=it.department, region=it.region, valid_from=today,
                title=" ".join(search.tokens(v.name)), body=" ".join(search.tokens(f"{it.department.name} {v.conditions} {v.legal_basis}")),
                initials=search.initials_tokens([v.name]),
            ))
        SearchEntry.objects.bulk_create(entries, batch_size=2000)
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.executemany(
                    f"INSERT INTO {search.FTS_TABLE} (rowid, title, body, initials) VALUES (%s, %s, %s, %s)",
                    [(e.pk, e.title, e.body, e.initials) for e in entries],
                )
            else:
                cur.execute(
                    "UPDATE catalog_searchentry SET vector = setweight(to_tsvector('simple', title), 'A') || "
                    "setweight(to_tsvector('simple', initials), 'A') || setweight(to_tsvector('simple', body), 'C')"
                )
                cur.execute("ANALYZE")
    return Item.objects.count()


def import_timings() -> dict:
    """The migration of a county's ~1,050-item workbook (tests/messy_workbook.py, with its planted errors): the refused
    upload (all or nothing: validation only, then the error workbook) and the import of the valid rows as drafts
    (validation + write). Rolled back afterwards, so the dataset stays as loaded."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from tests import messy_workbook
    from tongban.catalog import excel

    messy = messy_workbook.build()
    data = messy.bytes()
    out = {}
    with transaction.atomic():
        admin = messy_workbook.meishan_admin("bench_ms_admin")
        t = time.perf_counter()
        refused = excel.import_workbook(admin, SimpleUploadedFile("a.xlsx", data), mode="all")
        out["refused_s"] = time.perf_counter() - t
        out["refused_validate_s"] = refused.seconds_validate
        assert not refused.written and refused.errors
        t = time.perf_counter()
        done = excel.import_workbook(admin, SimpleUploadedFile("a.xlsx", data), mode="valid")
        out["import_s"] = time.perf_counter() - t
        out["import_validate_s"], out["import_write_s"] = done.seconds_validate, done.seconds_write
        out["rows"], out["imported"], out["errors"] = messy.items, done.items_created, len(refused.errors)
        transaction.set_rollback(True)
    return out


def timed(client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return out


def p(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench_catalog.sqlite3'}")
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    setup(args.database_url)
    from django.db import connection
    from django.test import Client

    from tongban.catalog.models import Item

    t = time.perf_counter()
    n = load(args.items)
    print(f"dataset: {n} published items on {connection.vendor} (load {time.perf_counter() - t:.1f} s)")
    codes = list(Item.objects.values_list("implementation_code", flat=True))
    rng = random.Random(11)
    client = Client()
    guide_urls = [f"/guide/{rng.choice(codes)}/" for _ in range(args.requests)]
    search_urls = [f"/api/v1/items?q={rng.choice(QUERIES)}" for _ in range(args.requests)]
    base_urls = ["/api/v1/identifiers/validate?kind=id_card&value=11010519491231002X"] * args.requests
    for urls in (guide_urls[:50], search_urls[:50], base_urls[:50]):  # warm caches and connections
        timed(client, urls)
    base = timed(client, base_urls)
    guide = timed(client, guide_urls)
    found = timed(client, search_urls)
    for label, v in (("baseline (validate)", base), ("guide page", guide), ("search", found)):
        print(f"{label:<20} p50 {p(v, 50):7.2f} ms   p95 {p(v, 95):7.2f} ms   p99 {p(v, 99):7.2f} ms   ({len(v)} requests)")
    print(f"ratio p95 to baseline: guide {p(guide, 95) / p(base, 95):.1f}x, search {p(found, 95) / p(base, 95):.1f}x")
    imp = import_timings()
    print(f"import of {imp['rows']} rows ({imp['errors']} errors planted): refused upload {imp['refused_s']:.2f} s "
          f"(validation {imp['refused_validate_s']:.2f} s); valid rows as drafts {imp['import_s']:.2f} s "
          f"(validation {imp['import_validate_s']:.2f} s + write {imp['import_write_s']:.2f} s, {imp['imported']} items)")
    print(json.dumps({
        "items": n, "database": connection.vendor, "guide_p95_ms": round(p(guide, 95), 2), "search_p95_ms": round(p(found, 95), 2),
        "baseline_p95_ms": round(p(base, 95), 2), "import_rows": imp["rows"], "import_s": round(imp["import_s"], 2),
        "refused_s": round(imp["refused_s"], 2), "refused_validate_s": round(imp["refused_validate_s"], 2),
    }))


if __name__ == "__main__":
    main()
