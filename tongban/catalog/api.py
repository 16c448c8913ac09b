import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tongban.org.auth import STAFF_AUTH
from tongban.core.errors import DomainError, NotAllowed, NotFound
from tongban.org.models import Department, Level

from . import excel, selectors, services
from .models import Bundle, PubStatus

router = Router()

LEVEL_WORDS = {
    "province": 1, "省": 1, "省级": 1, "city": 2, "市": 2, "市级": 2, "county": 3, "县": 3, "县级": 3,
    "town": 4, "乡": 4, "乡级": 4, "village": 5, "村": 5, "村级": 5,
}


def parse_level(value: str | None) -> int | None:
    if not value:
        return None
    v = value.strip().lower()
    if (v.isascii() and v.isdigit()) and int(v) in Level.values:
        return int(v)
    if v in LEVEL_WORDS:
        return LEVEL_WORDS[v]
    raise DomainError("invalid_level", "层级参数无效,可用:province/city/county/town/village 或 1–5", field="level")


def parse_department(value: str | None) -> int | None:
    if not value:
        return None
    v = value.strip()
    if len(v) == 18:  # a credit code (it may be all digits)
        dept = Department.objects.filter(credit_code=v.upper()).first()
    else:
        dept = Department.objects.filter(pk=int(v)).first() if (v.isascii() and v.isdigit()) and len(v) < 18 else None
    if dept is None:
        raise DomainError("invalid_department", "部门参数无效:请使用部门ID或统一社会信用代码", field="department")
    return dept.pk


def parse_region(value: str | None):
    if not value:
        return None
    from tongban.org.models import Region

    region = Region.objects.filter(code=value.strip()).first()
    if region is None:
        raise DomainError("invalid_region", f"区划参数无效:{value[:20]} 不在区划代码表中(6位县级以上代码,乡级9位)", field="region")
    return region


class ItemOut(Schema):
    code: str
    name: str
    region: str
    region_code: str
    type: str
    type_name: str
    department: str
    level: int
    level_name: str
    promised_limit: int
    legal_limit: int
    url: str


class ItemList(Schema):
    count: int
    page: int
    items: list[ItemOut]


class MaterialOut(Schema):
    id: int = Field(..., description="材料编号:办件接口(收件、受理、告知、补正)用它指明材料")
    name: str
    role: str
    role_name: str
    form: str
    copies: int
    media: str
    source: str
    source_name: str
    licence_type: str
    shared_key: str
    notes: str
    blank_form: str | None
    sample: str | None


class FeeOut(Schema):
    code: str
    name: str
    standard: str
    legal_basis: str


class ReviewPointOut(Schema):
    point: str
    basis: str


class GuideOut(Schema):
    code: str
    basic_code: str
    name: str
    aliases: list[str]
    type: str
    type_name: str
    type_code_system: str
    version: int
    valid_from: dt.date
    department: str
    department_credit_code: str
    region: str
    region_code: str
    level: int
    level_name: str
    service_object: str
    case_kind: str
    legal_limit: int
    promised_limit: int
    extension_allowed: bool
    extension_days: int
    visits: int
    online_depth: int
    online_depth_name: str
    scope: str
    informed_commitment: bool
    licence_type: str = Field("", description="准予许可时颁发的电子证照类型(空:不颁发)")
    conditions: str
    legal_basis: str
    flow: list[str]
    form_fields: list[str]
    materials: list[MaterialOut]
    fees: list[FeeOut]
    review_points: list[ReviewPointOut]
    topics: list[str]
    zones: list[str]
    delegated_from: str | None
    sub_unit: str
    province_basic_code: str
    province_implementation_code: str
    source_url: str
    group_name: str
    url: str


class BundleMaterialOut(Schema):
    id: int = Field(..., description="材料编号:一件事收件时用它指明这项合并材料(对所有需要它的事项都算提交)")
    key: str
    name: str
    role: str
    copies: int
    items: list[str]


class BundleOut(Schema):
    code: str
    name: str
    description: str
    promised_limit: int
    items: list[ItemOut] = Field(default_factory=list)
    url: str


class BundleDetail(BundleOut):
    materials: list[BundleMaterialOut]
    materials_separately: int
    form_fields: list[str]


class BundleList(Schema):
    count: int
    bundles: list[BundleOut]


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def item_out(v) -> dict:
    item = v.item
    return {
        "code": item.implementation_code, "name": v.name, "region": item.region.name, "region_code": item.region.code, "type": item.type_code, "type_name": item.get_type_code_display(),
        "department": item.department.name, "level": item.level, "level_name": item.get_level_display(),
        "promised_limit": v.promised_limit, "legal_limit": v.legal_limit, "url": absolute(item.get_absolute_url()),
    }


def guide_out(v) -> dict:
    item = v.item
    file_url = lambda f: absolute(f.url) if f else None  # noqa: E731
    return {
        **item_out(v),
        "basic_code": item.basic_code, "aliases": v.alias_list(), "type_code_system": item.type_code_system,
        "version": v.number, "valid_from": v.valid_from, "department_credit_code": item.department.credit_code,
        "region": item.region.name, "region_code": item.region.code, "service_object": v.service_object,
        "case_kind": v.case_kind, "extension_allowed": v.extension_allowed, "extension_days": v.extension_days,
        "visits": v.visits, "online_depth": v.online_depth, "online_depth_name": v.get_online_depth_display(),
        "scope": v.scope, "informed_commitment": v.informed_commitment, "licence_type": v.licence_type, "conditions": v.conditions,
        "legal_basis": v.legal_basis, "flow": v.flow, "form_fields": v.form_fields,
        "materials": [
            {
                "id": m.pk, "name": m.name, "role": m.role, "role_name": m.get_role_display(), "form": m.form, "copies": m.copies,
                "media": m.media, "source": m.source, "source_name": m.get_source_display(), "licence_type": m.licence_type,
                "shared_key": m.shared_key, "notes": m.notes, "blank_form": file_url(m.blank_form), "sample": file_url(m.sample),
            }
            for m in v.materials.all()
        ],
        "fees": [
            {"code": f.fee_entry.code, "name": f.fee_entry.name, "standard": f.fee_entry.standard, "legal_basis": f.fee_entry.legal_basis}
            for f in v.fees.all() if f.fee_entry
        ],
        "review_points": [{"point": r.point, "basis": r.basis} for r in v.review_points.all()],
        "topics": [t.name for t in v.topics.all()],
        "zones": [str(z) for z in item.zones.all()],
        "delegated_from": item.delegated_from.implementation_code if item.delegated_from else None,
        "sub_unit": item.sub_unit, "province_basic_code": item.province_basic_code,
        "province_implementation_code": item.province_implementation_code, "source_url": item.source_url, "group_name": item.group_name,
    }


@router.get("/items", response=ItemList, summary="事项列表与检索(仅已发布事项)")
def list_items(
    request,
    q: str = Query("", description="检索词,支持中文分词、同义词和拼音首字母"),
    level: str | None = Query(None, description="行使层级:province/city/county/town/village 或 1–5"),
    department: str | None = Query(None, description="实施部门 ID 或统一社会信用代码"),
    region: str | None = Query(None, description="行政区划代码:只列该区划及其下级区划的事项(如 511421 仁寿县)"),
    page: int = Query(1, ge=1, le=10000),
):
    count, versions = selectors.item_page(
        q=q, level=parse_level(level), department_id=parse_department(department), region=parse_region(region), page=page,
    )
    return {"count": count, "page": page, "items": [item_out(v) for v in versions]}


@router.get("/items/{code}", response=GuideOut, summary="办事指南(含申请材料)")
def get_item(request, code: str):
    v = selectors.guide(code)
    if v is None:
        raise NotFound("未找到已发布的事项:" + code[:40])
    return guide_out(v)


def bundle_out(b: Bundle, guide: dict | None = None) -> dict:
    guide = guide or selectors.bundle_guide(b)
    return {
        "code": b.code, "name": b.name, "description": b.description, "promised_limit": b.promised_limit,
        "url": absolute(b.get_absolute_url()), "items": [item_out(v) for _, v in guide["items"] if v],
    }


@router.get("/bundles", response=BundleList, summary="一件事列表")
def list_bundles(request):
    bundles = list(selectors.published_bundles())
    return {"count": len(bundles), "bundles": [bundle_out(b) for b in bundles]}


@router.get("/bundles/{code}", response=BundleDetail, summary="一件事详情(合并后的材料清单)")
def get_bundle(request, code: str):
    b = get_object_or_404(Bundle, code=code, status=PubStatus.PUBLISHED)
    guide = selectors.bundle_guide(b)
    return {
        **bundle_out(b, guide),
        "materials": guide["materials"], "materials_separately": guide["materials_separately"], "form_fields": guide["form_fields"],
    }


@router.get("/catalog/delegation", summary="市县同权下放情况")
def delegation(request, region: str = "370800"):
    from tongban.org.models import Region

    city = Region.objects.filter(code=region, level=Level.CITY).first()
    if city is None:
        raise DomainError("invalid_region", "请提供设区市的行政区划代码", field="region")
    return selectors.delegation_report(city)


# --- catalogue administration: import, drafts, publication (the same services as /catalog/import/ and /catalog/drafts/)


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class ImportErrorOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class ImportOut(Schema):
    written: bool = Field(description="是否写入了数据(全部或不导入方式有错误时为否)")
    departments_created: int
    departments_updated: int
    items_created: int = Field(description="新增事项(草稿)")
    drafts: int = Field(description="已有事项生成或更新的草稿")
    unchanged: int
    draft_ids: list[int]
    errors: list[ImportErrorOut]
    error_workbook: str | None = Field(None, description="错误工作簿(有误的行+错误原因列),base64 编码的 .xlsx")


class DraftOut(Schema):
    id: int
    code: str
    name: str
    version: int
    department: str
    region_code: str


class PublishIn(Schema):
    versions: list[int] = Field(description="草稿版本 ID")
    valid_from: dt.date | None = Field(None, description="生效日期,默认今天")
    correction: str = Field("", description="填写时作为当日更正发布(替代当日发布的版本),内容为更正原因")


class PublishFailure(Schema):
    id: int
    name: str
    message: str


class PublishOut(Schema):
    published: list[int]
    failed: list[PublishFailure]


def _catalog_admin(request):
    from tongban.org.models import Role
    from tongban.org.scopes import has_role

    if not has_role(request.auth, Role.CATALOG_ADMIN):
        raise NotAllowed("仅事项管理员可以导入和发布事项")


@router.post("/catalog/import", response={200: ImportOut, 400: ImportOut, 401: ErrorOut, 403: ErrorOut}, auth=STAFF_AUTH,
             summary="导入事项目录 Excel(部门、事项、材料);事项导入为草稿")
def import_catalogue(request, file: UploadedFile = File(...), mode: str = Form("all", description="all:全部或不导入;valid:导入无误的行")):
    import base64

    _catalog_admin(request)
    if mode not in excel.MODES:
        raise DomainError("invalid_mode", "mode 应为 all(全部或不导入)或 valid(导入无误的行)", field="mode")
    report = excel.import_workbook(request.auth, file, mode=mode)
    body = {
        "written": report.written, "departments_created": report.departments.get("created", 0),
        "departments_updated": report.departments.get("updated", 0), "items_created": report.items_created,
        "drafts": report.drafts, "unchanged": report.unchanged, "draft_ids": report.draft_ids, "errors": report.errors,
        "error_workbook": base64.b64encode(report.error_workbook).decode() if report.error_workbook else None,
    }
    return Status(200 if report.ok or report.written else 400, body)


@router.get("/catalog/drafts", response={200: list[DraftOut], 401: ErrorOut, 403: ErrorOut}, auth=STAFF_AUTH, summary="待审核发布的草稿")
def list_drafts(request, q: str = Query("", description="按名称、部门或实施编码筛选")):
    _catalog_admin(request)
    return [
        {"id": v.pk, "code": v.item.implementation_code, "name": v.name, "version": v.number, "department": v.item.department.name,
         "region_code": v.item.region.code}
        for v in selectors.drafts_for(request.auth, q=q)[:1000]
    ]


@router.post("/catalog/drafts/publish", response={200: PublishOut, 401: ErrorOut, 403: ErrorOut}, auth=STAFF_AUTH,
             summary="批量发布草稿(同一生效日期),或作当日更正")
def publish_drafts(request, data: PublishIn):
    _catalog_admin(request)
    chosen = list(selectors.drafts_for(request.auth).filter(pk__in=data.versions))
    missing = set(data.versions) - {v.pk for v in chosen}
    failed = [{"id": pk, "name": "", "message": "不是您可以发布的草稿"} for pk in sorted(missing)]
    if data.correction.strip():
        done = []
        for v in chosen:
            try:
                done.append(services.publish_version(request.auth, v, correction=data.correction))
            except DomainError as e:
                failed.append({"id": v.pk, "name": v.name, "message": e.message})
    else:
        done, refused = services.publish_drafts(request.auth, chosen, data.valid_from)
        failed += [{"id": f["version"].pk, "name": f["name"], "message": f["message"]} for f in refused]
    return {"published": [v.pk for v in done], "failed": failed}
