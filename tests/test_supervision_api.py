"""电子监察 through the API, as the provincial supervision platform would read it: bearer token over HTTP, only the
operations and fields the OpenAPI document declares; the figures and their drill-downs on the built dataset."""

import json
import urllib.request

import pytest

from tests import factories
from tests.supervision_data import EXPECTED, QUFU, RATES, build
from tests.test_journeys_api import Client
from tongban.org.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
MARCH = "start=2025-03-01&end=2025-03-31"


@pytest.fixture
def world(live_server):
    cases = build(factories.catalog_admin("370800"))
    city = factories.grant(factories.UserFactory(), "supervisor", "370800")
    clerk = factories.grant(factories.UserFactory(), "window_clerk", QUFU)
    return {"cases": cases, "city": Client(live_server.url + "/api/v1", ApiToken.issue(city, "省电子监察平台")[1]),
            "clerk": Client(live_server.url + "/api/v1", ApiToken.issue(clerk, "窗口")[1]), "url": live_server.url}


def test_the_provincial_platform_reads_every_figure_and_the_cases_behind_it(world):
    with urllib.request.urlopen(world["url"] + "/api/v1/openapi.json") as r:
        spec = json.load(r)
    declared = set(spec["components"]["schemas"]["FigureOut"]["properties"])
    row_fields = set(spec["components"]["schemas"]["CaseRowOut"]["properties"])
    assert "/api/v1/supervision/figures/{key}/cases" in spec["paths"]

    api, cases = world["city"], world["cases"]
    board = api.call("GET", f"/supervision/figures?{MARCH}")
    figures = {f["key"]: f for f in board["figures"]}
    assert all(set(f) <= declared for f in board["figures"])
    for key, (num, den) in RATES.items():
        assert (figures[key]["numerator"], figures[key]["denominator"]) == (num, den)
    for key, expected in EXPECTED.items():
        numbers, after = set(), ""
        while True:
            page = api.call("GET", f"/supervision/figures/{key}/cases?{MARCH}" + (f"&after={after}" if after else ""))
            assert all(set(row) <= row_fields for row in page["cases"])
            numbers |= {row["number"] for row in page["cases"]}
            after = page["next_after"]
            if not after:
                break
        assert numbers == {cases[k].number for k in expected}, key
        if figures[key]["kind"] == "count":
            assert figures[key]["value"] == page["total"] == len(expected), key
    assert figures["avg_days"]["value"] == 5.5 and board["days"]["p90"] == 8
    assert figures["bad_ratings"]["value"] == 4 and figures["rectification_rate"]["value"] == 0.5

    county = api.call("GET", f"/supervision/figures?{MARCH}&region={QUFU}")
    assert {f["key"]: f["value"] for f in county["figures"]}["accepted"] == 4 and "曲阜市" in county["filters"]
    assert api.call("GET", "/supervision/figures?region=110105", expect=404)["code"] == "not_found"
    assert api.call("GET", "/supervision/figures?start=2025-02-30", expect=400)["field"] == "start"
    assert api.call("GET", "/supervision/figures/nope/cases", expect=404)
    assert world["clerk"].call("GET", "/supervision/figures", expect=403)["code"] == "forbidden"
    red = api.call("GET", "/supervision/warnings?light=red")
    assert red["counts"]["red"] == 1 and [c["number"] for c in red["cases"]] == [cases["A4"].number]
    assert all("*" in c["applicant"] for c in red["cases"])
