"""The item catalogue (政务服务事项清单) and its service guides (办事指南).

An `Item` is the stable identity of one implementation (实施清单 entry: who implements which basic
item where). Its content lives in `ItemVersion` rows: a draft is edited, a published version is
immutable and effective from `valid_from` until the next version's start (`valid_to`).
"""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse

from tongban.core.errors import Conflict
from tongban.org.models import Department, Level, Region, Window, Zone

TYPE_CODE_SYSTEM = "GB/T 39554.1-2020"

# GB/T 39554 exercising-level digit in the implementation code: 1 国家级 … 6 村级 (our Level + 1).
LEVEL_CODE_DIGIT = {Level.PROVINCE: "2", Level.CITY: "3", Level.COUNTY: "4", Level.TOWN: "5", Level.VILLAGE: "6"}


class ItemType(models.TextChoices):
    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ServiceObject(models.TextChoices):
    PERSON = "person", "自然人"
    ORG = "org", "法人"
    BOTH = "both", "自然人、法人"


class CaseKind(models.TextChoices):
    IMMEDIATE = "immediate", "即办件"
    PROMISED = "promised", "承诺件"


class Visits(models.IntegerChoices):
    ZERO = 0, "零跑腿"
    ONE = 1, "最多跑一次"
    MORE = 2, "跑两次及以上"


class OnlineDepth(models.IntegerChoices):
    INFO = 1, "一级:信息公开"
    FORMS = 2, "二级:在线预约、表格下载"
    PRECHECK = 3, "三级:在线预审"
    FULL = 4, "四级:全程网办"


class Scope(models.TextChoices):
    LOCAL = "local", "本级办理"
    CITY = "city", "全市通办"
    PROVINCE = "province", "全省通办"
    NATIONAL = "national", "跨省通办"


class PubStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class FeeEntry(models.Model):
    """An entry of the fee list (收费清单). Nothing outside the list may be charged."""

    code = models.CharField("收费编码", max_length=30, unique=True)
    name = models.CharField("收费项目", max_length=100)
    legal_basis = models.TextField("设定依据")
    standard = models.TextField("收费标准")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, verbose_name="执收部门")
    active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费清单"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Topic(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "个人办事"
        ENTERPRISE = "enterprise", "法人办事"

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("主题", max_length=40)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    order = models.PositiveIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "办事主题"
        ordering = ["kind", "order", "code"]

    def __str__(self):
        return self.name


class Item(models.Model):
    """One implementation of a basic catalogue item by one department in one region."""

    owner_code = models.CharField("目录管理单位码", max_length=2, default="00", help_text="00 国家基本目录;省级目录用省级区划码前两位")
    type_code = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    type_code_system = models.CharField("类型编码体系", max_length=30, default=TYPE_CODE_SYSTEM)
    main_code = models.CharField("主项编码", max_length=5)
    sub_code = models.CharField("子项编码", max_length=3, default="000")
    basic_code = models.CharField("基本编码", max_length=12, db_index=True, editable=False)
    implementation_code = models.CharField("实施编码", max_length=31, unique=True, editable=False)
    level = models.PositiveSmallIntegerField("行使层级", choices=Level.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="items", verbose_name="实施区划")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="items", verbose_name="实施主体")
    delegated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="delegations", verbose_name="下放自(市县同权)"
    )
    province_basic_code = models.CharField("省级基本编码", max_length=40, blank=True, db_index=True, help_text="省级平台的事项基本编码,如 511A0074300009")
    province_implementation_code = models.CharField("省级实施编码", max_length=64, blank=True, db_index=True, help_text="省级平台公布的实施编码,原样保存")
    sub_unit = models.CharField("实施机构", max_length=100, blank=True, help_text="实施主体的内设机构或下属单位,如 行政审批科")
    source_url = models.URLField("来源网址", max_length=500, blank=True, help_text="省级平台上该事项办事指南的网址")
    group_name = models.CharField("主事项", max_length=120, blank=True, help_text="省级平台的主事项名称:同一主事项下的子项归为一组")
    zones = models.ManyToManyField(Zone, blank=True, related_name="items", verbose_name="办理功能区")
    windows = models.ManyToManyField(Window, blank=True, related_name="items", verbose_name="办理窗口")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "事项"
        ordering = ["implementation_code"]
        constraints = [
            models.UniqueConstraint(fields=["basic_code", "region"], name="item_one_implementation_per_region"),
        ]

    def __str__(self):
        version = self.versions.order_by("-number").first()
        return f"{version.name if version else self.basic_code}({self.department})"

    @staticmethod
    def compose_basic_code(owner: str, type_code: str, main: str, sub: str) -> str:
        return f"{owner}{type_code}{main}{sub}"

    @staticmethod
    def compose_implementation_code(credit_code: str, level: int, basic_code: str) -> str:
        return f"{credit_code}{LEVEL_CODE_DIGIT[Level(level)]}{basic_code}"

    def save(self, *args, **kwargs):
        self.basic_code = self.compose_basic_code(self.owner_code, self.type_code, self.main_code, self.sub_code)
        self.implementation_code = self.compose_implementation_code(self.department.credit_code, self.level, self.basic_code)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("portal:guide", args=[self.implementation_code])


def in_force(on: dt.date, prefix: str = "") -> models.Q:
    """Rows whose validity range [valid_from, valid_to) contains `on` (versions, processes, search entries)."""
    return models.Q(**{f"{prefix}valid_from__lte": on}) & (
        models.Q(**{f"{prefix}valid_to__isnull": True}) | models.Q(**{f"{prefix}valid_to__gt": on})
    )


class ItemVersionQuerySet(models.QuerySet):
    def effective(self, on: dt.date | None = None):
        from django.utils import timezone

        return self.filter(in_force(on or timezone.localdate()), status=PubStatus.PUBLISHED)


class ItemVersion(models.Model):
    """The content of a service guide at one version. Immutable once published."""

    CONTENT_FIELDS = [
        "name", "aliases", "service_object", "case_kind", "legal_limit", "promised_limit", "extension_allowed",
        "extension_days", "extension_basis", "uncounted_procedures", "visits", "online_depth", "scope", "informed_commitment", "conditions", "legal_basis",
        "flow", "form_fields", "hours_note", "notes", "licence_type",
    ]

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions", verbose_name="事项")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=10, choices=PubStatus.choices, default=PubStatus.DRAFT)
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True, help_text="由下一版本的生效日期决定")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="发布人")
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by", verbose_name="更正的版本",
        help_text="当日发布后又更正:被更正的版本不再生效,本版本自同一日期起生效",
    )
    correction_reason = models.CharField("更正原因", max_length=300, blank=True)

    name = models.CharField("事项名称", max_length=120)
    aliases = models.CharField("别名/俗称", max_length=300, blank=True, help_text="以逗号或顿号分隔,用于搜索")
    service_object = models.CharField("服务对象", max_length=10, choices=ServiceObject.choices)
    case_kind = models.CharField("办件类型", max_length=10, choices=CaseKind.choices)
    legal_limit = models.PositiveIntegerField("法定办结时限(工作日)")
    promised_limit = models.PositiveIntegerField("承诺办结时限(工作日)")
    extension_allowed = models.BooleanField("可延长审批", default=False)
    extension_days = models.PositiveIntegerField("可延长工作日", default=0)
    extension_basis = models.CharField(
        "延长期限的特别法律依据", max_length=300, blank=True,
        help_text="填写后可延长期限不受行政许可法第四十二条(单独10日、联合15日)的限制",
    )
    uncounted_procedures = models.JSONField(
        "不计入时限的程序", default=list, blank=True, help_text="除听证、检验、检测、鉴定、专家评审等法定情形外,本事项另行规定不计时的程序,如 公示、现场踏勘",
    )
    visits = models.PositiveSmallIntegerField("到现场次数", choices=Visits.choices, default=Visits.ONE)
    online_depth = models.PositiveSmallIntegerField("网上办理深度", choices=OnlineDepth.choices, default=OnlineDepth.PRECHECK)
    scope = models.CharField("通办范围", max_length=10, choices=Scope.choices, default=Scope.LOCAL)
    informed_commitment = models.BooleanField("可告知承诺", default=False)
    licence_type = models.CharField(
        "审批结果证照", max_length=60, blank=True,
        help_text="准予许可时颁发的电子证照类型名称(电子证照库的证照类型,如 食品经营许可证);空:不颁发证照",
    )
    conditions = models.TextField("受理条件", blank=True)
    legal_basis = models.TextField("设定依据")
    flow = models.JSONField("办理流程", default=list, blank=True, help_text="流程环节名称列表")
    form_fields = models.JSONField("申请表字段", default=list, blank=True)
    hours_note = models.CharField("办理时间", max_length=200, blank=True)
    notes = models.TextField("备注", blank=True)
    topics = models.ManyToManyField(Topic, blank=True, related_name="item_versions", verbose_name="办事主题")

    objects = ItemVersionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "事项版本(办事指南)"
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique"),
            models.CheckConstraint(
                condition=models.Q(promised_limit__lte=models.F("legal_limit")), name="promised_not_over_legal",
                violation_error_message="承诺办结时限不得超过法定办结时限",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_from", "valid_to"])]

    def __str__(self):
        return f"{self.name} v{self.number}({self.get_status_display()})"

    @property
    def is_published(self) -> bool:
        return self.status == PubStatus.PUBLISHED

    def alias_list(self) -> list[str]:
        import re

        return [a for a in re.split(r"[,,、;;\s]+", self.aliases or "") if a]

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=PubStatus.PUBLISHED).exists():
            raise Conflict("version_published", "已发布的版本不可修改,请新建草稿版本后编辑")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise Conflict("version_published", "已发布的版本不可删除")
        return super().delete(*args, **kwargs)


class DraftOnlyChild(models.Model):
    """Rows that belong to a version's content: writable only while the version is a draft."""

    class Meta:
        abstract = True

    def _guard(self):
        if ItemVersion.objects.filter(pk=self.version_id, status=PubStatus.PUBLISHED).exists():
            raise Conflict("version_published", "已发布的版本不可修改,请新建草稿版本后编辑")

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)


class Material(DraftOnlyChild):
    class Role(models.TextChoices):
        MAIN = "main", "必要材料"
        AUXILIARY = "auxiliary", "辅助材料(可容缺)"
        OPTIONAL = "optional", "视情形提供"

    class Form(models.TextChoices):
        ORIGINAL = "original", "原件"
        COPY = "copy", "复印件"
        BOTH = "original_and_copy", "原件和复印件"

    class Media(models.TextChoices):
        PAPER = "paper", "纸质"
        ELECTRONIC = "electronic", "电子"
        BOTH = "both", "纸质或电子"

    class Source(models.TextChoices):
        APPLICANT = "10", "申请人自备"
        GOVERNMENT = "20", "政府部门核发"
        OTHER = "99", "其他"

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials", verbose_name="版本")
    order = models.PositiveIntegerField("序号", default=1)
    name = models.CharField("材料名称", max_length=200)
    role = models.CharField("材料类型", max_length=10, choices=Role.choices, default=Role.MAIN)
    form = models.CharField("材料形式", max_length=20, choices=Form.choices, default=Form.ORIGINAL)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    media = models.CharField("载体", max_length=12, choices=Media.choices, default=Media.BOTH)
    source = models.CharField("来源渠道", max_length=2, choices=Source.choices, default=Source.APPLICANT)
    licence_type = models.CharField("可用电子证照", max_length=60, blank=True, help_text="来源为政府部门核发时,满足该材料的证照类型")
    shared_key = models.SlugField("通用材料标识", max_length=40, blank=True, help_text="相同标识的材料在一件事中只需提交一次")
    blank_form = models.FileField("空白表格", upload_to="guides/forms/", blank=True)
    sample = models.FileField("示例样表", upload_to="guides/samples/", blank=True)
    notes = models.CharField("填报须知", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        ordering = ["version", "order", "id"]

    def __str__(self):
        return self.name

    @property
    def merge_key(self) -> str:
        import re

        return self.shared_key or re.sub(r"\s+", "", self.name)


class ItemFee(DraftOnlyChild):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="fees", verbose_name="版本")
    fee_entry = models.ForeignKey(FeeEntry, null=True, blank=True, on_delete=models.PROTECT, verbose_name="收费清单条目")
    name = models.CharField("收费名称", max_length=100, blank=True, help_text="未关联收费清单条目时填写;此类收费将阻止发布")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "收费项目"

    def __str__(self):
        return self.fee_entry.name if self.fee_entry else self.name


class ReviewPoint(DraftOnlyChild):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="review_points", verbose_name="版本")
    order = models.PositiveIntegerField("序号", default=1)
    point = models.TextField("审查要点")
    basis = models.CharField("审查依据", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审查要点"
        ordering = ["version", "order", "id"]

    def __str__(self):
        return self.point[:40]


class Bundle(models.Model):
    """A themed bundle (一件事/一链办理): several items, one merged material list and one form."""

    code = models.CharField("编码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=60)
    description = models.TextField("说明", blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="bundles", verbose_name="区划")
    promised_limit = models.PositiveIntegerField("联办承诺时限(工作日)")
    status = models.CharField("状态", max_length=10, choices=PubStatus.choices, default=PubStatus.DRAFT)
    topics = models.ManyToManyField(Topic, blank=True, related_name="bundles", verbose_name="办事主题")
    items = models.ManyToManyField(Item, through="BundleItem", related_name="bundles", verbose_name="事项")

    class Meta:
        verbose_name = verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portal:bundle", args=[self.code])


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField("顺序", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "一件事所含事项"
        ordering = ["bundle", "order"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_unique")]


class Synonym(models.Model):
    """Search synonyms: a query word also finds documents with its expansions (社保 → 社会保险)."""

    term = models.CharField("检索词", max_length=40, unique=True)
    expansions = models.CharField("同义/扩展词", max_length=300, help_text="以空格分隔")

    class Meta:
        verbose_name = verbose_name_plural = "检索同义词"
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} → {self.expansions}"


class SearchEntry(models.Model):
    """One searchable document (an item version or a bundle) with the filter columns copied onto it,
    so a search is one indexed query. The text index itself is FTS5 on SQLite and a GIN-indexed
    tsvector on PostgreSQL (see search.py)."""

    class Kind(models.TextChoices):
        ITEM = "item", "事项"
        BUNDLE = "bundle", "一件事"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    item_version = models.OneToOneField(ItemVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entry")
    bundle = models.OneToOneField(Bundle, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entry")
    level = models.PositiveSmallIntegerField(null=True)
    department = models.ForeignKey(Department, null=True, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, on_delete=models.CASCADE, related_name="+")
    valid_from = models.DateField(null=True)
    valid_to = models.DateField(null=True)
    title = models.TextField()
    body = models.TextField()
    initials = models.TextField(blank=True)
    vector = SearchVectorField(null=True)  # PostgreSQL only; GIN index added by migration there

    class Meta:
        indexes = [models.Index(fields=["kind", "valid_from", "valid_to"])]
