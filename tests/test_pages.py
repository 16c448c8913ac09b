import pytest

from tests import factories
from tongban.catalog import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant(admin):
    food = factories.make_item(admin)
    trader = factories.make_item(admin, name="个体工商户设立登记")
    services.save_bundle(admin, code="YJS-CY01", name="我要开饭店", region=factories.region("370800"), promised_limit=5,
                         items=[trader, food], description="餐饮店开办一次办")
    return food


def test_home_page_in_chinese_with_search_and_browse(client, restaurant):
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "一网通办" in page and 'name="q"' in page
    assert "我要开饭店" in page
    assert "按部门" in page and restaurant.department.name in page
    assert 'name="viewport"' in page  # phones


def test_guide_page_has_everything_and_a_qr_code_that_opens_it(client, restaurant):
    page = client.get(f"/guide/{restaurant.implementation_code}/").content.decode()
    for words in ["食品经营许可", "受理条件", "申请材料", "办理流程", "设定依据", "法定办结时限", "10 个工作日", "可延长 5 个工作日", "承诺办结时限",
                  "5 个工作日", "可容缺", "可用电子证照:营业执照", "打印办事指南", "我要开饭店", restaurant.implementation_code]:
        assert words in page, words
    assert '<svg' in page and "手机扫码查看" in page
    assert f"/guide/{restaurant.implementation_code}/" in page  # the QR's address is printed under the guide


def test_catalogue_browse_by_department_level_and_topic(client, restaurant):
    r = client.get("/catalog/", {"department": restaurant.department.pk})
    assert r.status_code == 200 and "食品经营许可" in r.content.decode()
    assert "食品经营许可" in client.get("/catalog/", {"level": 2}).content.decode()
    assert "没有符合条件" in client.get("/catalog/", {"level": 4}).content.decode()
    assert client.get("/catalog/", {"level": "abc", "page": "-3"}).status_code == 200  # bad input is ignored, not a 500


def test_unknown_guide_is_a_chinese_404(client, db):
    r = client.get("/guide/91370800XXXXXXXXXX3000100001000/")
    assert r.status_code == 404
