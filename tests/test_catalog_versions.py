import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from tongban.catalog import selectors, services
from tongban.catalog.models import ItemFee, ItemVersion, Material, PubStatus
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.core.models import AuditEvent
from tongban.org.models import Department

pytestmark = pytest.mark.django_db


def test_item_codes_follow_gb_t_39554(food_item):
    dept = food_item.department
    assert food_item.basic_code == "0001" + food_item.main_code + "000"
    assert food_item.implementation_code == dept.credit_code + "3" + food_item.basic_code  # 3 = 市级
    assert len(food_item.implementation_code) == 31


def test_catalog_admin_publishes_a_guide_that_the_public_can_read(client, food_item):
    v = food_item.versions.get()
    assert v.status == PubStatus.PUBLISHED and v.valid_from == timezone.localdate()
    r = client.get(f"/guide/{food_item.implementation_code}/")
    assert r.status_code == 200
    assert "食品经营许可" in r.content.decode()
    assert AuditEvent.objects.filter(object_id=str(food_item.pk), action="catalog.version_published").exists()


def test_promised_limit_over_legal_limit_is_refused(admin):
    with pytest.raises(DomainError) as e:
        factories.make_item(admin, legal_limit=20, promised_limit=25)
    assert "不得超过法定办结时限" in e.value.message
    assert not ItemVersion.objects.filter(promised_limit=25).exists()


def test_database_refuses_a_draft_edited_to_promise_more_than_the_law_allows(admin):
    item = factories.make_item(admin, publish=False)
    v = item.versions.get()
    v.promised_limit = 30
    with pytest.raises(IntegrityError), transaction.atomic():
        v.save()
    assert ItemVersion.objects.get(pk=v.pk).promised_limit == 5


def test_unlisted_fee_blocks_publication(admin):
    item = factories.make_item(admin, publish=False)
    draft = item.versions.get()
    ItemFee.objects.create(version=draft, name="场地勘验费")
    with pytest.raises(DomainError) as e:
        services.publish_version(admin, draft)
    assert "不在收费清单内" in e.value.message
    assert ItemVersion.objects.get(pk=draft.pk).status == PubStatus.DRAFT


def test_listed_fee_is_published_with_its_legal_basis(admin, client):
    fee = factories.fee()
    item = factories.make_item(admin, name="不动产首次登记", fees=[{"fee_entry": fee}])
    body = client.get(f"/api/v1/items/{item.implementation_code}").json()
    assert body["fees"] == [{"code": fee.code, "name": "不动产登记费", "standard": fee.standard, "legal_basis": fee.legal_basis}]


def test_editing_a_published_version_is_refused(food_item):
    v = food_item.versions.get()
    v.promised_limit = 3
    with pytest.raises(Conflict):
        v.save()
    with pytest.raises(Conflict):
        Material.objects.create(version=v, name="补充材料")
    with pytest.raises(Conflict):
        v.materials.first().delete()
    with pytest.raises(Conflict):
        v.delete()
    assert ItemVersion.objects.get(pk=v.pk).promised_limit == 5


def test_admin_pages_show_a_published_version_read_only(food_item, admin_client):
    v = food_item.versions.get()
    r = admin_client.post(f"/admin/catalog/itemversion/{v.pk}/change/", {"name": "改名"})
    assert r.status_code == 403
    assert ItemVersion.objects.get(pk=v.pk).name == "食品经营许可"


def test_new_version_supersedes_the_old_one_from_its_start_date(admin, food_item, client):
    v1 = food_item.versions.get()
    draft = services.new_draft(admin, food_item)
    assert draft.number == 2 and draft.materials.count() == v1.materials.count()
    draft.promised_limit = 3
    draft.save()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    services.publish_version(admin, draft, valid_from=tomorrow)

    v1.refresh_from_db()
    assert v1.valid_to == tomorrow
    assert selectors.effective_version(food_item).number == 1  # today: still the old guide
    assert food_item.versions.effective(on=tomorrow).get().number == 2
    assert client.get(f"/api/v1/items/{food_item.implementation_code}").json()["promised_limit"] == 5
    # the old version remains readable as history
    assert client.get(f"/guide/{food_item.implementation_code}/?v=2").status_code == 200


def test_overlapping_validity_is_refused(admin, food_item):
    draft = services.new_draft(admin, food_item)
    with pytest.raises(DomainError) as e:
        services.publish_version(admin, draft, valid_from=timezone.localdate())
    assert "不得重叠" in e.value.message


def test_only_one_open_draft_per_item(admin, food_item):
    assert services.new_draft(admin, food_item).pk == services.new_draft(admin, food_item).pk


def test_unpublished_item_is_invisible_and_cannot_be_found(admin, client):
    item = factories.make_item(admin, name="放射诊疗许可", publish=False)
    assert client.get(f"/guide/{item.implementation_code}/").status_code == 404
    r = client.get(f"/api/v1/items/{item.implementation_code}")
    assert r.status_code == 404 and "未找到" in r.json()["message"]
    assert client.get("/api/v1/items", {"q": "放射诊疗"}).json()["count"] == 0


def test_county_catalog_admin_cannot_touch_a_city_item(food_item):
    county_admin = factories.catalog_admin("370881")
    with pytest.raises(NotAllowed) as e:
        services.new_draft(county_admin, food_item)
    assert "权限" in e.value.message


def test_department_bound_admin_is_limited_to_that_department(admin):
    health = factories.DepartmentFactory(name="济宁市卫生健康委员会", function="health")
    market = factories.DepartmentFactory(name="济宁市市场监督管理局", function="market")
    health_admin = factories.catalog_admin("370800", department=health)
    factories.make_item(health_admin, department=health, name="公共场所卫生许可")
    with pytest.raises(NotAllowed):
        factories.make_item(health_admin, department=market)
    assert Department.objects.count() == 2


def test_user_without_any_role_cannot_create_items():
    nobody = factories.UserFactory()
    with pytest.raises(NotAllowed):
        factories.make_item(nobody)
