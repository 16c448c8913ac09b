import json
from pathlib import Path

import pytest

from tests import factories
from tongban.catalog import services
from tongban.catalog.search import initials, query_groups, tokens

pytestmark = pytest.mark.django_db

OPENAPI_FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


@pytest.fixture
def catalogue(admin):
    """A small real catalogue: a restaurant bundle and unrelated items."""
    food = factories.make_item(admin, name="食品经营许可", aliases="餐饮服务许可")
    trader = factories.make_item(admin, name="个体工商户设立登记", aliases="个体户营业执照")
    factories.make_item(admin, name="城乡居民基本养老保险参保登记", type_code="20", legal_limit=5, promised_limit=1,
                        service_object="person", materials=[{"name": "居民身份证", "role": "main", "form": "original", "copies": 1}])
    factories.make_item(admin, name="建设工程规划许可证核发", legal_limit=20, promised_limit=10,
                        materials=[{"name": "建设工程规划许可证申请表", "role": "main", "form": "original", "copies": 1}])
    services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"), promised_limit=5,
                         items=[trader, food], description="餐饮店开办一次办")
    return food


def test_tokens_cut_chinese_words_for_search():
    assert {"食品", "经营", "许可", "许可证"} <= set(tokens("食品经营许可证"))
    assert initials("食品经营许可") == "spjyxk"


def test_query_for_restaurant_expands_through_synonyms():
    groups, _ = query_groups("饭店")
    assert ["食品", "经营"] in groups[0]


def test_search_for_restaurant_finds_food_licence_and_the_bundle(client, catalogue):
    page = client.get("/search/", {"q": "饭店"}).content.decode()
    assert "食品经营许可" in page and "我要开饭店" in page
    assert "建设工程规划许可证核发" not in page
    body = client.get("/api/v1/items", {"q": "饭店"}).json()
    assert body["items"][0]["name"] == "食品经营许可"


def test_pinyin_initials_find_the_item(client, catalogue):
    body = client.get("/api/v1/items", {"q": "spjy"}).json()
    assert [i["name"] for i in body["items"]] == ["食品经营许可"]


def test_colloquial_social_insurance_finds_the_formal_name(client, catalogue):
    body = client.get("/api/v1/items", {"q": "社保"}).json()
    assert [i["name"] for i in body["items"]] == ["城乡居民基本养老保险参保登记"]


def test_search_matches_material_names(client, catalogue):
    body = client.get("/api/v1/items", {"q": "建设工程规划许可证申请表"}).json()
    assert body["items"][0]["name"] == "建设工程规划许可证核发"


def test_search_with_nothing_found_says_so_in_chinese(client, catalogue):
    page = client.get("/search/", {"q": "火星移民"}).content.decode()
    assert "没有找到" in page
    assert client.get("/api/v1/items", {"q": "火星移民"}).json() == {"count": 0, "page": 1, "items": []}


def test_search_survives_fts_syntax_in_the_query(client, catalogue):
    for q in ['"', "AND OR NOT", "食品*", "(", "spjy:*", "'; drop table x; --", "NEAR(食品"]:
        assert client.get("/api/v1/items", {"q": q}).status_code == 200


def test_items_api_contract(client, catalogue):
    body = client.get("/api/v1/items").json()
    assert body["count"] == 4
    first = body["items"][0]
    assert set(first) >= {"code", "name", "type", "department", "level", "promised_limit", "legal_limit", "url"}
    assert first["url"].endswith(f"/guide/{first['code']}/")


def test_items_api_filters_by_level_and_department(client, admin, catalogue):
    county_dept = factories.DepartmentFactory(name="曲阜市行政审批服务局", function="approval", region=factories.region("370881"))
    factories.make_item(admin, department=county_dept, level=3, name="食品经营许可")
    assert client.get("/api/v1/items", {"level": "county"}).json()["count"] == 1
    assert client.get("/api/v1/items", {"q": "饭店", "level": "3"}).json()["count"] == 1
    assert client.get("/api/v1/items", {"department": county_dept.credit_code}).json()["count"] == 1
    assert client.get("/api/v1/items", {"department": str(county_dept.pk), "q": "食品"}).json()["count"] == 1


@pytest.mark.parametrize(
    "params, words",
    [({"level": "galaxy"}, "层级参数无效"), ({"department": "nope"}, "部门参数无效"), ({"page": "0"}, "page"), ({"page": "x"}, "page")],
)
def test_items_api_bad_parameters_get_chinese_errors(client, catalogue, params, words):
    r = client.get("/api/v1/items", params)
    assert r.status_code in (400, 422)
    assert words in r.json()["message"]


def test_guide_api_has_the_whole_guide(client, catalogue):
    body = client.get(f"/api/v1/items/{catalogue.implementation_code}").json()
    assert body["name"] == "食品经营许可" and body["legal_limit"] == 10 and body["promised_limit"] == 5
    assert body["extension_allowed"] and body["extension_days"] == 5
    assert [m["name"] for m in body["materials"]][:2] == ["食品经营许可申请书", "营业执照"]
    assert body["materials"][1]["source"] == "20" and body["materials"][1]["licence_type"] == "营业执照"
    assert body["type_code_system"] == "GB/T 39554.1-2020"


def test_openapi_document_is_served_and_committed_without_drift(client):
    served = client.get("/api/v1/openapi.json").json()
    assert served["openapi"].startswith("3.1")
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert served == committed, "docs/openapi.json is out of date: run `make openapi` and commit it"


def test_api_docs_are_served_offline(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page


def test_an_all_digit_credit_code_is_not_mistaken_for_an_id(client, admin):
    from tongban.core.identifiers import make_uscc, validate_uscc

    code = next(c for c in (make_uscc("370881", n) for n in range(200)) if c.isdigit())
    dept = factories.DepartmentFactory(name="曲阜市教育和体育局", function="education", region=factories.region("370881"), credit_code=validate_uscc(code))
    factories.make_item(admin, department=dept, level=3, name="民办幼儿园设立")
    assert client.get("/api/v1/items", {"department": code}).json()["count"] == 1


@pytest.fixture
def renshou(db):
    """Published items of 仁寿县 (四川省眉山市) whose names trip naive Chinese search, and the same item in 曲阜市."""
    from tests import messy_workbook

    admin = messy_workbook.meishan_admin("rs_admin")
    county = factories.region("511421")
    hrss = factories.DepartmentFactory(name="仁寿县人力资源和社会保障局", region=county, function="hrss")
    police = factories.DepartmentFactory(name="仁寿县公安局", region=county, function="police")
    made = {}
    for name, dept in [("社会保险费补缴", hrss), ("城乡居民基本医疗保险费补缴", hrss), ("企业职工基本养老保险关系转出", hrss),
                       ("居民身份证申领", police), ("普通护照签发", police), ("社会保障卡申领", hrss)]:
        made[name] = factories.make_item(admin, department=dept, level=3, name=name, materials=[])
    qufu = factories.DepartmentFactory(name="曲阜市公安局", region=factories.region("370881"), function="police")
    made["曲阜居民身份证申领"] = factories.make_item(admin_for_shandong(), department=qufu, level=3, name="居民身份证申领", materials=[])
    return made


def admin_for_shandong():
    return factories.catalog_admin("370881")


def names(client, **params):
    return [i["name"] for i in client.get("/api/v1/items", params).json()["items"]]


def test_compounds_are_found_inside_longer_words(client, renshou):
    assert names(client, q="社会保险") == ["社会保险费补缴"]


@pytest.mark.parametrize("q", ["社保补缴", "社会保险补缴"])
def test_colloquial_and_full_words_find_the_back_payment_items(client, renshou, q):
    found = names(client, q=q)
    assert "社会保险费补缴" in found


def test_a_query_no_item_matches_whole_is_relaxed_to_its_specific_words(client, renshou):
    found = names(client, q="社保 补缴 手续")  # 手续 is a stop word; 社保 + 补缴 both in 社会保险费补缴
    assert "社会保险费补缴" in found and "居民身份证申领" not in found
    page = client.get("/search/", {"q": "医保卡补缴"}).content.decode()  # no item has both: the 补缴 items still show
    assert "补缴" in page and "relaxed-note" in page


@pytest.mark.parametrize("q", ["身份证 办理", "如何 办理 身份证", "办理身份证需要什么材料"])
def test_stop_words_typed_as_words_are_dropped(client, renshou, q):
    assert "居民身份证申领" in names(client, q=q)


def test_every_name_token_is_indexed(client, renshou):
    assert names(client, q="转出") == ["企业职工基本养老保险关系转出"]


def test_pinyin_initials_match_anywhere_in_a_name(client, renshou):
    assert set(names(client, q="sfz")) == {"居民身份证申领"}
    assert names(client, q="bj")[:2] and all("补缴" in n for n in names(client, q="bj"))


def test_the_users_region_comes_first_and_the_switcher_keeps_it(client, renshou):
    body = client.get("/api/v1/items", {"q": "身份证", "region": "511421"}).json()
    assert [(i["name"], i["region_code"]) for i in body["items"]] == [("居民身份证申领", "511421")]
    page = client.get("/search/", {"q": "身份证", "region": "370881"})
    html = page.content.decode()
    assert html.index("曲阜市") < html.index("仁寿县") and page.cookies["tb_region"].value == "370881"
    html = client.get("/search/", {"q": "身份证"}).content.decode()  # the cookie remembers the choice
    assert 'value="370881" selected' in html
    html = client.get("/search/", {"q": "身份证", "region": "511421"}).content.decode()
    assert html.index("仁寿县 · 仁寿县公安局") < html.index("曲阜市 · 曲阜市公安局")


def test_the_items_api_refuses_an_unknown_region_in_chinese(client, renshou):
    r = client.get("/api/v1/items", {"region": "519999"})
    assert r.status_code == 400 and "区划参数无效" in r.json()["message"]


def test_the_results_page_pages(client, admin):
    for n in range(35):
        factories.make_item(admin, name=f"食品经营许可(第{n + 1}分类)", materials=[])
    first = client.get("/search/", {"q": "食品经营"}).content.decode()
    assert "共 35 项" in first and first.count('class="list-group-item list-group-item-action py-3"') == 30
    second = client.get("/search/", {"q": "食品经营", "page": 2}).content.decode()
    assert second.count('class="list-group-item list-group-item-action py-3"') == 5 and "第 2 / 2 页" in second


def test_external_codes_are_searchable_and_in_the_guide_api(client, admin):
    item = factories.make_item(admin, name="食品经营许可")
    from tongban.catalog.models import Item

    Item.objects.filter(pk=item.pk).update(province_basic_code="511A0074300009", group_name="食品经营许可")
    from tongban.catalog import search as s

    s.write_entry(s.item_version_entry(Item.objects.get(pk=item.pk).versions.get()))
    assert names(client, q="511A0074300009") == ["食品经营许可"]
    body = client.get(f"/api/v1/items/{item.implementation_code}").json()
    assert body["province_basic_code"] == "511A0074300009" and body["group_name"] == "食品经营许可"


def test_everyday_words_of_the_new_synonyms(client, renshou):
    assert "社会保险费补缴" in names(client, q="补交社保")
    assert "社会保障卡申领" in names(client, q="社保卡")
    assert "企业职工基本养老保险关系转出" in names(client, q="社保转移")
