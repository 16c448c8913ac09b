import pytest
from django.db.models import Count

from tongban.demo.load import load_all
from tongban.catalog.models import Bundle, FeeEntry, Item, ItemVersion, PubStatus
from tongban.catalog.selectors import delegation_report, search_all
from tongban.core.identifiers import validate_uscc
from tongban.org.models import Department, Hall, Region, Role, RoleGrant, Window

pytestmark = pytest.mark.django_db


def test_demo_city_is_realistic_complete_and_loads_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # its notices and decisions are issued after each act commits
        first = load_all()
    assert first["loaded_now"]
    from tongban.supervision import summary
    from tongban.supervision.models import DailyFigures

    # the supervisor's dashboard reads the daily summary from the start (built from the demo's cases)
    assert summary.built() and first["summary_rows"] == DailyFigures.objects.count() > 0
    published = ItemVersion.objects.effective()
    assert published.count() >= 80
    assert published.values("item__department").distinct().count() >= 15
    assert set(published.values_list("item__level", flat=True)) >= {2, 3, 4}  # city, county, town
    assert Bundle.objects.filter(status=PubStatus.PUBLISHED).count() >= 6
    assert Item.objects.filter(delegated_from__isnull=False).count() >= 20
    assert FeeEntry.objects.count() >= 5
    for name in ["食品经营许可", "建设工程规划许可证核发", "民办幼儿园设立", "公共场所卫生许可", "个体工商户设立登记", "户口迁移"]:
        assert published.filter(name=name).exists(), name
    assert published.filter(name__startswith="不动产").exists()
    halls = Hall.objects.annotate(z=Count("zones", distinct=True), w=Count("windows", distinct=True))
    assert halls.count() >= 2 and all(h.z == 12 and h.w > 6 for h in halls)
    assert Window.objects.filter(comprehensive=True).exists()
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)
    for d in Department.objects.all():
        assert validate_uscc(d.credit_code) == d.credit_code
    assert Region.objects.filter(level=4, parent__code="370881").count() >= 10  # 曲阜市's towns and streets

    report = delegation_report(Region.objects.get(code="370800"))
    assert report["total"] > 0 and 0 < report["ratio"] <= 100

    result = search_all("饭店")
    assert "我要开饭店" in [b.name for b in result["bundles"]]
    assert result["items"][0].name == "食品经营许可"

    counts = (Item.objects.count(), ItemVersion.objects.count(), Department.objects.count(), Bundle.objects.count())
    again = load_all()
    assert not again["loaded_now"]
    assert (Item.objects.count(), ItemVersion.objects.count(), Department.objects.count(), Bundle.objects.count()) == counts

    from django.core.management import call_command

    from tongban.cases.models import Case

    assert set(Case.objects.values_list("state", flat=True)) >= {"received", "correction", "accepted", "approved", "completed", "refused"}
    assert {"yellow", "red"} <= set(Case.objects.values_list("light", flat=True))
    call_command("verify_audit")  # raises CommandError if any link is broken

    from tongban.workflow.models import CaseStep, Process

    assert Process.objects.filter(status="published").count() >= 3
    steps = CaseStep.objects.all()
    assert steps.filter(state="ready", light="red").exists() and steps.filter(state="returned").exists()
    assert steps.filter(step__kind="decision", state="ready").exists()

    # 民办幼儿园设立 in 曲阜市: education, fire and health in parallel, a case at every back-office stage
    kg = {c.applicant.name: {s.step.code: s for s in c.steps.select_related("step")}
          for c in Case.objects.filter(item_version__name="民办幼儿园设立", region__code="370881").select_related("applicant")}
    branches = ("review_edu", "review_fire", "review_health")

    def stage(states):
        return [name for name, s in kg.items() if tuple(s[b].state for b in branches) + (s["decide"].state,) == states]

    assert stage(("ready", "ready", "ready", "waiting"))  # just accepted: three queues at once
    assert stage(("claimed", "ready", "ready", "waiting"))
    assert stage(("ready", "done", "ready", "waiting"))
    assert stage(("ready", "ready", "returned", "waiting"))
    assert len(stage(("done", "done", "done", "ready"))) == 2
    decided = stage(("done", "done", "done", "done"))
    assert len(decided) == 1
    returned = Case.objects.get(applicant__name=stage(("ready", "ready", "returned", "waiting"))[0])
    assert returned.clock.state == "paused" and returned.notices.filter(kind="missing").exists()
    assert any(s["review_health"].opinion == "disagree" for name, s in kg.items() if name in stage(("done", "done", "done", "ready")))
    open_lights = {s.light for steps_ in kg.values() for s in steps_.values() if s.state in ("ready", "claimed")}
    assert {"yellow", "red"} <= open_lights  # from back-dated acceptance on the working-day calendar, then the scan
    approved = Case.objects.get(applicant__name=decided[0])
    from tongban.workflow.seal import provider

    assert approved.state == "approved" and provider().verify(approved.documents.get().file.read()).ok
    load_all()
    assert Case.objects.filter(item_version__name="民办幼儿园设立").count() == len(kg)  # loading again adds none

    assert client.get("/").status_code == 200
    for v in published.select_related("item")[:40]:
        assert client.get(f"/guide/{v.item.implementation_code}/").status_code == 200
    for b in Bundle.objects.all():
        assert client.get(f"/bundles/{b.code}/").status_code == 200
