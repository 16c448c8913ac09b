"""The licence library as an external system uses it: real HTTP against the live test server, bearer tokens (or no
token for the public operations), only operations and fields the OpenAPI document declares.

An approval issues a 食品经营许可证; anyone verifies it by identifier and checks the sealed file (a tampered copy
fails); at the next application (延续) the clerk finds it among the reuse offers and the applicant consents, so the
material is 免提交; the department reads it for that case (加注件) and is refused for a case without consent; the
holder's wallet shows every use; the holder consents online; the issuer revokes it and verification says so."""

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests import factories
from tests.test_journeys_api import Client
from tongban.cases.models import RegistryEntity
from tongban.core.identifiers import make_uscc
from tongban.licences.models import LicenceType
from tongban.org.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SAMR = make_uscc("100000", 1371, kind="1")


def multipart(base: str, path: str, name: str, filename: str, content: bytes):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(base + path, data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def city(live_server, admin):
    LicenceType.objects.create(
        authority_name="国家市场监督管理总局", authority_code=SAMR, sequence="011", name="食品经营许可证", holder_kind="001",
        validity_years=5, number_prefix="JY", content_field="经营项目",
        face_fields=[{"name": "经营者名称", "required": True}, {"name": "经营场所", "required": True}, {"name": "主体业态"},
                     {"name": "经营项目"}])
    bureau = factories.DepartmentFactory(name="济宁市行政审批服务局", function="approval", is_approval_bureau=True)
    food = factories.make_item(admin, department=bureau, licence_type="食品经营许可证")
    renewal = factories.make_item(admin, department=bureau, name="食品经营许可延续", materials=[
        {"name": "食品经营许可延续申请书", "role": "main", "form": "original", "copies": 1, "source": "10"},
        {"name": "食品经营许可证", "role": "main", "form": "copy", "copies": 1, "source": "20", "licence_type": "食品经营许可证"},
    ])
    users = {
        "clerk": factories.grant(factories.UserFactory(display_name="颜春梅"), "window_clerk"),
        "leader": factories.grant(factories.UserFactory(display_name="闵建国"), "bureau_leader", department=bureau),
        "clerk_gz": factories.grant(factories.UserFactory(display_name="黄志强"), "window_clerk", "440106"),  # 广州市天河区
    }
    base = live_server.url + "/api/v1"
    api = {name: Client(base, ApiToken.issue(u, "licence journey")[1]) for name, u in users.items()}
    api["public"] = Client(base, "")
    return {"api": api, "food": food, "renewal": renewal, "base": base}


def public(client: Client, path: str, expect=200, method="GET", body=None):
    """No Authorization header at all: what a phone scanning the QR code sends."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(client.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    assert status == expect, f"{path}: {status} {payload[:300]!r}"
    return json.loads(payload)


def test_verify_reuse_with_consent_and_the_holders_use_log(city):
    api, food, renewal = city["api"], city["food"], city["renewal"]
    firm_id = make_uscc("370811", 12345678, authority="9", kind="2")
    RegistryEntity.objects.create(credit_code=firm_id, name="济宁市任城区鲁味轩餐饮店", legal_rep="孔德成")
    applicant = {"kind": "org", "id_number": firm_id, "name": "济宁市任城区鲁味轩餐饮店", "phone": "0537-2231234",
                 "address": "济宁市任城区古槐路88号"}

    # 1. the approval through the API issues the licence
    guide = api["clerk"].get(f"/items/{food.implementation_code}")
    assert guide["licence_type"] == "食品经营许可证"
    case = api["clerk"].post("/cases/", {
        "applicant": applicant, "item": food.implementation_code,
        "materials": [{"material": m["id"], "status": "original_seen"} for m in guide["materials"]],
        "form_data": {"经营场所": "济宁市任城区古槐路88号", "主体业态": "餐饮服务经营者(小型餐馆)", "经营项目": "热食类食品制售;冷食类食品制售"},
    }, expect=201)
    assert case["registry_check"]["ok"] is True
    api["clerk"].post(f"/cases/{case['number']}/accept", {})
    decided = api["leader"].post(f"/workflow/cases/{case['number']}/decide", {"approve": True, "note": "符合食品经营许可条件"})
    assert decided["state"] == "approved"

    wallet = api["clerk"].get(f"/licences/wallet?holder={firm_id}")
    [licence] = wallet["licences"]
    identifier = licence["identifier"]
    assert licence["type"] == "食品经营许可证" and licence["status"] == "valid" and licence["case"] == case["number"]
    assert licence["content"] == "热食类食品制售;冷食类食品制售" and firm_id not in json.dumps(wallet)  # masked

    # 2. anyone verifies it by identifier (the QR code's target), with no token
    check = public(api["public"], f"/identifiers/validate?kind=licence&value={identifier}")
    assert check["valid"] is True
    bad = public(api["public"], f"/identifiers/validate?kind=licence&value={identifier[:-1]}{'A' if identifier[-1] != 'A' else 'B'}")
    assert bad["valid"] is False and "校验位" in bad["message"]
    verified = public(api["public"], f"/licences/verify/{identifier}")
    assert verified["genuine"] and verified["valid"] and verified["status_name"] == "有效"
    assert verified["holder"] == "济宁市任城区鲁味轩餐饮店" and verified["holder_id"] != firm_id
    public(api["public"], "/licences/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", expect=404)

    # the worker renders and seals it; the sealed file verifies, a tampered copy does not
    from tongban.licences import services

    services.render_pending()
    from tongban.licences.models import Licence

    pdf = Licence.objects.get(identifier=identifier).file.read()
    status, body = multipart(city["base"], "/licences/verify-pdf", "file", "licence.pdf", pdf)
    assert status == 200 and body["seal_ok"] and body["matches_master"] and body["licence"]["identifier"] == identifier
    status, body = multipart(city["base"], "/licences/verify-pdf", "file", "licence.pdf", pdf + b"\n% edited after sealing\n1 0 obj\n<<>>\nendobj\n")
    assert status == 200 and body["seal_ok"] is False and body["matches_master"] is False

    # 3. the renewal: the clerk asks which materials need not be brought; the applicant consents
    offers = api["clerk"].get(f"/cases/reuse-offers?applicant={firm_id}&item={renewal.implementation_code}")
    [offer] = [o for o in offers if o["source"] == "licence"]
    assert offer["reference"] == identifier and offer["material_name"] == "食品经营许可证"
    guide = api["clerk"].get(f"/items/{renewal.implementation_code}")
    form = [{"material": m["id"], "status": "original_seen"} for m in guide["materials"] if m["id"] != offer["material"]]
    without_consent = {"material": offer["material"], "status": "shared", "source": "licence", "reference": identifier}
    refused = api["clerk"].post("/cases/", {"applicant": applicant, "item": renewal.implementation_code,
                                            "materials": [*form, without_consent]}, expect=400)
    assert refused["code"] == "reuse_consent"
    renewal_case = api["clerk"].post("/cases/", {"applicant": applicant, "item": renewal.implementation_code,
                                                 "materials": [*form, {**without_consent, "consent": True}]}, expect=201)
    [shared] = [m for m in renewal_case["materials"] if m["material"] == offer["material"]]
    assert shared["status"] == "shared" and shared["reference"] == f"licence:{identifier}"
    api["clerk"].post(f"/cases/{renewal_case['number']}/accept", {})

    # the department reads it for that case (consent given at intake): an annotated copy
    read = api["clerk"].post(f"/licences/{identifier}/use", {"case": renewal_case["number"], "reason": "核对原许可证照面信息"})
    assert read["use"]["allowed"] and read["use"]["case"] == renewal_case["number"]
    status, copy, ctype = api["clerk"].call("GET", read["copy_url"].removeprefix("/api/v1"), raw=True)
    assert status == 200 and ctype == "application/pdf" and copy.startswith(b"%PDF")

    # a case without the holder's consent: refused, and the attempt logged
    other = api["clerk"].post("/cases/", {"applicant": applicant, "item": renewal.implementation_code, "materials": form}, expect=201)
    denied = api["clerk"].post(f"/licences/{identifier}/use", {"case": other["number"], "reason": "顺便查看"}, expect=403)
    assert denied["code"] == "licence_no_consent" and "已记录" in denied["message"]
    api["clerk_gz"].post(f"/licences/{identifier}/use", {"case": other["number"], "reason": "查看"}, expect=404)  # out of scope

    # 4. the holder's use log shows every use, the refused one too — at the window and at the holder's own address
    wallet = api["clerk"].get(f"/licences/wallet?holder={firm_id}")
    uses = {(u["case"], u["purpose"], u["allowed"]) for u in wallet["uses"]}
    assert (renewal_case["number"], "reuse", True) in uses and (renewal_case["number"], "read", True) in uses
    assert (other["number"], "read", False) in uses
    assert firm_id not in wallet["wallet_url"]  # the address carries no personal data
    holder_path = wallet["wallet_url"].split("/licences/wallet/", 1)[1].rstrip("/")
    own = public(api["public"], f"/licences/holders/{holder_path}")
    assert {(u["case"], u["purpose"], u["allowed"]) for u in own["uses"]} == uses
    assert all(u["department"] == "济宁市行政审批服务局" for u in own["uses"])
    public(api["public"], f"/licences/holders/{holder_path[:-4]}AAAA", expect=404)

    # the holder consents online for the other case; now the reading is allowed
    consent = public(api["public"], f"/licences/holders/{holder_path}/consents", expect=201, method="POST",
                     body={"identifier": identifier, "case": other["number"], "reason": "办理食品经营许可延续"})
    assert consent["mode"] == "online" and consent["department"] == "济宁市行政审批服务局"
    assert api["clerk"].post(f"/licences/{identifier}/use", {"case": other["number"], "reason": "核对照面信息"})["use"]["mode"] == "online"

    # 5. the issuer revokes it; verification says so at once
    api["clerk"].post(f"/licences/{identifier}/status", {"status": "revoked", "reason": "以欺骗手段取得许可"}, expect=404)
    revoked = api["leader"].post(f"/licences/{identifier}/status", {"status": "revoked", "reason": "以欺骗手段取得许可",
                                                                     "case": case["number"]})
    assert revoked["status"] == "revoked" and revoked["status_name"] == "已撤销"
    verified = public(api["public"], f"/licences/verify/{identifier}")
    assert verified["valid"] is False and verified["status_name"] == "已撤销" and verified["status_reason"] == "以欺骗手段取得许可"
    again = api["leader"].post(f"/licences/{identifier}/status", {"status": "cancelled", "reason": "注销"}, expect=409)
    assert again["code"] == "licence_not_valid"
    # a revoked licence is no longer offered
    offers = api["clerk"].get(f"/cases/reuse-offers?applicant={firm_id}&item={renewal.implementation_code}")
    assert not [o for o in offers if o["source"] == "licence"]
