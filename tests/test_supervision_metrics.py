"""Every 电子监察 figure on a built dataset with known answers: its number, and its drill-down listing exactly the
cases it counts, for a city supervisor, a county supervisor, and under each filter."""

import datetime as dt
import io
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.supervision_data import EXPECTED, PERIOD, QUFU, RATES, USED_WORKDAYS, WENSHANG, build
from tongban.supervision import metrics, params, selectors

pytestmark = pytest.mark.django_db
F = metrics.Filters(start=PERIOD[0], end=PERIOD[1], today=dt.date(2025, 3, 31))


@pytest.fixture
def data(admin):
    return build(admin)


def supervisor(code):
    return factories.grant(factories.UserFactory(), "supervisor", code)


def keys_of(cases, qs):
    by_pk = {c.pk: k for k, c in cases.items()}
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


def test_every_figure_counts_and_lists_exactly_its_cases(data):
    city = supervisor("370800")
    values = metrics.summary(city, F)
    for key, expected in EXPECTED.items():
        assert keys_of(data, metrics.cases(city, key, F)) == expected, key
        fig = metrics.FIGURES[key]
        if fig.kind == "count":
            assert values[key].value == len(expected) == metrics.count(city, key, F), key
    for key, (num, den) in RATES.items():
        assert (values[key].numerator, values[key].denominator) == (num, den), key
        assert values[key].value == pytest.approx(num / den)
        assert keys_of(data, metrics.cases(city, metrics.FIGURES[key].denominator, F)) == EXPECTED[metrics.FIGURES[key].denominator]
    used = {data_key: c.used_workdays for c in metrics.with_used_workdays(metrics.cases(city, "decided", F))
            for data_key, d in data.items() if d.pk == c.pk}
    assert used == USED_WORKDAYS
    assert values["avg_days"].value == 5.5 and values["p90_days"].value == 8
    assert values["_days"]["legal"] == 20 and values["_days"]["compression"] == pytest.approx(1 - 5.5 / 20, abs=1e-3)
    assert values["rectification_rate"].display == "50.0%"


def test_a_county_supervisor_sees_only_the_county(data):
    qufu = supervisor(QUFU)
    assert keys_of(data, metrics.cases(qufu, "accepted", F)) == {"A1", "A2", "A5", "A6"}
    assert keys_of(data, metrics.cases(qufu, "open_red", F)) == set()
    wenshang = supervisor(WENSHANG)
    assert keys_of(data, metrics.cases(wenshang, "open_red", F)) == {"A4"}
    assert metrics.count(wenshang, "bad_ratings", F) == 0  # A3's rating was 非常满意
    assert metrics.summary(wenshang, F)["delegation_rate"].value == 1.0
    outsider = factories.grant(factories.UserFactory(), "window_clerk", QUFU)
    assert metrics.count(outsider, "accepted", F) == 0


def test_the_filters_narrow_every_figure(data):
    city = supervisor("370800")
    qufu_region = factories.region(QUFU)
    county = replace(F, region=qufu_region)
    assert keys_of(data, metrics.cases(city, "accepted", county)) == {"A1", "A2", "A5", "A6"}
    assert keys_of(data, metrics.cases(city, "decided", county)) == {"A1", "A2", "A7"}
    online = replace(F, channel="online")
    assert keys_of(data, metrics.cases(city, "accepted", online)) == {"A1", "A4"}
    item = replace(F, item_id=data["A3"].item_id)
    assert keys_of(data, metrics.cases(city, "accepted", item)) == {"A3", "A4"}
    dep = replace(F, department_id=data["A1"].item.department_id)
    assert keys_of(data, metrics.cases(city, "completed", dep)) == {"A1", "A2", "A7"}
    feb = replace(F, start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28))
    assert keys_of(data, metrics.cases(city, "accepted", feb)) == {"A7"}
    trend = metrics.trend(city, replace(F, start=dt.date(2025, 2, 1)))
    assert [(r["month"], r["accepted"], r["completed"]) for r in trend] == [(dt.date(2025, 2, 1), 1, 0), (dt.date(2025, 3, 1), 6, 4)]
    regions = {r["region"].code: r for r in metrics.by_region(city, F, factories.region("370800"))}
    assert set(regions) == {QUFU, WENSHANG} and regions[QUFU]["accepted"] == 4 and regions[WENSHANG]["decided"] == 1


def test_filters_from_the_query_string_are_checked(data):
    city, qufu = supervisor("370800"), supervisor(QUFU)
    f = params.parse(city, {"start": "2025-03-01", "end": "2025-03-31", "region": QUFU, "channel": "online"})
    assert f.region.code == QUFU and f.channel == "online"
    from tongban.core.errors import DomainError, NotFound

    with pytest.raises(NotFound):
        params.parse(qufu, {"region": WENSHANG})  # a neighbour's county: out of scope, same answer as nonexistent
    with pytest.raises(NotFound):
        params.parse(city, {"region": "110105"})
    for bad, field in (({"start": "2025-13-01"}, "start"), ({"start": "2025-03-10", "end": "2025-03-01"}, "end"),
                       ({"channel": "fax"}, "channel"), ({"department": "abc"}, "department"), ({"region": "37\x0008"}, "region")):
        with pytest.raises(DomainError) as e:
            params.parse(city, bad)
        assert e.value.field == field


def test_dashboard_numbers_open_their_cases(client, data):
    client.force_login(supervisor("370800"))
    html = client.get("/supervision/?start=2025-03-01&end=2025-03-31").content.decode()
    red = re.search(r'id="fig-decided_late" href="([^"]+)"', html)
    assert red and "fig-red" in html
    listed = client.get(red.group(1).replace("&amp;", "&")).content.decode()
    assert data["A2"].number in listed and not any(data[k].number in listed for k in ("A1", "A3", "A7"))
    for key in ("accepted", "on_time_rate", "avg_days", "outside_system", "documents_failed", "bad_ratings",
                "bad_ratings_rectified", "rectification_rate"):
        page = client.get(f"/supervision/figures/{key}/?start=2025-03-01&end=2025-03-31").content.decode()
        shown = {k for k, c in data.items() if c.number in page}
        assert shown == EXPECTED[key], key
    assert 'id="fig-bad_ratings"' in html and 'id="fig-rectification_rate"' in html
    assert client.get("/supervision/figures/nope/").status_code == 404
    assert "区划不存在或不在督查范围内" in client.get("/supervision/?region=110105").content.decode()


def test_drill_down_pages_by_key(data):
    city = supervisor("370800")
    first = selectors.figure_cases(city, "accepted", F, limit=4)
    second = selectors.figure_cases(city, "accepted", F, after=first.next_after, limit=4)
    assert len(first.rows) == 4 and second.next_after is None
    assert {c.pk for c in first.rows + second.rows} == {data[k].pk for k in EXPECTED["accepted"]}


def test_excel_exports_carry_the_filters_in_the_sheet_titles(client, data):
    client.force_login(supervisor("370800"))
    r = client.get(f"/supervision/export.xlsx?start=2025-03-01&end=2025-03-31&region={QUFU}")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "监察指标 20250301-20250331 曲阜市"
    assert all("20250301-20250331" in name for name in wb.sheetnames)
    rows = {row[0]: row[1] for row in wb["监察指标 20250301-20250331 曲阜市"].iter_rows(min_row=3, values_only=True)}
    assert rows["受理件数"] == "4" and rows["按期办结率"] == "66.7%"
    assert rows["差评件数"] == "4" and rows["差评已整改件数"] == "2" and rows["差评整改率"] == "50.0%"  # 曲阜市: A1, A2, A5, A7
    r = client.get("/supervision/figures/accepted/export.xlsx?start=2025-03-01&end=2025-03-31")
    ws = load_workbook(io.BytesIO(r.content)).active
    numbers = {row[0] for row in ws.iter_rows(min_row=3, values_only=True)}
    assert numbers == {data[k].number for k in EXPECTED["accepted"]}
    assert all("*" in row[2] for row in ws.iter_rows(min_row=3, values_only=True))  # the applicant's id is masked


def test_the_monthly_report_renders(client, data):
    client.force_login(supervisor("370800"))
    r = client.get("/supervision/report.pdf?month=2025-03")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert client.get("/supervision/report.pdf?month=2025-99").status_code == 400


def test_warning_lists_reach_the_department_head_and_the_supervisor(client, data):
    leader = factories.grant(factories.UserFactory(), "bureau_leader", WENSHANG, department=data["A4"].item.department)
    client.force_login(leader)
    html = client.get("/supervision/warnings/?light=red").content.decode()
    assert data["A4"].number in html
    client.force_login(supervisor(QUFU))
    assert data["A4"].number not in client.get("/supervision/warnings/?light=red").content.decode()
    assert data["A5"].number in client.get("/supervision/warnings/?light=yellow").content.decode()
    client.force_login(factories.grant(factories.UserFactory(), "window_clerk", QUFU))
    assert client.get("/supervision/warnings/").status_code == 403
