"""Demo cases in the 济宁市 hall, at every intake stage, dated over the last weeks so clocks show all lights."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tongban.catalog.models import ItemVersion
from tongban.core.identifiers import make_id_card, make_uscc
from tongban.core.pdf import blank_pdf
from tongban.org.models import User
from tongban.workcal.days import get_calendar
from tongban.workcal.scan import scan_lights

from . import services
from .models import Case, RegistryEntity, RegistryPerson

PDF = blank_pdf()  # uploads must parse as PDF

PEOPLE = [("孔德成", "370881", 1985), ("颜丽华", "370830", 1979), ("孟祥军", "370811", 1990), ("曾凡玲", "370881", 1972),
          ("仲伟", "370830", 1995), ("闵庆芳", "370811", 1983)]
SHOPS = [("济宁市任城区鲁味轩餐饮店", "370811"), ("曲阜市三孔人家饭庄", "370881"), ("汶上县宝相寺便利店", "370830"),
         ("济宁圣源药房连锁有限公司", "370800")]


def working_days_ago(n: int) -> dt.date:
    cal = get_calendar()
    d = timezone.localdate()
    while n > 0:
        d -= dt.timedelta(days=1)
        if cal.day(d).working:
            n -= 1
    return d


def _version(name: str) -> ItemVersion:
    return ItemVersion.objects.effective().filter(name=name, item__region__code="370800").select_related("item").first()


def all_materials(version, skip=()):
    return [{"material": m.pk, "status": "original_seen" if m.form == "original" else "provided",
             "file": SimpleUploadedFile(f"{m.name[:20]}.pdf", PDF)}
            for m in version.materials.all() if m.pk not in skip]


def load_cases() -> int:
    if Case.objects.exists():
        return 0
    clerk = User.objects.get(username="clerk")
    people = [services.register_applicant(clerk, kind="person", id_number=make_id_card(r, dt.date(y, 3 + i, 10 + i), 100 + 2 * i + 1),
                                          name=n, phone=f"1390537{1000 + i:04d}") for i, (n, r, y) in enumerate(PEOPLE)]
    shops = [services.register_applicant(clerk, kind="org", id_number=make_uscc(r, 20260000 + i, authority="9", kind="2"),
                                         name=n, phone=f"0537-223{i:04d}", address=f"{n[:3]}某路{10 + i}号") for i, (n, r) in enumerate(SHOPS)]
    # the demo base registries know every demo applicant (the local stand-in for 人口库 / 法人库)
    RegistryPerson.objects.bulk_create([RegistryPerson(id_number=a.id_number, name=a.name) for a in people], ignore_conflicts=True)
    RegistryEntity.objects.bulk_create([RegistryEntity(credit_code=a.id_number, name=a.name, legal_rep=a.legal_rep) for a in shops],
                                       ignore_conflicts=True)
    food = _version("食品经营许可")
    made = 0
    if food is None:
        return 0
    aux = [m for m in food.materials.all() if m.role == "auxiliary"]
    # accepted 1, 2, 3, 4 and 6 working days ago: green, yellow and red lights on a 3-day promise
    for i, ago in enumerate([1, 2, 3, 4, 6]):
        on = working_days_ago(ago)
        case = services.submit_case(clerk, applicant=shops[i % len(shops)], item=food.item, materials=all_materials(food), on=on)
        services.accept_case(clerk, case, on=on)
        made += 1
    # accepted with a 容缺 material (the back office decides it: workflow's demo), waiting for the material
    if aux:
        on = working_days_ago(5)
        case = services.submit_case(clerk, applicant=shops[1], item=food.item, materials=all_materials(food, skip={aux[0].pk}), on=on)
        case = services.accept_case(clerk, case, gaps=[aux[0].pk], gap_days=3, on=on)
        made += 1
    # one-time notice issued, waiting for the applicant
    main = [m for m in food.materials.all() if m.role == "main"]
    case = services.submit_case(clerk, applicant=people[0], item=food.item, materials=all_materials(food, skip={main[1].pk}), on=working_days_ago(1))
    services.notify_missing(clerk, case, items=[{"material": main[1].pk, "status": "missing"}], on=working_days_ago(1))
    made += 1
    # received today, not yet checked
    services.submit_case(clerk, applicant=people[1], item=food.item, on=timezone.localdate())
    made += 1
    # decided and handed over at the window: completed in one visit (即办件 where there is one)
    quick = ItemVersion.objects.effective().filter(case_kind="immediate", item__region__code="370800").first()
    if quick is not None:
        case = services.submit_case(clerk, applicant=people[2], item=quick.item, materials=all_materials(quick), on=working_days_ago(2))
        services.decide_immediately(clerk, case, approve=True, on=working_days_ago(2))
        made += 1
    # refused: not within this authority's competence
    case = services.submit_case(clerk, applicant=people[3], item=food.item, on=working_days_ago(3))
    services.refuse_case(clerk, case, reason="经营场所位于邹城市,依法不属于本机关管辖,请向邹城市行政审批服务局提出申请", on=working_days_ago(3))
    made += 1
    scan_lights()
    return made
