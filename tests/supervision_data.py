"""A small built dataset for 电子监察 with known answers (March 2025, no holiday in the month).

Rows are written directly (not through the services) so every date, clock and visit is exactly what the
figures are checked against; the services that write them in real life are tested elsewhere.

    key  region   channel  accepted  decided  completed visits  clock                      notes
    A1   曲阜市   online   03-03     03-07    03-10     0       limit 5, used 4, on time    a step closed without opinion
    A2   曲阜市   window   03-04     03-14    03-17     2       limit 5, used 8, late       decision document failed
    A3   汶上县   window   03-05     03-12    03-13     1       limit 5 + 2 suspended, used 3, on time; delegated item
    A4   汶上县   online   03-10     —        —         0       running, red
    A5   曲阜市   kiosk    03-20     —        —         1       running, yellow             容缺 due 03-21, not supplied
    A6   曲阜市   window   03-24     —        —         1       paused
    A7   曲阜市   window   02-20     03-03    03-04     1       limit 10, used 7, on time
    A8   朝阳区(北京) window 03-05  —        —         1       running, green             outside 济宁市
    A9   曲阜市   window   (received 03-25, not accepted)

Ratings (好差评): A1 非常不满意 online 03-12, explained (answered); A2 不满意 at the window 03-17, rectifying;
A3 非常满意 online (not a 差评); A5 two 差评 in March, one closed after a return visit, one still verifying; A7 不满意
at the window 02-25 (before the period), and 非常不满意 online 03-06 whose appeal was upheld (answered); A8 差评
in 朝阳区 (outside 济宁市).
"""

import datetime as dt

from django.utils import timezone

from tests import factories
from tongban.cases.models import Applicant, Case, CaseDocument, GapCommitment
from tongban.core.identifiers import make_id_card
from tongban.ratings.models import Handling, Rating
from tongban.workcal.days import get_calendar
from tongban.workcal.index import ensure_index
from tongban.workcal.models import Clock, ClockState
from tongban.workflow.models import CaseStep, Process, Step

D = dt.date
QUFU, WENSHANG, CHAOYANG = "370881", "370830", "110105"
PERIOD = (D(2025, 3, 1), D(2025, 3, 31))


def build(admin) -> dict[str, Case]:
    ensure_index()
    cal = get_calendar()
    qufu_dep = factories.DepartmentFactory(region=factories.region(QUFU), name="曲阜市行政审批服务局")
    wenshang_dep = factories.DepartmentFactory(region=factories.region(WENSHANG), name="汶上县行政审批服务局")
    city_dep = factories.DepartmentFactory(region=factories.region("370800"), name="济宁市行政审批服务局")
    food = factories.make_item(admin, department=qufu_dep, region_code=QUFU, level=3)
    city_item = factories.make_item(admin, department=city_dep, level=2, name="建筑工程施工许可", aliases="施工许可")
    delegated = factories.make_item(admin, department=wenshang_dep, region_code=WENSHANG, level=3, name="建筑工程施工许可", aliases="施工许可")
    delegated.delegated_from = city_item
    delegated.save(update_fields=["delegated_from"])
    beijing_dep = factories.DepartmentFactory(region=factories.region(CHAOYANG), name="北京市朝阳区政务服务管理局")
    beijing = factories.make_item(factories.catalog_admin(CHAOYANG), department=beijing_dep, region_code=CHAOYANG, level=3)

    serial = iter(range(1, 100))

    def case(key, region, item, channel, accepted=None, decided=None, completed=None, visits=0, limit=5,
             suspended=0, state=None, light="", clock_state=None, received=None):
        n = next(serial)
        applicant = Applicant.objects.create(kind="person", id_number=make_id_card(region, D(1985, 4, n % 28 + 1), n),
                                             name=f"申请人{key}", phone="13905371234")
        version = item.versions.get()
        c = Case.objects.create(
            number=f"{region}-20250301-{n:05d}", region=factories.region(region), item=item, item_version=version,
            applicant=applicant, channel=channel, state=state or ("completed" if completed else "accepted" if accepted else "received"),
            received_on=received or accepted, accepted_on=accepted, decided_on=decided, completed_on=completed, visits=visits, light=light)
        if accepted:
            clock = Clock(subject_type="case", subject_id=str(c.pk), start_date=accepted, limit_days=limit, legal_limit_days=20,
                          suspended_days=suspended, state=clock_state or (ClockState.STOPPED if decided else ClockState.RUNNING),
                          stopped_on=decided, deadline=cal.add(accepted, limit + suspended).date, light=light or "green")
            if clock.state == ClockState.PAUSED:
                clock.deadline = None
            clock.save()
            c.clock, c.deadline = clock, clock.deadline
            c.save(update_fields=["clock", "deadline"])
        return c

    cases = {
        "A1": case("A1", QUFU, food, "online", D(2025, 3, 3), D(2025, 3, 7), D(2025, 3, 10), visits=0),
        "A2": case("A2", QUFU, food, "window", D(2025, 3, 4), D(2025, 3, 14), D(2025, 3, 17), visits=2),
        "A3": case("A3", WENSHANG, delegated, "window", D(2025, 3, 5), D(2025, 3, 12), D(2025, 3, 13), visits=1, suspended=2),
        "A4": case("A4", WENSHANG, delegated, "online", D(2025, 3, 10), light="red"),
        "A5": case("A5", QUFU, food, "kiosk", D(2025, 3, 20), visits=1, light="yellow"),
        "A6": case("A6", QUFU, food, "window", D(2025, 3, 24), visits=1, light="green", clock_state=ClockState.PAUSED),
        "A7": case("A7", QUFU, food, "window", D(2025, 2, 20), D(2025, 3, 3), D(2025, 3, 4), visits=1, limit=10),
        "A8": case("A8", CHAOYANG, beijing, "window", D(2025, 3, 5), visits=1, light="green"),
        "A9": case("A9", QUFU, food, "window", received=D(2025, 3, 25)),
    }
    # A1 went through a back-office process whose review step was closed without an opinion (体外循环 risk)
    process = Process.objects.create(item=food, number=1)
    review = Step.objects.create(process=process, code="review", name="审查", kind="review", department=qufu_dep, budget_workdays=3)
    Case.objects.filter(pk=cases["A1"].pk).update(back_office=True)
    CaseStep.objects.create(case=cases["A1"], step=review, department=qufu_dep, state=CaseStep.State.DONE, opinion="", done_on=D(2025, 3, 6))
    # A2's decision document failed to issue; A5's 容缺 materials were due on 03-21 and never came
    CaseDocument.objects.create(case=cases["A2"], kind="approval", state=CaseDocument.State.FAILED, issued_on=D(2025, 3, 14),
                                signed_by=admin, attempts=3, last_error="印章服务不可用")
    GapCommitment.objects.create(case=cases["A5"], days=1, deadline=D(2025, 3, 21), signed_on=D(2025, 3, 20))
    Case.objects.filter(pk=cases["A5"].pk).update(gap_open=True)
    def rate(key, level, day, channel="online", state=None, **handling):
        c = cases[key]
        r = Rating.objects.create(channel=channel, case=c, region=c.region, level=level, comment="等了太久" if level >= 4 else "",
                                  department=c.item.department)
        at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())
        Rating.objects.filter(pk=r.pk).update(at=at)  # ratings are immutable: the day is set as if given then
        if state:
            Handling.objects.create(rating=r, state=state, opened_on=day, **handling)

    H = Handling.State
    rate("A1", 5, D(2025, 3, 12), state=H.ANSWERED, outcome="explain", answer="已解释", answered_on=D(2025, 3, 13))
    rate("A2", 4, D(2025, 3, 17), channel="window", state=H.RECTIFYING, outcome="rectify", deadline=D(2025, 3, 24))
    rate("A3", 1, D(2025, 3, 14))
    rate("A5", 5, D(2025, 3, 20), channel="window", state=H.CLOSED, outcome="immediate", answer="已改正", answered_on=D(2025, 3, 20))
    rate("A5", 4, D(2025, 3, 21), state=H.VERIFYING)
    rate("A7", 4, D(2025, 2, 25), channel="window", state=H.VERIFYING)
    rate("A7", 5, D(2025, 3, 6), state=H.ANSWERED, outcome="appeal", appeal_upheld=True, answer="经复核,该评价不予采信",
         answered_on=D(2025, 3, 10))
    rate("A8", 5, D(2025, 3, 6), channel="window", state=H.VERIFYING)
    for c in cases.values():
        c.refresh_from_db()
    return cases


# The answers, for a supervisor of 济宁市 over March 2025 (today 2025-03-31)
EXPECTED = {
    "accepted": {"A1", "A2", "A3", "A4", "A5", "A6"},
    "completed": {"A1", "A2", "A3", "A7"},
    "accepted_and_completed": {"A1", "A2", "A3"},
    "completion_rate": {"A1", "A2", "A3"},
    "decided": {"A1", "A2", "A3", "A7"},
    "decided_on_time": {"A1", "A3", "A7"},
    "decided_late": {"A2"},
    "on_time_rate": {"A1", "A3", "A7"},
    "online": {"A1", "A4"},
    "online_rate": {"A1", "A4"},
    "full_online": {"A1"},
    "full_online_rate": {"A1"},
    "one_visit": {"A1", "A3", "A7"},
    "one_visit_rate": {"A1", "A3", "A7"},
    "delegated": {"A3", "A4"},
    "delegation_rate": {"A3", "A4"},
    "avg_days": {"A1", "A2", "A3", "A7"},
    "p90_days": {"A1", "A2", "A3", "A7"},
    "open_red": {"A4"},
    "open_yellow": {"A5"},
    "open_green": set(),
    "open_paused": {"A6"},
    "gap_overdue": {"A5"},
    "documents_failed": {"A2"},
    "outside_system": {"A1"},
    "bad_ratings": {"A1", "A2", "A5", "A7"},
    "bad_ratings_rectified": {"A1", "A7"},
    "rectification_rate": {"A1", "A7"},
}
RATES = {"completion_rate": (3, 6), "on_time_rate": (3, 4), "online_rate": (2, 6), "full_online_rate": (1, 4),
         "one_visit_rate": (3, 4), "delegation_rate": (2, 6), "rectification_rate": (2, 4)}
USED_WORKDAYS = {"A1": 4, "A2": 8, "A3": 3, "A7": 7}  # avg 5.5, p90 (nearest rank) 8
