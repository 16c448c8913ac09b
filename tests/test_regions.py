"""Regions: the whole nation to county level in the database, kept by system administrators outside Shandong
too; towns and villages imported from the statistics bureau's codes."""

import datetime as dt

import pytest
from django.core.management import call_command

from tests import factories
from tongban.core.errors import DomainError, NotAllowed
from tongban.core.identifiers import validate_region_code
from tongban.core.models import AuditEvent
from tongban.org import regions
from tongban.org.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def meishan_admin(client):
    """A system administrator of 眉山市 (四川省), not a superuser."""
    user = factories.grant(factories.UserFactory(is_staff=True, username="ms_sysadmin"), "system_admin", region_code="511400")
    client.force_login(user)
    return user


def test_a_city_system_administrator_adds_a_county_in_the_admin(client, meishan_admin):
    r = client.post("/admin/org/region/add/", {
        "code": "511426", "name": "眉山市天府新区", "level": 3, "parent": Region.objects.get(code="511400").pk,
        "valid_from": "2026-12-01", "note": "试点新区",
    })
    assert r.status_code == 302, r.content.decode()[-2000:]
    added = Region.objects.get(code="511426")
    assert added.path == "510000/511400/511426/" and added.valid_from == dt.date(2026, 12, 1)
    assert AuditEvent.objects.filter(action="org.region_added", object_id=str(added.pk)).exists()
    assert validate_region_code("511426", on=dt.date(2026, 12, 2)) == "511426"
    assert "自2026-12-01起启用" in _error(lambda: validate_region_code("511426", on=dt.date(2026, 11, 30)))


def test_no_region_outside_the_administrators_own_and_no_wrong_code(client, meishan_admin):
    r = client.post("/admin/org/region/add/", {"code": "510199", "name": "成都某区", "level": 3,
                                               "parent": Region.objects.get(code="510100").pk})
    assert r.status_code == 200 and not Region.objects.filter(code="510199").exists()  # 成都市 is not in the choices
    r = client.post("/admin/org/region/add/", {"code": "371426", "name": "错码县", "level": 3,
                                               "parent": Region.objects.get(code="511400").pk})
    assert r.status_code == 200 and "前几位不符" in r.content.decode()


def test_a_system_administrator_retires_a_county_and_old_records_keep_it(client, meishan_admin):
    qingshen = Region.objects.get(code="511425")
    r = client.post(f"/admin/org/region/{qingshen.pk}/change/", {"name": "青神县", "valid_to": "2027-01-01", "note": "撤县设区"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert AuditEvent.objects.filter(action="org.region_retired", object_id=str(qingshen.pk)).exists()
    assert validate_region_code("511425", on=dt.date(2026, 12, 31)) == "511425"
    assert "已于2027-01-01停用" in _error(lambda: validate_region_code("511425", on=dt.date(2027, 1, 1)))


def test_another_citys_administrator_cannot_retire_it():
    other = factories.grant(factories.UserFactory(), "system_admin", region_code="510100")
    with pytest.raises(NotAllowed):
        regions.retire_region(other, Region.objects.get(code="511425"), dt.date(2027, 1, 1))


def test_towns_and_villages_import_from_statistical_codes(tmp_path):
    csv = tmp_path / "511421.csv"
    csv.write_text(
        "# 国家统计局 2023年统计用区划代码 (节选)\n统计用区划代码,名称\n"
        "511421001000,文林街道\n511421102000,文宫镇\n511421102201,高庙村民委员会\n999999001000,无上级\n",
        encoding="utf-8",
    )
    call_command("import_towns", str(csv))
    town = Region.objects.get(code="511421102")
    assert (town.name, town.level, town.parent.code) == ("文宫镇", 4, "511421")
    village = Region.objects.get(code="511421102201")
    assert (village.level, village.path) == (5, "510000/511400/511421/511421102/511421102201/")
    assert not Region.objects.filter(code="999999001").exists()
    call_command("import_towns", str(csv))  # again: nothing doubled
    assert Region.objects.filter(code__startswith="511421").count() == 4


def test_loading_the_shipped_table_again_keeps_administrators_changes():
    Region.objects.filter(code="511425").update(valid_to=dt.date(2027, 1, 1))
    assert regions.load_shipped() == 0
    assert Region.objects.get(code="511425").valid_to == dt.date(2027, 1, 1)


def _error(fn) -> str:
    with pytest.raises(DomainError) as e:
        fn()
    return e.value.message


def test_a_county_administrator_imports_its_towns_in_the_admin_and_not_another_countys(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = factories.grant(factories.UserFactory(is_staff=True, username="rs_sysadmin"), "system_admin", region_code="511421")
    client.force_login(user)
    assert 'id="import-towns-link"' in client.get("/admin/org/region/").content.decode()
    csv = "统计用区划代码,名称\n511421102000,文宫镇\n511421102201,高庙村民委员会\n511423100000,止戈镇\n".encode()
    r = client.post("/admin/org/region/import-towns/", {"file": SimpleUploadedFile("towns.csv", csv, content_type="text/csv")}, follow=True)
    page = r.content.decode()
    assert "新增 2 个" in page and "不在您管辖范围而跳过 1 个" in page
    assert Region.objects.filter(code="511421102201").exists() and not Region.objects.filter(code="511423100").exists()
    assert AuditEvent.objects.filter(action="org.towns_imported").exists()


def test_department_screens_do_not_list_the_national_table(client, meishan_admin, admin_client):
    factories.DepartmentFactory(name="仁寿县市场监督管理局", region=Region.objects.get(code="511421"))
    page = admin_client.get("/admin/org/department/").content.decode()
    assert "仁寿县" in page and "新疆维吾尔自治区" not in page
    r = client.get("/admin/autocomplete/", {"app_label": "org", "model_name": "department", "field_name": "region", "term": "仁寿"})
    assert r.status_code == 200 and any(x["text"] == "仁寿县" for x in r.json()["results"])
