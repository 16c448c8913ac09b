"""The daily summary behind 电子监察's period figures: on the built dataset every figure read from the summary
equals the figure counted from the cases, under each filter and scope; a lifecycle event refreshes it."""

import datetime as dt
from dataclasses import replace

import pytest
from django.core.management import call_command

from tests import factories
from tests.supervision_data import PERIOD, QUFU, WENSHANG, build
from tests.test_supervision import accepted_case
from tongban.supervision import metrics, summary
from tongban.supervision.models import DailyFigures, SummaryState

pytestmark = pytest.mark.django_db
D = dt.date
F = metrics.Filters(start=PERIOD[0], end=PERIOD[1], today=D(2025, 3, 31))


def supervisor(code, **kw):
    return factories.grant(factories.UserFactory(), "supervisor", code, **kw)


def figures(user, f, source):
    values = metrics.summary(user, f, source=source)
    out = {k: (v.value, v.numerator, v.denominator) for k, v in values.items() if not k.startswith("_")}
    return out, values["_days"]


def test_the_summary_gives_the_figures_the_cases_give(admin):
    data = build(admin)
    from tongban.cases.models import Case
    from tongban.org.models import Hall, Window

    hall = Hall.objects.create(name="曲阜市为民服务中心", region=factories.region(QUFU), address="曲阜市")
    w1, w2 = (Window.objects.create(hall=hall, number=f"A0{n}", name="综合受理", comprehensive=True) for n in (1, 2))
    Case.objects.filter(pk__in=[data["A1"].pk, data["A2"].pk]).update(window=w1)  # A1 on time, A2 late
    Case.objects.filter(pk__in=[data["A7"].pk, data["A6"].pk]).update(window=w2)  # A7 on time (accepted in Feb)
    assert not metrics.use_summary(F)  # not built yet: the cases answer
    call_command("rebuild_supervision_summary", verbosity=0)
    assert SummaryState.objects.get().cases == 8 and metrics.use_summary(F)
    city, qufu = supervisor("370800"), supervisor(QUFU)
    dep_head = supervisor("370800", department=data["A3"].item.department)  # a grant narrowed to one department
    filters = [F, replace(F, region=factories.region(QUFU)), replace(F, channel="online"), replace(F, channel="window"),
               replace(F, item_id=data["A3"].item_id), replace(F, department_id=data["A1"].item.department_id),
               replace(F, start=D(2025, 2, 1), end=D(2025, 2, 28)), replace(F, start=D(2025, 3, 1), end=D(2025, 3, 9)),
               replace(F, start=D(2025, 3, 5), end=D(2025, 3, 16)), replace(F, start=D(2025, 1, 1), end=D(2025, 12, 31))]
    assert [metrics.summary_level(city, f) for f in filters[:6]] == [2, 2, 1, 1, 0, 1]  # every level is checked
    assert metrics.summary_level(dep_head, F) == 1  # the department's rows: the day × region roll-up mixes others in
    for user in (city, qufu, dep_head):
        for f in filters:
            assert figures(user, f, "summary") == figures(user, f, "cases"), (user, f.label())
    # figures the summary cannot hold (open cases, 差评, …) still come from the cases, so the board is the same
    year = replace(F, start=D(2025, 1, 1))
    built = (metrics.trend(city, year), metrics.by_region(city, F, factories.region("370800")), metrics.ranking(city, F, "window"),
             metrics.ranking(city, year, "window"), metrics.ranking(qufu, F, "window"))
    assert [(r["id"], r["accepted"], r["decided"], r["on_time"]) for r in built[2]] == [(w2.pk, 1, 1, 1), (w1.pk, 2, 2, 1)]
    SummaryState.objects.all().delete()
    assert (metrics.trend(city, year), metrics.by_region(city, F, factories.region("370800")), metrics.ranking(city, F, "window"),
            metrics.ranking(city, year, "window"), metrics.ranking(qufu, F, "window")) == built
    # the early-completion case: 03-01…03-09 counts A1 (completed 03-10) as accepted, not as accepted and completed
    assert figures(city, replace(F, end=D(2025, 3, 9)), "summary")[0]["accepted_and_completed"][0] == 0
    # a hall or a window needs the cases' rows: the summary is not used
    assert not metrics.use_summary(replace(F, window_id=1))


def test_the_figures_are_read_from_the_summary(admin):
    build(admin)
    summary.rebuild()
    city = supervisor("370800")
    assert metrics.summary(city, F)["accepted"].value == 6
    DailyFigures.objects.filter(accepted__gt=0).update(accepted=0)
    assert metrics.summary(city, F)["accepted"].value == 0  # the summary answers, not the cases
    assert metrics.summary(city, F, source="cases")["accepted"].value == 6


def test_a_lifecycle_event_refreshes_the_summary(admin, django_capture_on_commit_callbacks):
    build(admin)
    summary.rebuild()
    city = supervisor("370800")
    clerk = factories.grant(factories.UserFactory(), "window_clerk")
    before = {k: v[0] for k, v in figures(city, F, "summary")[0].items()}
    with django_capture_on_commit_callbacks(execute=True):
        case = accepted_case(admin, clerk, WENSHANG, 77, on=D(2025, 3, 18))  # 受理: case_accepted, then the task
    assert DailyFigures.objects.filter(day=D(2025, 3, 18), region=case.region, item=case.item).get().accepted == 1
    after, days = figures(city, F, "summary")
    assert after["accepted"][0] == before["accepted"] + 1
    assert (after, days) == figures(city, F, "cases")
    with django_capture_on_commit_callbacks(execute=True):  # no summary built: nothing is queued
        SummaryState.objects.all().delete()
        accepted_case(admin, clerk, WENSHANG, 78, on=D(2025, 3, 19))
    assert not DailyFigures.objects.filter(day=D(2025, 3, 19)).exists()
