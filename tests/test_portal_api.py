"""The applicant's side over HTTP, as the mobile app would drive it (bearer tokens, only declared operations and
fields): register (a bad ID number refused with the reason), apply online for the food licence with one
material reused from the licence wallet, receive the one-time notice (page and SMS), correct online, get
accepted, answer the back office's return online, follow the steps, download the decision, rate it 差评 and
read the rectification answer. Another applicant changing ids in the URLs gets 404."""

import base64
import datetime as dt
from urllib.parse import quote

import pytest

from tests.test_journeys_api import Client, review, workdays_after, world  # noqa: F401 - the demo city, pinned clock
from tests import factories
from tongban.cases.models import CaseMaterial, RegistryEntity, RegistryPerson, SmsRecord
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.core.pdf import blank_pdf

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = dt.date
PASSWORD = "Qufu-Kongmiao-2026"
PDF64 = base64.b64encode(blank_pdf()).decode()


class Anonymous(Client):
    def call(self, method, path, body=None, expect=200, raw=False):
        import json
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        if expect is not None:
            assert status == expect, f"{method} {path}: {status} {payload[:400]!r}"
        return json.loads(payload) if payload else None


def issue_licence(type_name: str, *, holder_kind: str, holder_id: str, name: str, address: str, form: dict, issuer,
                  content: str, on: dt.date, valid_until: dt.date) -> str:
    """A licence as the licence library holds it (电子证照 issued before the platform and loaded with its data, as the
    demo loads its licences), for the wallet to offer and list. Returns its identifier."""
    from django.db import transaction

    from tongban.licences import demo as licence_demo
    from tongban.licences import services as licences
    from tongban.licences.models import LicenceType
    from tongban.org.models import User

    licence_demo.load_types()
    licence_type = LicenceType.objects.get(name=type_name)
    face = licences.face_of(licence_type, {"name": name, "id_number": holder_id, "address": address}, form)
    with transaction.atomic():
        licence = licences.create_licence(User.objects.get(username="admin"), licence_type=licence_type, holder_kind=holder_kind,
                                          holder_id=holder_id, holder_name=name, issuer=issuer, face=face, content=content,
                                          on=on, valid_until=valid_until)
    return licence.identifier


def issue_id_card(person_id: str, name: str, address: str, on=D(2016, 5, 9)) -> str:
    """The person's 居民身份证: what the wallet offers for a guide's 身份证件 material. Returns its identifier."""
    from tongban.licences.models import HolderKind
    from tongban.org.models import Department

    police = Department.objects.filter(name__contains="公安").order_by("id").first()
    return issue_licence("居民身份证", holder_kind=HolderKind.PERSON, holder_id=person_id, name=name, address=address,
                         form={"住址": address}, issuer=police, content="居民身份证", on=on,
                         valid_until=on.replace(year=on.year + 20) - dt.timedelta(days=1))


def load_items(names=(), bundles=()):
    """More of the demo catalogue than `world` loads: the named items and bundles (with the bundles' items)."""
    from tongban.catalog import demo as catalog_demo
    from tongban.org.models import User

    data = catalog_demo.read_data()
    chosen = [b for b in data["bundles"] if b["name"] in bundles]
    wanted = set(names) | {name for b in chosen for name in b["items"]}
    catalog_demo.load_catalogue(User.objects.get(username="admin"), {
        **data, "items": [i for i in data["items"] if i["name"] in wanted], "bundles": chosen})


def register(anon, name, id_number, phone):
    RegistryPerson.objects.get_or_create(id_number=id_number, defaults={"name": name})
    anon.post("/my/register", {"id_number": id_number, "name": name, "phone": phone, "password": PASSWORD}, expect=201)
    return Client(anon.base, anon.post("/my/token", {"id_number": id_number, "password": PASSWORD})["token"])


def test_applicant_registers_applies_corrects_follows_and_rates_over_http(world, live_server):  # noqa: F811
    api, today, version = world["api"], world["today"], world["versions"]["食品经营许可"]
    anon = Anonymous(live_server.url + "/api/v1", "")
    me_id = make_id_card("370881", D(1988, 6, 12), 213)
    RegistryPerson.objects.create(id_number=me_id, name="孔令华")

    # a bad ID number is refused with the reason; a name the population register does not know, too
    bad = anon.post("/my/register", {"id_number": me_id[:-1] + ("0" if me_id[-1] != "0" else "1"), "name": "孔令华",
                                      "phone": "13905371234", "password": PASSWORD}, expect=400)
    assert bad["message"] == "身份证号码校验位错误"
    wrong = anon.post("/my/register", {"id_number": me_id, "name": "孔令", "phone": "13905371234", "password": PASSWORD}, expect=400)
    assert "实名核验未通过" in wrong["message"]
    weak = anon.post("/my/register", {"id_number": me_id, "name": "孔令华", "phone": "13905371234", "password": "short"}, expect=400)
    assert weak["field"] == "password"
    me = register(anon, "孔令华", me_id, "13905371234")
    anon.post("/my/token", {"id_number": me_id, "password": "wrong-password-x"}, expect=401)
    account = me.get("/my/account")
    assert account["name"] == "孔令华" and account["id_number"] == me_id[:6] + "********" + me_id[-4:]
    # staff tokens are not applicant accounts
    api["clerk"].get("/my/cases", expect=403)

    # the licence library holds the person's 居民身份证: the guide's 身份证件 material is offered from the wallet
    code = version.item.implementation_code
    guide = me.get(f"/items/{code}")
    materials = guide["materials"]
    id_card = [m for m in materials if "身份证件" in m["name"]][0]
    assert me.get(f"/my/items/{code}/offers") == []
    identifier = issue_id_card(me_id, "孔令华", "山东省曲阜市鼓楼北街12号")
    offers = me.get(f"/my/items/{code}/offers")
    assert [(o["material"], o["source"], o["key"]) for o in offers] == [(id_card["id"], "licence", f"licence:{identifier}")]
    assert "居民身份证" in offers[0]["label"] and offers[0]["valid_until"] == "2036-05-08"

    # a draft first, with the floor plan uploaded into it (a file that is no PDF is refused, another account cannot
    # touch the draft); then the submission from it uploads the rest; one material left out on purpose
    plan = materials[2]
    plan_pdf = factories.pdf_bytes(2)
    draft_body = {"item": code, "form_data": {"经营者名称": "孔令华", "经营场所": "曲阜市鼓楼北街12号"},
                  "reuse": [offers[0]["key"]], "delivery": {"method": "mail", "recipient": "孔令华",
                                                            "address": "曲阜市鼓楼北街12号", "phone": "13905371234"}}
    refused = me.post("/my/drafts", {**draft_body, "materials": [{"material": plan["id"], "file_name": "平面图.pdf",
                                                                  "file_base64": base64.b64encode(b"<html>").decode()}]}, expect=400)
    assert refused["field"] == "file" and "平面图.pdf" in refused["message"]
    assert me.get("/my/drafts") == []
    draft = me.post("/my/drafts", draft_body, expect=201)
    assert draft["files"] == []
    draft = me.call("PUT", f"/my/drafts/{draft['id']}", {**draft_body, "materials": [
        {"material": plan["id"], "file_name": "平面图.pdf", "file_base64": base64.b64encode(plan_pdf).decode()}]})
    assert [(f["material"], f["name"], f["size"]) for f in draft["files"]] == [(plan["id"], "平面图.pdf", len(plan_pdf))]
    [listed] = me.get("/my/drafts")
    assert listed["id"] == draft["id"] and listed["files"] == draft["files"] and listed["form_data"] == draft_body["form_data"]
    me.post("/my/applications", {"item": code, "form_data": {"不存在的字段": "x"}}, expect=400)
    missing = materials[1]  # 营业执照: not in the wallet, left out on purpose
    uploads = [{"material": m["id"], "file_name": f"{m['name'][:10]}.pdf", "file_base64": PDF64} for m in materials
               if m not in (missing, id_card, plan)]
    case = me.post("/my/applications", {
        "item": code, "form_data": draft["form_data"], "materials": uploads, "reuse": draft["reuse"], "draft": draft["id"],
        "delivery": draft["delivery"]}, expect=201)
    number = case["number"]
    assert case["state"] == "received" and case["channel"] == "online" and case["delivery"].startswith("免费邮寄")
    assert me.get("/my/drafts") == []

    # 网上预审 in the clerks' workbench: the reused licence is there as 共享获取, the missing material is named
    staff_view = api["clerk"].get(f"/cases/{number}")
    reused = [m for m in staff_view["materials"] if m["material"] == id_card["id"]][0]
    assert reused["status"] == "shared" and reused["reference"] == f"licence:{identifier}"
    assert number in [c["number"] for c in api["clerk"].get("/cases/?state=received")["cases"]]
    statuses = {m["material"]: m["status"] for m in staff_view["materials"]}
    assert statuses[plan["id"]] == "provided" and missing["id"] not in statuses  # the draft's file came along
    assert CaseMaterial.objects.get(case__number=number, material_id=plan["id"]).file.read() == plan_pdf
    # the licence library logged the use with the holder's online consent
    [use] = api["clerk"].get(f"/licences/wallet?holder={me_id}")["uses"]
    assert (use["identifier"], use["case"], use["purpose"], use["mode"]) == (identifier, number, "reuse", "online")
    api["clerk"].post(f"/cases/{number}/notify-missing", {"items": [{"material": missing["id"], "status": "missing"}]})

    case = me.get(f"/my/cases/{number}")
    assert case["state"] == "correction" and [p["material"] for p in case["pending"]] == [missing["id"]]
    notice = [n for n in case["notices"] if n["kind"] == "missing"][0]
    status, pdf, ctype = me.get(notice["pdf"].removeprefix("/api/v1"), raw=True)
    assert status == 200 and pdf.startswith(b"%PDF") and ctype == "application/pdf"
    assert any("一次性告知" in m["text"] and m["case"] == number for m in me.get("/my/messages"))
    assert SmsRecord.objects.filter(phone="13905371234", text__contains="一次性告知").exists()

    # correction online on the same case; the clerk accepts
    me.post(f"/my/cases/{number}/corrections", {"materials": [{"material": id_card["id"], "file_base64": PDF64}]}, expect=400)
    case = me.post(f"/my/cases/{number}/corrections", {"materials": [{"material": missing["id"], "file_name": "补正.pdf",
                                                                      "file_base64": PDF64}]})
    assert case["state"] == "received" and case["pending"] == []
    accepted = api["clerk"].post(f"/cases/{number}/accept", {})
    assert accepted["state"] == "accepted"

    # the back office returns it (审查退回); the applicant supplies it online and the review resumes
    today["day"] = D(2025, 3, 4)
    step = [s for s in api["reviewer"].get("/workflow/inbox") if s["case"] == number][0]
    step = api["reviewer"].post(f"/workflow/steps/{step['id']}/claim")
    api["reviewer"].post(f"/workflow/steps/{step['id']}/return", {
        "text": "经营场所平面图未标明食品处理区", "materials": [{"material": materials[2]["id"], "status": "defective",
                                                              "reason": "未标明食品处理区"}]})
    case = me.get(f"/my/cases/{number}")
    assert case["state"] == "returned" and case["clock_paused"] is True and case["pending"][0]["material"] == materials[2]["id"]
    assert any(n["text"] == "经营场所平面图未标明食品处理区" for n in case["notices"])
    today["day"] = workdays_after(D(2025, 3, 4), 1)
    case = me.post(f"/my/cases/{number}/corrections", {"materials": [{"material": materials[2]["id"], "file_base64": PDF64}]})
    assert case["state"] == "accepted" and case["clock_paused"] is False

    # follow progress: each step with its department and handler; the public lookup by number + last 6 of the ID
    review(api["reviewer"], number, "材料审查")
    case = me.get(f"/my/cases/{number}")
    assert case["steps"][1]["department"] and case["steps"][1]["state"] == "done" and case["steps"][1]["handler"]
    assert anon.get(f"/my/progress?number={number}&who={me_id[-6:]}")["state"] == "accepted"
    anon.get(f"/my/progress?number={number}&who=123456", expect=404)

    # the result: decided, the sealed decision downloaded, delivered
    api["leader"].post(f"/workflow/cases/{number}/decide", {"approve": True, "note": "经审查,符合法定条件"})
    case = me.get(f"/my/cases/{number}")
    status, pdf, ctype = me.get(case["documents"][0]["pdf"].removeprefix("/api/v1"), raw=True)
    assert status == 200 and pdf.startswith(b"%PDF")
    api["clerk"].post(f"/cases/{number}/register-mail", {"recipient": "孔令华", "address": "曲阜市鼓楼北街12号", "phone": "13905371234",
                                                         "courier": "中国邮政EMS", "tracking_number": "1178234567890"})
    api["clerk"].post(f"/cases/{number}/mail-delivered")
    case = me.get(f"/my/cases/{number}")
    assert case["state"] == "completed"

    # 差评, rectified within 5 working days, the applicant reads the answer
    me.post(f"/my/cases/{number}/rating", {"level": 5, "indicators": {"overall": 5}}, expect=400)  # a reason is required
    rating = me.post(f"/my/cases/{number}/rating", {"level": 5, "indicators": {"overall": 5, "efficiency": 4},
                                                    "comment": "补正要求前后不一致,跑了两趟"}, expect=201)
    assert rating["level_name"] == "非常不满意" and rating["handling_state"] == "verifying"
    me.post(f"/my/cases/{number}/rating", {"level": 1}, expect=409)  # 一事一评, immutable
    handling = [h for h in api["reviewer"].get("/ratings/handlings") if h["case"] == number][0]
    api["clerk_jx"].get(f"/ratings/handlings/{handling['id']}", expect=404)  # another county's window
    handling = api["reviewer"].post(f"/ratings/handlings/{handling['id']}/verify", {
        "outcome": "rectify", "verification": "经核实,材料审查与受理环节的补正口径不一致"})
    assert handling["state"] == "rectifying" and handling["deadline"] == workdays_after(today["day"], 5).isoformat()
    assert me.get(f"/my/cases/{number}")["rating"]["deadline"] == handling["deadline"]
    api["reviewer"].post(f"/ratings/handlings/{handling['id']}/rectified", {
        "answer": "已统一受理与审查的材料口径并在办事指南中注明平面图要求,感谢您的监督。"})
    rating = me.get(f"/my/cases/{number}")["rating"]
    assert rating["handling_state"] == "answered" and "统一受理与审查" in rating["answer"]
    closed = api["supervisor"].post(f"/ratings/handlings/{handling['id']}/return-visit", {"note": "电话回访,申请人表示满意", "satisfied": True})
    assert closed["state"] == "closed"
    published = anon.get("/ratings/publication")
    assert published["total"] == 1 and published["departments"][0]["l5"] == 1

    # another applicant changing the number or ids gets 404, like a missing case
    other = register(anon, "颜世杰", make_id_card("370830", D(1991, 2, 3), 57), "13805372222")
    other.get(f"/my/cases/{number}", expect=404)
    mine = me.post("/my/drafts", draft_body, expect=201)
    other.call("PUT", f"/my/drafts/{mine['id']}", draft_body, expect=404)
    other.call("DELETE", f"/my/drafts/{mine['id']}", expect=404)
    assert [d["id"] for d in me.get("/my/drafts")] == [mine["id"]]
    other.get(notice["pdf"].removeprefix("/api/v1"), expect=404)
    other.post(f"/my/cases/{number}/corrections", {"materials": [{"material": missing["id"], "file_base64": PDF64}]}, expect=404)
    other.post(f"/my/cases/{number}/rating", {"level": 1}, expect=404)
    assert other.get("/my/cases") == []
    other.get(f"/my/progress?number={number}&who={quote('颜世杰')}", expect=404)  # not their case
    assert anon.get(f"/my/progress?number={number}&who={quote('孔令华')}")["state"] == "completed"


def test_legal_representative_binds_enterprise_and_names_operators(world, live_server):  # noqa: F811
    anon = Anonymous(live_server.url + "/api/v1", "")
    boss_id, clerk_id = make_id_card("370811", D(1975, 9, 1), 33), make_id_card("440305", D(1996, 4, 18), 64)
    boss = register(anon, "王立新", boss_id, "13905378888")
    helper = register(anon, "陈嘉怡", clerk_id, "13602581234")
    code = make_uscc("370811", 20250401, authority="9", kind="1")
    RegistryEntity.objects.create(credit_code=code, name="济宁市任城区鲁味轩餐饮店", legal_rep="王立新")
    helper.post("/my/enterprises", {"credit_code": code, "name": "济宁市任城区鲁味轩餐饮店"}, expect=400)  # not the legal rep
    boss.post("/my/enterprises", {"credit_code": code[:-1] + "0", "name": "x"}, expect=400)
    boss.post("/my/enterprises", {"credit_code": code, "name": "济宁市任城区鲁味轩餐饮店"}, expect=201)
    helper.get(f"/my/enterprises/{code}", expect=404)
    page = boss.post(f"/my/enterprises/{code}/operators", {"id_number": clerk_id, "name": "陈嘉怡"}, expect=201)
    operator = [o for o in page["operators"] if o["role"] == "operator"][0]
    assert operator["name"] == "陈嘉怡" and "*" in operator["id_number"]
    assert helper.get(f"/my/enterprises/{code}")["role"] == "operator"
    helper.delete = lambda path, **kw: helper.call("DELETE", path, **kw)
    helper.delete(f"/my/enterprises/{code}/operators/{operator['id']}", expect=404)  # only the legal rep removes
    boss.call("DELETE", f"/my/enterprises/{code}/operators/{operator['id']}")
    helper.get(f"/my/enterprises/{code}", expect=404)


def test_fee_paid_online_through_signed_callback_before_delivery(world, live_server):  # noqa: F811
    """不动产抵押登记 (全程网办, fee SF-001 on the list): the window charges the fee, delivery waits for it, the demo
    gateway's callback is verified (a forged one refused) and idempotent, an e-receipt is issued."""
    import json
    import urllib.request

    from tongban.cases.payments import backend
    from tongban.catalog.models import ItemVersion
    from tongban.org.models import ApiToken

    api = world["api"]
    anon = Anonymous(live_server.url + "/api/v1", "")
    load_items(["不动产抵押登记"])
    version = ItemVersion.objects.effective(D(2025, 3, 3)).filter(name="不动产抵押登记", item__region__code="370800").first()
    leader = factories.grant(factories.UserFactory(username="leader_zrzy"), "bureau_leader", "370800", version.item.department)
    boss = Client(anon.base, ApiToken.issue(leader, "test")[1])
    me_id = make_id_card("370811", D(1984, 11, 5), 118)
    me = register(anon, "曾凡宇", me_id, "13705371111")
    guide = me.get(f"/items/{version.item.implementation_code}")
    case = me.post("/my/applications", {"item": version.item.implementation_code, "materials": [
        {"material": m["id"], "file_base64": PDF64} for m in guide["materials"]], "delivery": {"method": "window"}}, expect=201)
    number = case["number"]
    api["clerk"].post(f"/cases/{number}/accept", {})
    api["clerk"].post(f"/cases/{number}/fees", {"fee_code": "SF-006", "amount_fen": 12000}, expect=400)  # not on this item's list
    charge = api["clerk"].post(f"/cases/{number}/fees", {"fee_code": "SF-001", "amount_fen": 8000}, expect=201)
    assert charge["state"] == "due" and charge["fee_name"] == "不动产登记费"
    boss.post(f"/workflow/cases/{number}/decide", {"approve": True, "note": "符合抵押登记条件"})
    refused = api["clerk"].post(f"/cases/{number}/deliver", {"method": "electronic"}, expect=409)
    assert "缴费" in refused["message"] or "费用" in refused["message"]

    case = me.get(f"/my/cases/{number}")
    order = case["payments"][0]["order_no"]
    assert me.post(f"/my/cases/{number}/payments/{order}/pay")["pay_url"].endswith(f"/pay/demo/{order}/")

    def callback(body: bytes, signature: str, expect: int):
        req = urllib.request.Request(anon.base + "/payments/callback", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Signature": signature})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        assert status == expect, payload
        return json.loads(payload)

    body = json.dumps({"order_no": order, "amount_fen": 8000, "status": "paid", "gateway_ref": "FS20250303000187"}).encode()
    callback(body, "0" * 64, 400)  # forged
    wrong = json.dumps({"order_no": order, "amount_fen": 1, "status": "paid"}).encode()
    callback(wrong, backend().sign(wrong), 400)  # signed but the amount does not match
    assert callback(body, backend().sign(body), 200)["state"] == "paid"
    assert callback(body, backend().sign(body), 200)["state"] == "paid"  # a repeat changes nothing
    paid = me.get(f"/my/cases/{number}")["payments"][0]
    assert paid["state"] == "paid" and paid["method"] == "online" and paid["receipt_no"]
    status, pdf, ctype = me.get(paid["receipt"].removeprefix("/api/v1"), raw=True)
    assert status == 200 and pdf.startswith(b"%PDF")
    assert api["clerk"].post(f"/cases/{number}/deliver", {"method": "electronic"})["state"] == "completed"


def test_applicant_applies_online_for_a_bundle_over_http(world, live_server):  # noqa: F811
    """在线办理一件事 (二手房交易): the bundle's one form and merged material list; the wallet's 居民身份证 satisfies the
    ID material of every item at once; the window receives the bundle's case with a child case per item."""
    from tongban.catalog.models import ItemVersion

    api = world["api"]
    anon = Anonymous(live_server.url + "/api/v1", "")
    load_items(bundles=["二手房交易一件事"])
    me_id = make_id_card("370811", D(1990, 10, 7), 26)
    me = register(anon, "孟繁星", me_id, "13905376666")
    bundle = anon.get("/bundles/YJS-ESF01")
    assert len(bundle["items"]) == 3
    identifier = issue_id_card(me_id, "孟繁星", "山东省济宁市任城区琵琶山路17号")
    offers = me.get("/my/bundles/YJS-ESF01/offers")
    id_rows = [o["material"] for o in offers]
    [id_row] = [m for m in bundle["materials"] if m["id"] in id_rows]
    assert len(id_rows) == 1 and len(id_row["items"]) == 3  # the three items' ID cards, asked once
    assert {o["key"] for o in offers} == {f"licence:{identifier}"}

    uploads = [{"material": m["id"], "file_name": "材料.pdf", "file_base64": PDF64} for m in bundle["materials"]
               if m["id"] not in id_rows and m["role"] != "optional"]
    body = {"bundle": "YJS-ESF01", "form_data": {"不动产坐落": "济宁市任城区琵琶山路17号3单元502室", "成交价格（元）": "860000",
                                                  "联系电话": "13905376666"},
            "materials": uploads, "reuse": [offers[0]["key"]], "delivery": {"method": "window"}}
    # the edges: an item and a bundle at once, a bundle unknown, a field no item of the bundle has, a material of another guide
    me.post("/my/applications", {**body, "item": world["versions"]["食品经营许可"].item.implementation_code}, expect=400)
    me.post("/my/applications", {**body, "bundle": "YJS-XX99"}, expect=404)
    me.post("/my/applications", {**body, "form_data": {"经营场所": "x"}}, expect=400)
    food_material = world["versions"]["食品经营许可"].materials.first().pk
    me.post("/my/applications", {**body, "materials": [{"material": food_material, "file_base64": PDF64}]}, expect=400)
    # a bundle with an item that cannot be applied for online is refused with the reason
    from tongban.catalog.models import Bundle

    versions = ItemVersion.objects.effective().filter(item__in=Bundle.objects.get(code="YJS-ESF01").entries.values("item"))
    assert versions.count() == 3
    first = versions.order_by("id").first()
    depth = first.online_depth
    ItemVersion.objects.filter(pk=first.pk).update(online_depth=2)
    offline = me.post("/my/applications", body, expect=400)
    assert "窗口" in offline["message"]
    ItemVersion.objects.filter(pk=first.pk).update(online_depth=depth)

    case = me.post("/my/applications", body, expect=201)
    number = case["number"]
    assert case["bundle"] == "YJS-ESF01" and case["title"] == "二手房交易一件事" and case["channel"] == "online"
    assert sorted(c["title"] for c in case["items"]) == sorted(i["name"] for i in bundle["items"])
    assert {c["state"] for c in case["items"]} == {"received"} and case["state"] == "received"
    assert [c["number"] for c in me.get("/my/cases")] == [number]  # the bundle's case, its items inside it

    # the window receives it; every child has the ID card as 共享获取 from the same licence
    staff_view = api["clerk"].get(f"/cases/{number}")
    assert staff_view["state"] == "received"
    from tongban.cases.models import Case

    parent = Case.objects.get(number=number)
    shared = CaseMaterial.objects.filter(case__parent=parent, status="shared")
    assert shared.count() == 3 and {m.reference for m in shared} == {f"licence:{identifier}"}
    uses = api["clerk"].get(f"/licences/wallet?holder={me_id}")["uses"]
    assert sorted(u["case"] for u in uses) == sorted(c["number"] for c in case["items"])  # each item's use logged

    # another applicant gets 404 for the bundle's case
    other = register(anon, "颜世杰", make_id_card("370830", D(1991, 2, 3), 57), "13805372222")
    other.get(f"/my/cases/{number}", expect=404)
