"""Demo licence library: the licence types the demo items produce or accept (营业执照, 食品经营许可证, …) and a few
licences held by the demo applicants — one 食品经营许可证 expiring within a month, one cancelled — rendered and
sealed so their QR codes open the verification page. `load_types` runs before the demo cases (approvals then
issue licences), `load_licences` after them."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tongban.cases.models import Applicant
from tongban.core.identifiers import make_uscc
from tongban.org.models import Department, User

from . import services
from .models import HolderKind, Licence, LicenceStatus, LicenceType

# (name, defining authority, its credit code, sequence, holder kind, years, number prefix, face fields, content field)
TYPES = [
    ("营业执照", "国家市场监督管理总局", make_uscc("100000", 1371, kind="1"), "001", HolderKind.ORG, None, "",
     [{"name": "名称", "required": True, "max_length": 120}, {"name": "类型", "max_length": 60},
      {"name": "法定代表人", "max_length": 40}, {"name": "注册资本", "max_length": 40}, {"name": "住所", "max_length": 200},
      {"name": "经营范围", "max_length": 500}], "经营范围"),
    ("食品经营许可证", "国家市场监督管理总局", make_uscc("100000", 1371, kind="1"), "011", HolderKind.ORG, 5, "JY",
     [{"name": "经营者名称", "required": True, "max_length": 120}, {"name": "法定代表人", "max_length": 40},
      {"name": "经营场所", "max_length": 200}, {"name": "主体业态", "max_length": 60}, {"name": "经营项目", "max_length": 300}],
     "经营项目"),
    ("药品经营许可证", "国家药品监督管理局", make_uscc("100000", 2261, kind="1"), "003", HolderKind.ORG, 5, "鲁AA",
     [{"name": "企业名称", "required": True, "max_length": 120}, {"name": "法定代表人", "max_length": 40},
      {"name": "注册地址", "max_length": 200}, {"name": "经营范围", "max_length": 300}], "经营范围"),
    ("公共场所卫生许可证", "中华人民共和国国家卫生健康委员会", make_uscc("100000", 3301, kind="1"), "021", HolderKind.ORG, 4, "鲁卫公证字",
     [{"name": "单位名称", "required": True, "max_length": 120}, {"name": "法定代表人", "max_length": 40},
      {"name": "经营场所", "max_length": 200}, {"name": "许可项目", "max_length": 200}], "许可项目"),
    ("居民身份证", "中华人民共和国公安部", make_uscc("100000", 1011, kind="1"), "001", HolderKind.PERSON, 20, "",
     [{"name": "姓名", "required": True, "max_length": 40}, {"name": "住址", "max_length": 200}], ""),
]


def load_types() -> int:
    made = 0
    for name, authority, code, seq, kind, years, prefix, fields, content in TYPES:
        _, created = LicenceType.objects.update_or_create(name=name, defaults={
            "authority_name": authority, "authority_code": code, "sequence": seq, "holder_kind": kind, "validity_years": years,
            "number_prefix": prefix, "face_fields": fields, "content_field": content,
        })
        made += created
    return made


def _issue(admin, type_name: str, applicant: Applicant, issuer: Department, on: dt.date, face: dict, until=None) -> Licence:
    licence_type = LicenceType.objects.get(name=type_name)
    holder = {"name": applicant.name, "legal_rep": applicant.legal_rep, "address": applicant.address, "id_number": applicant.id_number}
    face = services.face_of(licence_type, holder, face)
    content = face.get(licence_type.content_field, "") or type_name
    return services.create_licence(
        admin, licence_type=licence_type, holder_kind=HolderKind.ORG if applicant.kind == "org" else HolderKind.PERSON,
        holder_id=applicant.id_number, holder_name=applicant.name, issuer=issuer, face=face, content=content, on=on,
        valid_until=until,
    )


def load_licences() -> int:
    """Once: the demo shops' licences. Returns how many were made."""
    if Licence.objects.filter(case__isnull=True).exists():
        return 0
    admin = User.objects.get(username="admin")
    bureau = Department.objects.filter(region__code="370800", is_approval_bureau=True).order_by("id").first()
    shops = list(Applicant.objects.filter(kind="org").order_by("id")[:4])
    if bureau is None or not shops:
        return 0
    today = timezone.localdate()
    made = []
    with transaction.atomic():
        for i, shop in enumerate(shops):
            made.append(_issue(admin, "营业执照", shop, bureau, today.replace(year=today.year - 3 + i % 2) - dt.timedelta(days=40 * i), {
                "类型": "有限责任公司(自然人投资或控股)" if "有限公司" in shop.name else "个体工商户",
                "法定代表人": shop.legal_rep or "孔德成", "注册资本": "伍拾万元整" if "有限公司" in shop.name else "",
                "经营范围": "药品零售;医疗器械经营" if "药房" in shop.name else "餐饮服务;食品销售",
            }))
        # 鲁味轩: a 食品经营许可证 issued five years ago, expiring in 25 days (the reminders show in its wallet)
        expiring = today + dt.timedelta(days=25)
        made.append(_issue(admin, "食品经营许可证", shops[0], bureau, expiring.replace(year=expiring.year - 5) + dt.timedelta(days=1), {
            "主体业态": "餐饮服务经营者(小型餐馆)", "经营项目": "热食类食品制售;冷食类食品制售", "经营场所": shops[0].address,
        }, until=expiring))
        made.append(_issue(admin, "食品经营许可证", shops[1], bureau, today - dt.timedelta(days=400), {
            "主体业态": "餐饮服务经营者(中型餐馆)", "经营项目": "热食类食品制售;自制饮品制售",
        }, until=today - dt.timedelta(days=400) + dt.timedelta(days=5 * 365)))
        if len(shops) > 3:
            made.append(_issue(admin, "药品经营许可证", shops[3], bureau, today - dt.timedelta(days=700), {
                "经营范围": "中药饮片、中成药、化学药制剂、抗生素制剂、生化药品、生物制品(除疫苗)",
            }, until=today - dt.timedelta(days=700) + dt.timedelta(days=5 * 365)))
        if len(shops) > 2:
            cancelled = _issue(admin, "公共场所卫生许可证", shops[2], bureau, today - dt.timedelta(days=900), {
                "许可项目": "商场(超市)"}, until=today - dt.timedelta(days=900) + dt.timedelta(days=4 * 365))
            services.change_status(admin, cancelled, status=LicenceStatus.CANCELLED, reason="经营者申请注销(停止经营)",
                                   on=today - dt.timedelta(days=30))
            made.append(cancelled)
    services.send_reminders(today)
    services.render_pending()
    return len(made)
