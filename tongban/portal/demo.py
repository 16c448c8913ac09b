"""Demo applicant accounts: 孔德成 (whose window cases appear in his account), 王立新, legal representative of a
restaurant in 任城区, with 陈嘉怡 (a 深圳-born operator) named as operator. Password: the staff demo password."""

import datetime as dt

from tongban.cases import accounts
from tongban.cases.models import Applicant, RegistryEntity, RegistryPerson
from tongban.core.identifiers import make_id_card, make_uscc

from . import services

PASSWORD = "Tongban@2026"
PEOPLE = [("王立新", make_id_card("370811", dt.date(1975, 9, 1), 33), "13905378888"),
          ("陈嘉怡", make_id_card("440305", dt.date(1996, 4, 18), 64), "13602581234")]
FIRM = ("济宁市任城区鲁味轩餐饮店", make_uscc("370811", 20250401, authority="9", kind="1"), "王立新")


def load_accounts() -> list[tuple]:
    """(login, name, role) of the accounts made now, for printing."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    made = []
    RegistryPerson.objects.bulk_create([RegistryPerson(id_number=i, name=n) for n, i, _ in PEOPLE], ignore_conflicts=True)
    RegistryEntity.objects.get_or_create(credit_code=FIRM[1], defaults={"name": FIRM[0], "legal_rep": FIRM[2]})
    people = list(PEOPLE)
    first = Applicant.objects.filter(kind="person", name="孔德成").first()  # a demo applicant with cases at the window
    if first is not None:
        people.insert(0, (first.name, first.id_number, first.phone or "13905371000"))
    for name, number, phone in people:
        if not User.objects.filter(username=number).exists():
            services.register_person(id_number=number, name=name, phone=phone, password=PASSWORD)
            made.append((number, name, "网上办事账号(申请人,/my/login/)"))
    boss = User.objects.get(username=PEOPLE[0][1])
    if not Applicant.objects.filter(id_number=FIRM[1], accounts__role="legal_rep").exists():
        firm = accounts.bind_enterprise(boss, credit_code=FIRM[1], name=FIRM[0])
        accounts.add_operator(boss, firm, id_number=PEOPLE[1][1], name=PEOPLE[1][0])
    return made
