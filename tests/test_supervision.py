"""电子监察 sees the supervisor's regions only: counts, lists and warnings of the cases in the grant's subtree."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tongban.cases import services
from tongban.cases.models import Case
from tongban.core.identifiers import make_uscc
from tongban.supervision import selectors
from tongban.workcal import days
from tongban.workcal.scan import scan_lights

pytestmark = pytest.mark.django_db
D = dt.date
PDF = factories.pdf_bytes()
QUFU, WENSHANG = "370881", "370830"  # 曲阜市, 汶上县


@pytest.fixture(autouse=True)
def fresh_calendar():
    days.invalidate()
    yield
    days.invalidate()


def accepted_case(admin, clerk, county: str, serial: int, on=D(2025, 3, 3)) -> Case:
    department = factories.DepartmentFactory(region=factories.region(county), name=f"{county}行政审批服务局{serial}")
    item = factories.make_item(admin, department=department, region_code=county, level=3)
    shop = services.register_applicant(clerk, kind="org", id_number=make_uscc(county, 40000000 + serial, authority="9", kind="2"),
                                       name=f"鲁味轩餐饮店{serial}", phone="13905371234", address="济宁市")
    given = [{"material": m.pk, "status": "provided", "file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")}
             for m in item.versions.get().materials.all()]
    case = services.submit_case(clerk, applicant=shop, item=item, materials=given, on=on)
    return services.accept_case(clerk, case, on=on)


@pytest.fixture
def two_counties(admin):
    clerk = factories.grant(factories.UserFactory(), "window_clerk")  # the city's clerk takes both counties' cases
    qufu = [accepted_case(admin, clerk, QUFU, n) for n in range(3)]
    wenshang = [accepted_case(admin, clerk, WENSHANG, 10 + n, on=D(2025, 1, 2)) for n in range(2)]  # long overdue
    scan_lights(D(2025, 3, 4))
    return qufu, wenshang


def supervisor(region_code):
    return factories.grant(factories.UserFactory(), "supervisor", region_code)


def test_a_county_supervisor_counts_and_lists_only_the_county_cases(client, two_counties):
    qufu, wenshang = two_counties
    qufu_sup, wenshang_sup, city_sup = supervisor(QUFU), supervisor(WENSHANG), supervisor("370800")
    assert selectors.light_counts(qufu_sup) == {"red": 0, "yellow": 0, "green": 3, "paused": 0}
    assert selectors.light_counts(wenshang_sup) == {"red": 2, "yellow": 0, "green": 0, "paused": 0}
    assert selectors.light_counts(city_sup) == {"red": 2, "yellow": 0, "green": 3, "paused": 0}

    client.force_login(qufu_sup)
    page = client.get("/supervision/").content.decode()
    assert 'id="fig-open_green" href="/supervision/figures/open_green/?' in page
    listed = client.get("/supervision/cases/?light=green").content.decode()
    assert all(c.number in listed for c in qufu) and not any(c.number in listed for c in wenshang)
    red = client.get("/supervision/cases/?light=red").content.decode()
    assert not any(c.number in red for c in wenshang + qufu)

    client.force_login(wenshang_sup)
    red = client.get("/supervision/cases/?light=red").content.decode()
    assert all(f'href="{c.get_absolute_url()}"' in red for c in wenshang)
    dashboard = client.get("/supervision/").content.decode()
    assert not any(c.number in dashboard for c in qufu)
    assert all(c.number in dashboard for c in wenshang)  # their red cards, linked to the cases
    assert client.get(wenshang[0].get_absolute_url()).status_code == 200  # the card's case opens for the supervisor


def test_the_list_behind_a_card_pages_by_keyset_nearest_deadline_first(two_counties):
    qufu, _ = two_counties
    city = supervisor("370800")
    first = selectors.cases_by_light(city, "green", limit=2)
    assert len(first.rows) == 2 and first.next_after
    second = selectors.cases_by_light(city, "green", after=first.next_after, limit=2)
    assert len(second.rows) == 1 and second.next_after is None
    assert {c.pk for c in first.rows + second.rows} == {c.pk for c in qufu}
    assert [c.deadline for c in first.rows + second.rows] == sorted(c.deadline for c in first.rows + second.rows)


def test_paging_links_walk_the_whole_list(client, two_counties, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE", 2)
    client.force_login(supervisor("370800"))
    numbers, pages, url = [], 0, "/supervision/cases/?light=green"
    while url:
        html = client.get(url).content.decode()
        pages += 1
        numbers += re.findall(r'<a class="font-monospace" href="[^"]+">([^<]+)</a>', html)
        nxt = re.search(r'href="\?(light=green&amp;after=[^"]+)" rel="next"', html)
        url = "/supervision/cases/?" + nxt.group(1).replace("&amp;", "&") if nxt else None
    assert pages == 2 and len(numbers) == len(set(numbers)) == 3


def test_only_supervisors_open_the_case_lists(client, two_counties):
    client.force_login(factories.grant(factories.UserFactory(), "window_clerk"))
    assert client.get("/supervision/cases/?light=red").status_code == 403
