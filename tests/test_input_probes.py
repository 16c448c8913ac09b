"""The bad inputs of issue #10, table-driven over every parameter the API declares and every query parameter the
staff and public pages read: a NUL byte, a lone surrogate, text far past any column, numbers past 64 bits and
negative, impossible dates. The answer is always a 4xx in the one error format (pages: a page, never a 500),
and a refused act changes nothing."""

import json
from urllib.parse import quote, urlencode

import pytest

from tests import factories
from tongban.cases import services
from tongban.cases.models import Case, CaseEvent
from tongban.core.identifiers import make_uscc
from tongban.org.models import ApiToken

pytestmark = pytest.mark.django_db

BAD_TEXT = ["a\x00b", "a\ud800b", "长" * 5000, " ", ""]
BAD_NUMBER = ["9223372036854775808", "-9223372036854775809", "-1", "0", "1e400", "abc", "9" * 5000]
BAD_DATE = ["2025-13-45", "0000-00-00", "9999-99-99", "昨天"]


def _document():
    from tongban.api import api

    return api.get_openapi_schema()


def _schema(doc, ref_or_schema):
    s = ref_or_schema
    while "$ref" in s:
        s = doc["components"]["schemas"][s["$ref"].rsplit("/", 1)[1]]
    return s


def _values_for(schema) -> list:
    kind = schema.get("type") or next((a.get("type") for a in schema.get("anyOf", []) if a.get("type") != "null"), None)
    if schema.get("format") == "date" or any(a.get("format") == "date" for a in schema.get("anyOf", [])):
        return BAD_DATE
    if kind == "integer" or kind == "number":
        return BAD_NUMBER
    if kind == "boolean":
        return ["不是", "2"]
    return BAD_TEXT


@pytest.fixture
def world(admin):
    item = factories.make_item(admin)
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    firm = services.register_applicant(clerk, kind="org", id_number=make_uscc("370811", 6601, authority="9", kind="2"), name="济宁市任城区鲁味轩餐饮店")
    case = services.submit_case(clerk, applicant=firm, item=item)
    return {"case": case, "item": item, "clerk": clerk, "token": ApiToken.issue(clerk, "probe")[1]}


def test_every_api_parameter_and_body_field_refuses_bad_input_without_a_500(client, world):
    doc = _document()
    auth = {"Authorization": f"Bearer {world['token']}"}
    case = world["case"]
    before = (Case.objects.get(pk=case.pk).updated_at, CaseEvent.objects.count())
    failures, probes = [], 0
    defaults = {"number": case.number, "code": world["item"].implementation_code, "step_id": "1", "notice_id": "1", "doc_id": "1"}

    def fill(path, overrides=None):
        for k, v in {**defaults, **(overrides or {})}.items():
            path = path.replace("{" + k + "}", quote(v.encode("utf-8", "surrogatepass"), safe=""))
        return path

    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            targets = []
            for p in op.get("parameters", []):
                if p["in"] == "header":
                    continue  # the one header (Idempotency-Key) is an opaque key
                for value in _values_for(_schema(doc, p.get("schema", {}))):
                    targets.append((p["in"], p["name"], value))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                for name, field in _schema(doc, body).get("properties", {}).items():
                    for value in _values_for(_schema(doc, field)):
                        targets.append(("body", name, value))
            for where, name, value in targets:
                url = fill(path, {name: value} if where == "path" else None)
                if where == "query":
                    url += "?" + urlencode({name: value.encode("utf-8", "surrogatepass")})
                probes += 1
                if method == "get":
                    r = client.get(url, headers=auth)
                else:
                    payload = json.dumps({name: value} if where == "body" else {}, ensure_ascii=False).encode("utf-8", "surrogatepass")
                    r = client.generic(method.upper(), url, payload, content_type="application/json", headers=auth)
                if r.status_code >= 500 or (r.status_code >= 400 and "json" in r.get("Content-Type", "") and "code" not in r.json()):
                    failures.append(f"{method.upper()} {path} {where}:{name}={value[:20]!r} -> {r.status_code}")
    assert probes > 300
    assert failures == [], "\n".join(failures[:40])
    assert (Case.objects.get(pk=case.pk).updated_at, CaseEvent.objects.count()) == before  # nothing half-written


PAGES = {  # every query parameter a page reads
    "/": [], "/catalog/": ["q", "level", "department", "topic", "object", "page"], "/search/": ["q", "page", "region"],
    "/catalog/delegation/": ["region"], "/hall/": ["q"], "/hall/new/": ["item_q"], "/office/": ["filter", "light", "page"],
    "/office/escalations/": [], "/office/lead/": [], "/office/decisions/": [], "/supervision/": [],
    "/supervision/cases/": ["light", "after"],
}


def test_every_page_query_parameter_refuses_bad_input_without_a_500(client, world):
    staff = factories.UserFactory()
    for role in ("window_clerk", "reviewer", "bureau_leader", "supervisor"):
        factories.grant(staff, role)
    client.force_login(staff)
    failures = []
    for url, params in PAGES.items():
        for name in params or [None]:
            for value in [*BAD_TEXT, *BAD_NUMBER, *BAD_DATE]:
                r = client.get(url + ("?" + urlencode({name: value.encode("utf-8", "surrogatepass")}) if name else ""))
                if r.status_code >= 500:
                    failures.append(f"{url}?{name}={value[:20]!r} -> {r.status_code}")
    assert failures == [], "\n".join(failures)
