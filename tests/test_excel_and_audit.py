import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests import factories
from tongban.catalog import excel
from tongban.catalog.models import Item, ItemVersion
from tongban.core.audit import record, verify_chain
from tongban.core.models import AuditEvent

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(wb) -> SimpleUploadedFile:
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("catalogue.xlsx", buf.getvalue(), content_type=XLSX)


def exported(admin):
    return load_workbook(io.BytesIO(excel.export_workbook()))


def add_item_row(wb, template_row: int, *, main_code: str, name: str, **changes):
    ws = wb["事项"]
    header = [c.value for c in ws[1]]
    values = [c.value for c in ws[template_row]]
    row = dict(zip(header, values))
    row.update({"主项编码": main_code, "事项名称": name, "生效日期": None, **changes})
    ws.append([row[h] for h in header])
    wm = wb["材料"]
    wm.append([row["区划代码"], "0001" + main_code + "000", f"{name}申请表", "必要材料", "原件", 1, "纸质或电子", "申请人自备", "", "", ""])


def test_export_then_import_unchanged_changes_nothing(admin, food_item):
    report = excel.import_workbook(admin, workbook_bytes(exported(admin)))
    assert report.ok, report.errors
    assert (report.items_created, report.drafts, report.unchanged) == (0, 0, 1)
    assert food_item.versions.count() == 1


def test_import_creates_new_items_and_new_versions_as_drafts(admin, food_item):
    wb = exported(admin)
    add_item_row(wb, 2, main_code="77001", name="公共场所卫生许可")
    header = [c.value for c in wb["事项"][1]]
    wb["事项"].cell(row=2, column=header.index("承诺时限") + 1).value = 3  # 承诺时限 of 食品经营许可: 5 → 3
    report = excel.import_workbook(admin, workbook_bytes(wb))
    assert report.ok, report.errors
    assert (report.items_created, report.drafts) == (1, 1)
    assert food_item.versions.count() == 2
    draft = ItemVersion.objects.get(item=food_item, number=2)
    assert (draft.status, draft.promised_limit) == ("draft", 3)
    assert food_item.versions.effective().get().promised_limit == 5  # citizens still read the published guide
    new = Item.objects.get(main_code="77001").versions.get()
    assert new.status == "draft" and new.materials.get().name == "公共场所卫生许可申请表"


def test_half_bad_import_writes_nothing_and_reports_each_bad_row(admin, food_item):
    wb = exported(admin)
    add_item_row(wb, 2, main_code="77001", name="公共场所卫生许可")  # row 3: good
    add_item_row(wb, 2, main_code="77002", name="药品零售企业经营许可", 承诺时限=30)  # row 4: promised > legal
    add_item_row(wb, 2, main_code="77003", name="娱乐场所经营活动审批", 实施主体统一社会信用代码="91350100M000100Y44")  # row 5
    add_item_row(wb, 2, main_code="77004", name="营业性演出审批", 收费编码="SF-NOPE")  # row 6: unlisted fee
    add_item_row(wb, 2, main_code="77005", name="出版物零售业务经营许可", 办件类型="加急件")  # row 7
    items_before, versions_before, audit_before = Item.objects.count(), ItemVersion.objects.count(), AuditEvent.objects.count()

    report = excel.import_workbook(admin, workbook_bytes(wb))

    assert not report.ok
    by_row = {(e["sheet"], e["row"]): e for e in report.errors}
    assert set(by_row) == {("事项", 4), ("事项", 5), ("事项", 6), ("事项", 7)}
    assert by_row[("事项", 4)]["column"] == "承诺时限" and "不得超过法定时限" in by_row[("事项", 4)]["message"]
    assert by_row[("事项", 5)]["column"] == "实施主体统一社会信用代码"
    assert "校验位错误" in by_row[("事项", 5)]["message"]
    assert "不在收费清单内" in by_row[("事项", 6)]["message"]
    assert "加急件" in by_row[("事项", 7)]["message"]
    assert (Item.objects.count(), ItemVersion.objects.count(), AuditEvent.objects.count()) == (items_before, versions_before, audit_before)


def test_import_page_shows_row_errors_to_the_catalog_admin(client, admin, food_item):
    wb = exported(admin)
    add_item_row(wb, 2, main_code="77002", name="药品零售企业经营许可", 承诺时限=30)
    admin.set_password("Tongban@2026")
    admin.save()
    client.force_login(admin)
    r = client.post("/catalog/import/", {"file": workbook_bytes(wb)})
    assert r.status_code == 400
    page = r.content.decode()
    assert "未写入任何数据" in page and "不得超过法定时限" in page and "错误工作簿" in page
    export = client.get("/catalog/export.xlsx")
    assert export.status_code == 200 and export["Content-Type"] == XLSX


def test_import_of_a_file_that_is_not_excel_is_refused_in_chinese(admin):
    report = excel.import_workbook(admin, SimpleUploadedFile("x.xlsx", b"MZ\x90\x00 not excel", content_type=XLSX))
    assert not report.ok and "无法读取 Excel 文件" in report.errors[0]["message"]


def test_import_page_is_for_catalog_admins_only(client):
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    client.force_login(clerk)
    assert client.get("/catalog/import/").status_code == 403
    assert client.get("/catalog/export.xlsx").status_code == 403


def test_audit_chain_links_entries_and_detects_tampering(admin, food_item):
    for n in range(3):
        record(admin, "catalog.note", food_item, data={"n": n})
    chain = f"catalog.item:{food_item.pk}"
    entries = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert verify_chain(chain) is None
    AuditEvent.objects.filter(pk=entries[2].pk).update(data={"n": 99})  # altered by hand
    assert verify_chain(chain).pk == entries[2].pk


def test_audit_log_is_read_only_in_admin(admin_client, food_item):
    event = AuditEvent.objects.first()
    assert admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_material_for_an_item_not_in_the_sheet_is_reported_with_its_row(admin, food_item):
    wb = exported(admin)
    wm = wb["材料"]
    wm.append(["370800", "000199999000", "无主材料", "必要材料", "原件", 1, "纸质", "申请人自备", "", "", ""])
    report = excel.import_workbook(admin, workbook_bytes(wb))
    assert report.errors == [{"sheet": "材料", "row": wm.max_row, "column": "基本编码",
                              "message": "材料所属事项 370800/000199999000 不在「事项」表中"}]


def test_verify_audit_names_the_entry_altered_by_hand_in_sql(admin, food_item, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.core.management import CommandError, call_command
    from django.db import connection
    from django.utils import timezone

    from tongban.core.audit import seal_day

    call_command("verify_audit")
    with django_capture_on_commit_callbacks(execute=True):  # the seal is journaled when its transaction commits
        seal_day(timezone.localdate() - dt.timedelta(days=1))
    call_command("verify_audit")
    target = AuditEvent.objects.filter(action="catalog.version_published").get()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET actor_label = %s, action = %s WHERE id = %s", ["某人", "catalog.version_withdrawn", target.pk])
    with pytest.raises(CommandError) as e:
        call_command("verify_audit")
    assert f"第{target.seq}条(id={target.pk}" in str(e.value) and target.chain in str(e.value)
    with django_capture_on_commit_callbacks(execute=True):
        assert seal_day(timezone.localdate() - dt.timedelta(days=2)).prev_hash  # a late seal links to the latest one


def test_an_entry_remembered_from_a_rolled_back_block_does_not_break_the_chain(admin, food_item):
    from django.db import transaction

    record(admin, "catalog.note", food_item, data={"n": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        record(admin, "catalog.note", food_item, data={"n": "rolled back"})  # remembered as the head, then undone
        raise RuntimeError
    record(admin, "catalog.note", food_item, data={"n": 2})
    record(admin, "catalog.note", food_item, data={"n": 3}, new=True)  # a wrong "new chain" hint costs a retry only
    chain = f"catalog.item:{food_item.pk}"
    entries = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    assert [e.data.get("n") for e in entries][-3:] == [1, 2, 3]
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert verify_chain(chain) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_of_one_chain_append_in_turn(needs_postgres, food_item):
    """Twelve connections append to the same chain at once: no entry lost, no fork, one unbroken chain."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, transaction

    start = threading.Barrier(12)

    def write(k):
        try:
            start.wait()
            for n in range(5):
                with transaction.atomic():
                    record(None, "catalog.note", food_item, data={"writer": k, "n": n})
                    record(None, "catalog.note", food_item, data={"writer": k, "n": n, "second": True})
        finally:
            connection.close()

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(write, range(12)))
    chain = f"catalog.item:{food_item.pk}"
    notes = list(AuditEvent.objects.filter(chain=chain, action="catalog.note").order_by("seq"))
    assert len(notes) == 120
    seqs = list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_chain(chain) is None
    for a, b in zip(notes, notes[1:]):  # each transaction's two entries are adjacent
        if not a.data.get("second"):
            assert b.data == {**a.data, "second": True}


def _sealed_two_days(admin):
    """A chain with an entry two days ago and one yesterday, each day sealed: the latest seal is returned."""
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    from tongban.core import audit

    now = timezone.now()
    for ago, label in ((2, "two days ago"), (1, "yesterday")):
        with mock.patch.object(audit.timezone, "now", return_value=now - dt.timedelta(days=ago)):
            record(admin, "test.note", object_type="test.thing", object_id=1, data={"n": label})
        audit.seal_day(timezone.localdate(now - dt.timedelta(days=ago)))
    from tongban.core.models import AuditSeal

    return AuditSeal.objects.order_by("-day").first()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dropping_the_latest_seal_and_its_entries_is_caught_by_the_journal_outside_the_database(admin):
    """Deleting the newest entries of a chain together with the latest seal leaves a consistent database —
    only the journal kept outside it tells."""
    from tongban.core.audit import verify_all

    latest = _sealed_two_days(admin)
    assert verify_all() == []
    AuditEvent.objects.filter(data__n="yesterday").delete()
    latest.delete()
    assert verify_all() == [f"日封 {latest.day} 在库外留存中有记录,数据库中已被删除"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rewritten_latest_seal_fails_its_signature(admin):
    """An entry rewritten and every hash after it recomputed, the latest seal included: the seal's HMAC,
    made with a key the database does not hold, no longer matches."""
    from tongban.core.audit import entry_hash, seal_hash, verify_all

    latest = _sealed_two_days(admin)
    e = AuditEvent.objects.get(data__n="yesterday")
    e.data = {"n": "rewritten"}
    e.hash = entry_hash(chain=e.chain, seq=e.seq, at=e.at, actor_id=e.actor_id, action=e.action, object_type=e.object_type,
                        object_id=e.object_id, data=e.data, prev_hash=e.prev_hash, actor_label=e.actor_label)
    e.save()
    latest.heads[e.chain] = [e.seq, e.hash]
    latest.hash = seal_hash(latest.day, latest.heads, latest.prev_hash)
    latest.save()
    found = verify_all()
    assert f"日封 {latest.day} 签名不符:该日封不是用审计密钥签发的(被改写或伪造)" in found
    assert f"日封 {latest.day} 与库外留存的记录不一致:数据库中的日封被改写" in found


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_seals_without_their_journal_are_reported(admin, settings):
    from tongban.core.audit import verify_all

    _sealed_two_days(admin)
    settings.AUDIT_SEAL_JOURNAL.unlink(missing_ok=True)
    assert any("日封记录文件缺失" in p for p in verify_all())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_torn_journal_line_and_a_seal_missing_from_the_journal_are_reported_not_a_crash(admin, settings):
    from tongban.core.audit import seal_day, verify_all

    latest = _sealed_two_days(admin)
    lines = settings.AUDIT_SEAL_JOURNAL.read_text().splitlines()
    settings.AUDIT_SEAL_JOURNAL.write_text(lines[0] + "\n" + lines[1][:20] + "\n")  # the last append torn by a crash
    found = verify_all()
    assert "日封记录文件第2行无法识别(写入中断或被改动)" in found
    assert any(f"日封 {latest.day} 未见于库外留存" in p for p in found)
    settings.AUDIT_SEAL_JOURNAL.write_text(lines[0] + "\n")
    seal_day(latest.day)  # sealing the day again writes the missing journal line
    assert verify_all() == []
