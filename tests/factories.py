"""Realistic objects for tests: real region codes, valid credit codes, real item names."""

import itertools

import factory
from django.contrib.auth.hashers import make_password

from tongban.catalog import services
from tongban.catalog.models import FeeEntry, Item
from tongban.core.identifiers import make_uscc
from tongban.org.models import Department, Region, Role, RoleGrant, User

_serial = itertools.count(1)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"济宁市市场监督管理局第{n}分局")
    function = "market"
    region = factory.LazyFunction(lambda: region("370800"))
    credit_code = factory.LazyAttribute(lambda o: make_uscc(o.region.code, 90000000 + next(_serial)))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    display_name = factory.Iterator(["王建华", "李秀英", "张伟", "刘洋", "陈静"])
    password = factory.LazyFunction(lambda: make_password(None))  # unusable: tests log in with force_login


def grant(user: User, role: str, region_code: str = "370800", department: Department | None = None) -> User:
    RoleGrant.objects.create(user=user, role=role, region=region(region_code), department=department)
    return user


def catalog_admin(region_code: str = "370800", department: Department | None = None) -> User:
    return grant(UserFactory(), Role.CATALOG_ADMIN, region_code, department)


def fee(code="SF-BDC-001") -> FeeEntry:
    return FeeEntry.objects.get_or_create(code=code, defaults={
        "name": "不动产登记费",
        "legal_basis": "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》(发改价格规〔2016〕2559号)",
        "standard": "住宅类不动产登记每件80元",
    })[0]


FOOD_MATERIALS = [
    {"name": "食品经营许可申请书", "role": "main", "form": "original", "copies": 1, "source": "10"},
    {"name": "营业执照", "role": "main", "form": "copy", "copies": 1, "source": "20", "licence_type": "营业执照", "shared_key": "business_licence"},
    {"name": "法定代表人身份证明", "role": "main", "form": "copy", "copies": 1, "source": "20", "licence_type": "居民身份证", "shared_key": "legal_rep_id"},
    {"name": "与食品经营相适应的主要设备设施布局、操作流程等文件", "role": "main", "form": "original", "copies": 1},
    {"name": "食品安全管理制度", "role": "auxiliary", "form": "original", "copies": 1},
]


def food_content(**overrides) -> dict:
    content = {
        "name": "食品经营许可", "aliases": "餐饮服务许可、食品经营许可证", "service_object": "both", "case_kind": "promised",
        # 《食品经营许可和备案管理办法》(2023) art. 23: 10 working days, extendable by 5
        "legal_limit": 10, "promised_limit": 5, "extension_allowed": True, "extension_days": 5,
        "visits": 0, "online_depth": 4, "scope": "city",
        "conditions": "申请人应当具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所。",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条;《食品经营许可和备案管理办法》(国家市场监督管理总局令第78号)",
        "flow": ["申请", "受理", "审查", "决定", "制证送达"],
    }
    content.update(overrides)
    return content


def make_item(actor, *, department: Department | None = None, level: int = 2, main_code=None, publish=True,
              materials=None, fees=(), region_code: str | None = None, **content) -> Item:
    department = department or DepartmentFactory()
    if content.get("name", "食品经营许可") != "食品经营许可":  # the default text belongs to 食品经营许可 only
        content.setdefault("aliases", "")
        content.setdefault("conditions", "")
        content.setdefault("legal_basis", "《中华人民共和国行政许可法》")
        content.setdefault("legal_limit", 20)
        content.setdefault("extension_days", 10)
    item = services.create_item(
        actor, department=department, level=level, type_code=content.pop("type_code", "01"),
        main_code=main_code or f"{next(_serial) % 100000:05d}", region=region(region_code) if region_code else None,
        content=food_content(**content), materials=FOOD_MATERIALS if materials is None else materials, fees=fees,
    )
    if publish:
        services.publish_version(actor, item.versions.get())
    return item


def pdf_bytes(pages: int = 1) -> bytes:
    """A small well-formed PDF: what a scanner exports."""
    from tongban.core.pdf import blank_pdf

    return blank_pdf(pages)


def image_bytes(fmt: str = "PNG", size=(40, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()
