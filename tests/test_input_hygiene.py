"""What no field can hold is refused at the edge with a Chinese message naming the field, never a 500."""

import json

import pytest

from tests import factories
from tongban.core.hygiene import json_depth

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    client.force_login(factories.grant(factories.UserFactory(), "window_clerk"))
    return client


def test_a_nul_byte_in_a_path_is_a_400_page_not_a_500(client):
    r = client.get("/guide/%00/")
    assert r.status_code == 400 and "空字符" in r.content.decode()
    r = client.get("/api/v1/items/%00")
    assert r.status_code == 400 and r.json()["code"] == "invalid_path"


def test_a_nul_byte_in_a_query_or_form_field_names_the_field(client):
    r = client.get("/search/", {"q": "饭\x00店"})
    assert r.status_code == 400 and "参数“q”含有空字符" in r.content.decode()
    r = client.get("/api/v1/items", {"q": "a\x00"})
    assert r.status_code == 422 and r.json() == {"code": "invalid_input", "message": "参数“q”含有空字符(NUL),请删除后重试", "field": "q"}
    r = client.post("/accounts/login/", {"username": "clerk\x00", "password": "x"})
    assert r.status_code == 400 and "字段“username”含有空字符" in r.content.decode()


def test_nul_bytes_and_lone_surrogates_in_json_are_a_422_naming_the_field(clerk_client):
    r = clerk_client.post("/api/v1/cases/", '{"applicant": {"name": "a\\u0000b"}}', content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "applicant.name" and "空字符" in r.json()["message"]
    r = clerk_client.post("/api/v1/cases/", '{"applicant": {"name": "a\\ud800b"}}', content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "invalid_input" and "代理项" in r.json()["message"]
    r = clerk_client.post("/api/v1/cases/", '{"applicant": ', content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "invalid_json"


def test_json_nested_900_deep_is_refused(clerk_client):
    body = "[" * 900 + "]" * 900
    assert json_depth(body.encode()) == 900 and json_depth(b'{"a": "[[[[", "b": [1, {"c": []}]}') == 4
    r = clerk_client.post("/api/v1/cases/", body, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "json_too_deep"


@pytest.mark.parametrize("url", ["/catalog/?page=9223372036854775807", "/catalog/?page=-9223372036854775807",
                                 "/search/?q=x&page=9223372036854775807", "/catalog/?department=9223372036854775807"])
def test_huge_page_numbers_on_pages_are_clamped_or_refused(client, url):
    assert client.get(url).status_code in (200, 400, 404)


def test_a_page_number_past_64_bits_is_refused_and_the_largest_64_bit_one_clamped(client, clerk_client, food_item):
    r = clerk_client.get("/api/v1/cases/", {"page": "9223372036854775808"})
    assert r.status_code == 422 and r.json()["field"] == "page" and "超出范围" in r.json()["message"]
    r = clerk_client.get("/api/v1/cases/", {"page": "9223372036854775807"})
    assert r.status_code == 422 and r.json()["field"] == "page"  # the list declares its range (1 to 100,000)
    r = clerk_client.get("/api/v1/cases/", {"page": "100000"})
    assert r.status_code == 200 and r.json()["cases"] == []
    r = client.get("/catalog/", {"page": "9223372036854775807"})
    assert r.status_code == 200  # past the end: an empty page
    r = client.get("/api/v1/items", {"page": "9223372036854775807"})
    assert r.status_code == 422
    assert client.get("/catalog/", {"page": "9" * 5000}).status_code == 400  # past what int() converts
    assert client.get("/catalog/", {"page": "0" * 30 + "2"}).status_code == 200
    assert client.get("/office/steps/" + "9" * 5000 + "/").status_code in (302, 404)


def test_ordinary_input_passes(client, food_item):
    assert client.get("/search/", {"q": "饭店"}).status_code == 200
    assert client.get("/api/v1/identifiers/validate", {"kind": "id_card", "value": "370881198805061234"}).status_code == 200
    assert json.loads(client.get("/api/v1/items", {"page": "1"}).content)["count"] >= 1


@pytest.mark.parametrize("path", ["/office/steps/99999999999999999999/", "/api/v1/workflow/steps/99999999999999999999",
                                  "/hall/cases/x/notices/99999999999999999999.pdf"])
def test_an_id_past_64_bits_in_the_path_is_a_404(clerk_client, path):
    assert clerk_client.get(path).status_code == 404


def test_a_long_implementation_code_in_the_path_is_no_number(client, food_item):
    assert client.get(f"/guide/{food_item.implementation_code}/").status_code == 200
