"""Acceptance of issue 11: a county outside Shandong migrates its catalogue of about 1,050 items in a day."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from tests import messy_workbook
from tongban.catalog import excel, services
from tongban.catalog.models import Item, ItemVersion, PubStatus
from tongban.core.models import AuditEvent
from tongban.org.models import Department

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("仁寿县事项清单.xlsx", data, content_type=XLSX)


@pytest.fixture
def messy():
    """240 item rows: every base item, and two rounds of the planted errors (one in every 113 rows). The county's
    whole workbook (1,050 rows) is checked once, in the first test."""
    return messy_workbook.build(240)


@pytest.fixture
def ms_admin():
    return messy_workbook.meishan_admin()


def test_one_upload_reports_every_error_of_every_row_and_writes_nothing(ms_admin):
    messy = messy_workbook.build()
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="all")
    assert not report.ok and not report.written
    assert Item.objects.count() == 0 and Department.objects.filter(region__code="511421").count() == 0
    assert not AuditEvent.objects.filter(action__startswith="catalog.").exists()
    errors = {}
    for e in report.errors:
        errors.setdefault((e["sheet"], e["row"]), []).append(e)
    for key, words in messy.bad.items():
        if key[0] == "材料":
            continue
        sheet, row = key[0], key[1]
        column = key[2] if len(key) == 3 else None
        found = [e for e in errors.get((sheet, row), []) if words in e["message"] and (column is None or e["column"] == column)]
        assert found, (key, words, errors.get((sheet, row)))
    material_errors = [e["message"] for e in report.errors if e["sheet"] == "材料"]
    assert any("不能为「无」" in m for m in material_errors) and any("材料重复" in m or "重复" in m for m in material_errors)
    assert set(report.failed_rows["事项"]) == messy.bad_items  # and no good row was blamed
    # the numeric credit codes of departments in the workbook were recovered: no error on those rows
    assert not [e for e in report.errors if "存成了数字" in e["message"] and e["row"] not in messy.bad_items]
    wb = load_workbook(io.BytesIO(report.error_workbook))
    assert wb["事项"].max_row - 1 == len(messy.bad_items)  # the rows to fix, each with its reasons
    assert wb["事项"].cell(row=1, column=wb["事项"].max_column).value == "错误原因"


def test_valid_rows_import_as_drafts_the_rest_return_in_an_error_workbook_then_fixed(ms_admin, messy):
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    good = messy.items - len(messy.bad_items)
    assert report.written and report.items_created == good
    assert report.departments == {"created": 16, "updated": 0, "unchanged": 0}
    assert ItemVersion.objects.filter(status=PubStatus.DRAFT).count() == good
    assert not ItemVersion.objects.filter(status=PubStatus.PUBLISHED).exists()  # nothing reaches citizens unreviewed
    assert AuditEvent.objects.filter(action="catalog.item_imported").count() == good
    hrss = Department.objects.get(name="仁寿县人力资源和社会保障局")
    assert hrss.credit_code == messy_workbook.credit(1007) and hrss.items.count() > 0  # recovered from the rounded number
    item = Item.objects.get(versions__name="社会保险费补缴")
    assert item.province_basic_code.startswith("511A") and item.source_url.startswith("https://www.sczwfw.gov.cn/")
    assert (item.group_name, item.sub_unit, item.level) == ("社会保险费补缴", "政务服务股", 3)
    v = item.versions.get()
    assert (v.service_object, v.online_depth) in {("org", 3), ("both", 3), ("person", 3), ("org", 4), ("both", 4), ("person", 4), ("org", 2), ("both", 2), ("person", 2)}

    # the error workbook: only the rows not imported (and their materials), each with its reason
    wb = load_workbook(io.BytesIO(report.error_workbook))
    ws = wb["事项"]
    header = [c.value for c in ws[1]]
    assert ws.max_row - 1 == len(messy.bad_items) and header[-1] == "错误原因"
    assert all(ws.cell(row=r, column=len(header)).value for r in range(2, ws.max_row + 1))
    assert wb["部门"].max_row == 2  # the department with the bad credit code
    # the administrator fixes them in the workbook and uploads it again, all or nothing
    fix_error_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    again = excel.import_workbook(ms_admin, upload(buf.getvalue()), mode="all")
    assert again.ok, again.errors[:5]
    assert Item.objects.count() == messy.items


def fix_error_workbook(wb):
    """What the administrator does with the returned rows: the right department, limits, choices, materials."""
    good_code = messy_workbook.credit(1002)
    wd = wb["部门"]
    wd.cell(row=2, column=2).value = messy_workbook.credit(1003)  # the check character corrected
    ws = wb["事项"]
    col = {c.value: i + 1 for i, c in enumerate(ws[1])}
    for r in range(2, ws.max_row + 1):
        cell = lambda name: ws.cell(row=r, column=col[name])  # noqa: E731
        if cell("实施主体统一社会信用代码").value in (messy_workbook.BAD_CREDIT,) or isinstance(cell("实施主体统一社会信用代码").value, float):
            cell("实施主体统一社会信用代码").value = good_code
        cell("区划代码").value = messy_workbook.COUNTY
        cell("承诺时限").value = 5
        cell("办件类型").value = "承诺件"
        cell("服务对象").value = "法人"
        cell("网办深度").value = "三级"
        cell("设定依据").value = cell("设定依据").value or "《中华人民共和国行政许可法》"
        cell("错误原因").value = None
    wm = wb["材料"]
    seen = set()
    for r in range(wm.max_row, 1, -1):
        wm.cell(row=r, column=1).value = messy_workbook.COUNTY
        key = (wm.cell(row=r, column=2).value, wm.cell(row=r, column=3).value)
        if wm.cell(row=r, column=3).value == "无" or key in seen:
            wm.delete_rows(r)
            continue
        seen.add(key)


def test_bulk_publish_with_an_effective_date_refuses_only_the_placeholders(ms_admin, messy, client):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    drafts = list(ItemVersion.objects.filter(status=PubStatus.DRAFT))
    start = timezone.localdate() + dt.timedelta(days=3)
    done, failed = services.publish_drafts(ms_admin, drafts, start)
    placeholders = {v.name for v in drafts if v.legal_basis == "待补充"}
    assert placeholders and {f["name"] for f in failed} == placeholders
    assert all("占位文字" in f["message"] for f in failed)
    assert len(done) == len(drafts) - len(placeholders)
    assert all(v.valid_from == start for v in done)
    assert not ItemVersion.objects.effective().exists()  # not before its date
    assert ItemVersion.objects.effective(start).count() == len(done)


def test_the_drafts_page_publishes_the_selected_drafts(ms_admin, messy, client):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    client.force_login(ms_admin)
    page = client.get("/catalog/drafts/?q=食品经营许可")
    assert page.status_code == 200 and "食品经营许可" in page.content.decode()
    ids = list(ItemVersion.objects.filter(name__startswith="食品经营许可", status=PubStatus.DRAFT).values_list("pk", flat=True))
    r = client.post("/catalog/drafts/", {"version": ids, "valid_from": timezone.localdate().isoformat()})
    assert r.status_code == 200 and f"已发布 {len(ids)} 项" in r.content.decode()
    assert ItemVersion.objects.effective().count() == len(ids)


def test_a_same_day_correction_replaces_the_version_published_today_and_is_audited(ms_admin, messy):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    v1 = ItemVersion.objects.get(name="社会保险费补缴")
    services.publish_version(ms_admin, v1)
    draft = services.new_draft(ms_admin, v1.item)
    ItemVersion.objects.filter(pk=draft.pk).update(promised_limit=3)
    with pytest.raises(Exception) as e:
        services.publish_version(ms_admin, draft)  # a new version may not start on the same day
    assert "更正" in str(e.value)
    v2 = services.publish_version(ms_admin, draft, correction="承诺时限录入错误")
    v1.refresh_from_db()
    assert (v2.valid_from, v2.corrects, v1.valid_to) == (v1.valid_from, v1, v1.valid_from)
    assert v1.item.versions.effective().get() == v2
    event = AuditEvent.objects.get(action="catalog.version_corrected")
    assert event.data["reason"] == "承诺时限录入错误" and event.data["corrects"] == 1


def test_a_correction_the_next_day_is_refused(ms_admin, messy):
    from unittest import mock

    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    v1 = ItemVersion.objects.get(name="社会保险费补缴")
    services.publish_version(ms_admin, v1)
    draft = services.new_draft(ms_admin, v1.item)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow), pytest.raises(Exception) as e:
        services.publish_version(ms_admin, draft, correction="迟到的更正")
    assert "更正仅限发布当日" in str(e.value)


def test_tolerant_labels_and_numbers_stored_as_numbers():
    from tongban.catalog.excel import LOOKUPS, norm

    assert LOOKUPS["online_depth"][norm("三级：在线预审")] == 3
    assert LOOKUPS["service_object"][norm("企业")] == "org"
    assert LOOKUPS["service_object"][norm("自然人，法人")] == "both"
    assert LOOKUPS["role"][norm("辅助材料（可容缺）")] == "auxiliary"
    assert LOOKUPS["form"][norm("原件及复印件")] == "original_and_copy"


def test_the_template_marks_codes_as_text_and_carries_drop_down_lists(client, ms_admin):
    client.force_login(ms_admin)
    r = client.get("/catalog/import/template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["事项"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("实施主体统一社会信用代码") + 1).number_format == "@"
    assert ws.cell(row=2, column=header.index("主项编码") + 1).number_format == "@"
    lists = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    letter = lambda label: ws.cell(row=1, column=header.index(label) + 1).column_letter  # noqa: E731
    assert f"{letter('服务对象')}2" in lists and "可填:自然人 / 法人" in lists[f"{letter('服务对象')}2"].prompt
    assert wb["可选值"].sheet_state == "hidden"


def test_export_round_trip_keeps_the_provincial_codes(ms_admin, messy):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    services.publish_drafts(ms_admin, list(ItemVersion.objects.filter(status=PubStatus.DRAFT).exclude(legal_basis="待补充")))
    wb = load_workbook(io.BytesIO(excel.export_workbook()))
    ws = wb["事项"]
    header = [c.value for c in ws[1]]
    rows = {r[header.index("事项名称")]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    item = Item.objects.get(versions__name="社会保险费补缴")
    row = rows["社会保险费补缴"]
    assert (row["省级基本编码"], row["省级实施编码"], row["来源网址"], row["主事项"], row["实施机构"]) == (
        item.province_basic_code, item.province_implementation_code, item.source_url, item.group_name, item.sub_unit)
    again = excel.import_workbook(ms_admin, upload(_bytes(wb)), mode="all")
    assert again.ok and again.unchanged == len(rows) and again.items_created == again.drafts == 0


def _bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_citizens_find_the_published_items_by_everyday_words(ms_admin, messy, client):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    services.publish_drafts(ms_admin, list(ItemVersion.objects.filter(status=PubStatus.DRAFT)))

    def found(q):
        return [i["name"] for i in client.get("/api/v1/items", {"q": q, "region": "511421"}).json()["items"]]

    assert "社会保险费补缴" in found("社保补缴")
    assert "社会保险费补缴" in found("社会保险补缴")
    assert found("开饭店")[0] == "食品经营许可"  # the alias the province gave
    assert "居民身份证申领" in found("办身份证")
    assert all(n.startswith("企业职工基本养老保险关系转出") for n in found("养老保险转出"))
    assert "居民身份证申领" in found("sfz")
    page = client.get("/search/", {"q": "结婚", "region": "511421"}).content.decode()
    assert "结婚登记" in page and "仁寿县民政局" in page


def test_an_item_outside_its_departments_region_is_refused(ms_admin, messy):
    wb = messy.workbook
    ws = wb["事项"]
    ws.cell(row=2, column=1).value = "511402"  # 东坡区: not 仁寿县, whose department the row names
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="all")
    assert any(e["row"] == 2 and "不能实施东坡区(511402)的事项" in e["message"] for e in report.errors)


def test_the_api_imports_and_publishes_as_an_external_client(client, ms_admin, messy):
    """A bearer-token client: upload (valid rows), list the drafts, publish them; refused drafts named."""
    import base64

    from tongban.org.models import ApiToken

    _, key = ApiToken.issue(ms_admin, "省级平台同步")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    r = client.post("/api/v1/catalog/import", {"file": upload(messy.bytes()), "mode": "valid"}, **auth)
    assert r.status_code == 200, r.content[:500]
    body = r.json()
    assert body["written"] and body["items_created"] == messy.items - len(messy.bad_items) and body["errors"]
    assert load_workbook(io.BytesIO(base64.b64decode(body["error_workbook"])))["事项"].max_row - 1 == len(messy.bad_items)
    drafts = client.get("/api/v1/catalog/drafts", {"q": "社会保险费补缴"}, **auth).json()
    assert {d["name"] for d in drafts} >= {"社会保险费补缴"}
    r = client.post("/api/v1/catalog/drafts/publish", {"versions": body["draft_ids"]}, content_type="application/json", **auth)
    out = r.json()
    assert len(out["published"]) == len(body["draft_ids"]) - len(messy.placeholders)
    assert {f["name"] for f in out["failed"]} == messy.placeholders
    clerk = factories_clerk()
    _, clerk_key = ApiToken.issue(clerk, "窗口")
    r = client.post("/api/v1/catalog/drafts/publish", {"versions": [1]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {clerk_key}")
    assert r.status_code == 403 and "仅事项管理员" in r.json()["message"]


def factories_clerk():
    from tests import factories

    return factories.grant(factories.UserFactory(), "window_clerk", "511421")


def test_a_title_row_above_the_header_and_a_missing_required_column_are_understood(ms_admin, messy):
    ws = messy.workbook["事项"]
    ws.insert_rows(1)
    ws.cell(row=1, column=1).value = "仁寿县政务服务事项实施清单(2026年版)"
    header = [c.value for c in ws[2]]
    ws.delete_cols(header.index("办件类型") + 1)  # a required column missing: named once, and every row says so
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="all")
    sheet_errors = [e for e in report.errors if e["sheet"] == "事项" and e["row"] == 2 and "缺少必填列:办件类型" in e["message"]]
    assert len(sheet_errors) == 1
    assert sum(1 for e in report.errors if e["column"] == "办件类型" and "不能为空" in e["message"]) == messy.items
    assert not any("事项名称" in e["message"] and "不能为空" in e["message"] for e in report.errors)  # the header was found


def test_the_drafts_page_corrects_a_version_published_today(ms_admin, messy, client):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    v1 = ItemVersion.objects.get(name="社会保险费补缴")
    services.publish_version(ms_admin, v1)
    draft = services.new_draft(ms_admin, v1.item)
    client.force_login(ms_admin)
    r = client.post("/catalog/drafts/", {"version": [draft.pk], "as_correction": "1", "correction": ""})
    assert "更正须填写更正原因" in r.content.decode()
    r = client.post("/catalog/drafts/", {"version": [draft.pk], "as_correction": "1", "correction": "承诺时限录入错误"})
    assert "已更正 1 项" in r.content.decode()
    guide = client.get(f"/guide/{v1.item.implementation_code}/").content.decode()
    assert "第2版" in guide and "更正:承诺时限录入错误" in guide


def test_a_row_that_moves_an_existing_item_to_another_department_is_reported_not_a_crash(ms_admin, messy, client):
    excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    ws = messy.workbook["事项"]
    ws.cell(row=2, column=2).value = messy_workbook.credit(1001)  # 食品经营许可 now named under 行政审批局
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    assert any(e["row"] == 2 and "实施主体变更须新建实施事项" in e["message"] for e in report.errors)
    client.force_login(ms_admin)
    r = client.post("/catalog/import/", {"file": upload(messy.bytes()), "mode": "all"})
    assert r.status_code == 400 and "实施主体变更须新建实施事项" in r.content.decode()


def test_a_clash_while_writing_is_reported_and_nothing_is_kept(ms_admin, messy, monkeypatch):
    from django.db import IntegrityError

    def clash(*a, **k):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "import_drafts", clash)
    report = excel.import_workbook(ms_admin, upload(messy.bytes()), mode="valid")
    assert not report.written and any("同时导入" in e["message"] for e in report.errors)
    assert not Department.objects.filter(region__code="511421").exists()  # the departments rolled back with it


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_administrators_importing_the_same_workbook_at_once(needs_postgres):
    """Real concurrent connections: one upload writes, the other is told of the clash; nothing doubled, no 500."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    messy = messy_workbook.build(120)
    data = messy.bytes()
    admins = [messy_workbook.meishan_admin(f"ms_{k}") for k in range(2)]
    start = threading.Barrier(2)

    def run(admin):
        try:
            start.wait()
            return excel.import_workbook(admin, upload(data), mode="valid")
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, admins))
    written = [r for r in reports if r.written]
    assert len(written) >= 1
    assert Item.objects.count() == messy.items - len(messy.bad_items)
    assert Department.objects.filter(region__code="511421").count() == 16
    for r in reports:
        if not r.written:
            assert any("同时导入" in e["message"] or "冲突" in e["message"] for e in r.errors)


def test_a_rounded_credit_code_is_recovered_only_when_one_known_code_rounds_to_it():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tongban.catalog.excel import Context, parse_credit
    from tongban.core.errors import DomainError
    from tongban.core.identifiers import make_uscc

    @settings(max_examples=200, deadline=None)
    @given(st.integers(min_value=0, max_value=10**8 - 1), st.sampled_from(["511421", "370881", "110105"]))
    def check(serial, region):
        code = make_uscc(region, serial)
        if not code.isdigit():
            return
        ctx = Context(actor=None, regions={}, departments={}, fees={})
        ctx.know_digit_code(code)
        for shown in (float(f"{int(code):.14e}"), float(f"{int(code):.15e}")):  # what Excel and openpyxl keep
            assert parse_credit(shown, ctx) == code
        twin = str(int(float(f"{int(code):.14e}")))  # another known code that rounds the same at 15 digits: ambiguous
        if twin == code:
            return
        ctx.know_digit_code(twin)
        with pytest.raises(DomainError):
            parse_credit(float(f"{int(code):.14e}"), ctx)

    check()
