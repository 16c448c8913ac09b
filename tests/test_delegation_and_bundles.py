import pytest

from tests import factories
from tongban.catalog import selectors, services
from tongban.catalog.models import Bundle, Item
from tongban.core.errors import DomainError
from tongban.org.models import Level

pytestmark = pytest.mark.django_db


@pytest.fixture
def market_departments():
    """The market regulators of 济宁市 and of its counties 曲阜市 and 汶上县."""
    city = factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval")
    for code, name in [("370881", "曲阜市行政审批服务局"), ("370830", "汶上县行政审批服务局")]:
        factories.DepartmentFactory(name=name, function="approval", region=factories.region(code))
    return city


def test_city_item_delegated_to_counties_gets_county_implementations(admin, market_departments, client):
    item = factories.make_item(admin, department=market_departments)
    created = services.delegate_item(admin, item, [factories.region("370881"), factories.region("370830")])
    assert {c.region.code for c in created} == {"370881", "370830"}
    for child in created:
        assert child.basic_code == item.basic_code  # the same basic item …
        assert child.implementation_code.startswith(child.department.credit_code + "4")  # … implemented by the county (level 4)
        assert child.delegated_from == item and child.level == Level.COUNTY
        assert child.versions.effective().get().name == "食品经营许可"
    body = client.get(f"/api/v1/items/{created[0].implementation_code}").json()
    assert body["delegated_from"] == item.implementation_code
    # delegating again creates nothing new
    assert services.delegate_item(admin, item) == []


def test_delegation_needs_a_counterpart_department(admin):
    lonely = factories.DepartmentFactory(name="济宁市文物局", function="cultural_relics")
    item = factories.make_item(admin, department=lonely)
    with pytest.raises(DomainError) as e:
        services.delegate_item(admin, item, [factories.region("370881")])
    assert "没有与济宁市文物局对应的实施部门" in e.value.message
    assert not Item.objects.filter(delegated_from=item).exists()


def test_county_items_cannot_be_delegated_further(admin):
    county_dept = factories.DepartmentFactory(name="曲阜市卫生健康局", function="health", region=factories.region("370881"))
    item = factories.make_item(admin, department=county_dept, level=Level.COUNTY)
    with pytest.raises(DomainError):
        services.delegate_item(admin, item)


def test_delegation_report_counts_city_permits(admin, market_departments, client):
    items = [factories.make_item(admin, department=market_departments, name=f"许可{n}") for n in range(4)]
    factories.make_item(admin, department=market_departments, name="最低生活保障对象认定", type_code="07")  # not a permit
    for it in items[:3]:
        services.delegate_item(admin, it)
    report = selectors.delegation_report(factories.region("370800"))
    assert (report["total"], report["delegated"], report["ratio"]) == (4, 3, 75.0)
    page = client.get("/catalog/delegation/").content.decode()
    assert "75.0%" in page
    assert client.get("/api/v1/catalog/delegation", {"region": "370800"}).json()["ratio"] == 75.0


def _restaurant_bundle(admin):
    licence = factories.make_item(admin, name="食品经营许可")
    company = factories.make_item(
        admin, name="个体工商户设立登记", materials=[
            {"name": "个体工商户登记(备案)申请书", "role": "main", "form": "original", "copies": 1},
            {"name": "经营者身份证明", "role": "main", "form": "copy", "copies": 1, "shared_key": "legal_rep_id"},
            {"name": "经营场所使用证明", "role": "auxiliary", "form": "copy", "copies": 1, "shared_key": "premises"},
        ],
    )
    hygiene = factories.make_item(
        admin, name="公共场所卫生许可", materials=[
            {"name": "公共场所卫生许可申请表", "role": "main", "form": "original", "copies": 1},
            {"name": "法定代表人或负责人身份证明", "role": "main", "form": "copy", "copies": 1, "shared_key": "legal_rep_id"},
            {"name": "营业执照", "role": "main", "form": "copy", "copies": 1, "shared_key": "business_licence"},
        ],
    )
    return services.save_bundle(
        admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"), promised_limit=5,
        items=[company, licence, hygiene], description="餐饮店开办涉及的登记、许可一次申请、并联办理。",
    )


def test_bundle_asks_a_shared_material_once(admin, client):
    bundle = _restaurant_bundle(admin)
    guide = selectors.bundle_guide(bundle)
    names = [m["name"] for m in guide["materials"]]
    assert guide["materials_separately"] == 11
    assert len(names) == 8  # identity proof asked by three items, business licence by two: once each
    identity = next(m for m in guide["materials"] if m["key"] == "legal_rep_id")
    assert identity["items"] == ["个体工商户设立登记", "食品经营许可", "公共场所卫生许可"]
    body = client.get(f"/api/v1/bundles/{bundle.code}").json()
    assert [i["name"] for i in body["items"]] == ["个体工商户设立登记", "食品经营许可", "公共场所卫生许可"]
    assert len(body["materials"]) == 8 and body["materials_separately"] == 11
    assert client.get("/api/v1/bundles").json()["count"] == 1
    page = client.get(f"/bundles/{bundle.code}/").content.decode()
    assert "只交一次" in page and "我要开饭店" in page


def test_bundle_of_unpublished_item_is_refused(admin):
    published = factories.make_item(admin)
    draft_only = factories.make_item(admin, name="户外广告设施设置审批", publish=False)
    with pytest.raises(DomainError) as e:
        services.save_bundle(admin, code="YJS-X", name="我要开店", region=factories.region("370800"), promised_limit=3,
                             items=[published, draft_only])
    assert "尚未发布" in e.value.message
    assert not Bundle.objects.filter(code="YJS-X").exists()


def test_bundle_promised_limit_must_not_exceed_the_items_together(admin):
    a, b = factories.make_item(admin), factories.make_item(admin, name="公共场所卫生许可")
    with pytest.raises(DomainError) as e:
        services.save_bundle(admin, code="YJS-Y", name="我要开美容院", region=factories.region("370800"), promised_limit=30, items=[a, b])
    assert e.value.field == "promised_limit"
