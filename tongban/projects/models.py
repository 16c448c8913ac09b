"""Investment projects (投资项目): one code for life, four stages of parallel approvals, pre-approvals, the
forecast of completion, and the 0+N agency service (帮代办) that carries a major project through them."""

import secrets

from django.conf import settings
from django.db import models

from tongban.catalog.models import Item
from tongban.org.models import Department, Level, Region


class Stage(models.IntegerChoices):
    LAND = 1, "立项用地规划许可"
    ENGINEERING = 2, "工程建设许可"
    CONSTRUCTION = 3, "施工许可"
    ACCEPTANCE = 4, "竣工验收"


class ProjectKind(models.TextChoices):
    INDUSTRIAL = "industrial", "工业"
    WAREHOUSE = "warehouse", "仓储"
    RESIDENTIAL = "residential", "居住"
    COMMERCIAL = "commercial", "商业"
    MUNICIPAL = "municipal", "市政"
    EDUCATION = "education", "教育"
    MEDICAL = "medical", "医疗"
    RENEWAL = "renewal", "城镇老旧小区改造/城市更新"


class StageItem(models.Model):
    """Which catalogue item a stage needs (the stage's merged form covers them all): data, kept in the admin."""

    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name="事项")
    order = models.PositiveSmallIntegerField("排序", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "阶段事项"
        ordering = ["stage", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["stage", "item"], name="stage_item_unique")]

    def __str__(self):
        return f"{self.get_stage_display()} · {self.item}"


class Project(models.Model):
    code = models.CharField("投资项目代码", max_length=24, unique=True)
    name = models.CharField("项目名称", max_length=120)
    owner = models.ForeignKey("cases.Applicant", on_delete=models.PROTECT, related_name="+", verbose_name="项目单位")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="建设地点区划")
    site = models.CharField("建设地点", max_length=200)
    kind = models.CharField("项目类别", max_length=20, choices=ProjectKind.choices)
    investment = models.DecimalField("总投资(万元)", max_digits=12, decimal_places=2)
    land_area = models.DecimalField("用地面积(平方米)", max_digits=12, decimal_places=2)
    floor_area = models.DecimalField("总建筑面积(平方米)", max_digits=12, decimal_places=2)
    major = models.BooleanField("重大重点项目", default=False)
    stage = models.PositiveSmallIntegerField("当前阶段", choices=Stage.choices, default=Stage.LAND)
    completed_on = models.DateField("全部阶段完成日", null=True, blank=True)
    forecast_end = models.DateField("预计全部办结日", null=True, blank=True, db_index=True)
    forecast_on = models.DateField("预测计算日", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_on = models.DateField("登记日")

    class Meta:
        verbose_name = verbose_name_plural = "投资项目"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.name}({self.code})"


class StageRun(models.Model):
    """A stage applied for: one merged form, one case per item; done when every case is decided."""

    class State(models.TextChoices):
        OPEN = "open", "审批中"
        DONE = "done", "已完成"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_runs")
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    applied_on = models.DateField("申报日")
    completed_on = models.DateField("完成日", null=True, blank=True)
    form_data = models.JSONField("一张表单", default=dict, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "阶段申报"
        ordering = ["project", "stage"]
        constraints = [models.UniqueConstraint(fields=["project", "stage"], name="stage_run_unique")]


class ProjectCase(models.Model):
    """The link of a case to its project and stage: the case carries the project code without cases knowing."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="links")
    run = models.ForeignKey(StageRun, on_delete=models.CASCADE, related_name="links")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="project_link")
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)

    class Meta:
        verbose_name = verbose_name_plural = "项目办件"


class PreApproval(models.Model):
    """预审批: a case reviewed and approved while a prerequisite case is still open; its approval stands as a
    pre-approval document until the prerequisite is approved, then becomes the formal approval (换发正式文件).
    An issued pre-approval is accepted as the prerequisite of the next stage's pre-approval (`basis`)."""

    class State(models.TextChoices):
        REVIEWING = "reviewing", "预审批审查中"
        ISSUED = "issued", "已出具预审批文件"
        FORMAL = "formal", "已转为正式审批"
        VOID = "void", "预审批失效"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pre_approvals")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="pre_approval")
    prerequisite = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name="前置办件")
    basis = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next",
                              verbose_name="作为申报材料的上一环节预审批")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.REVIEWING, db_index=True)
    missing = models.CharField("缺失条件", max_length=200)
    issued_on = models.DateField("预审批文件出具日", null=True, blank=True)
    formal_on = models.DateField("转为正式审批日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "预审批"


class ForecastPoint(models.Model):
    """Each recomputation of the forecast that moved it: when, to what, and why (the case event)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="forecast_points")
    on = models.DateField("计算日")
    end = models.DateField("预计办结日")
    cause = models.CharField("原因", max_length=120)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预测变动"
        ordering = ["at", "id"]


# ---- the 0+N agency service (帮代办) ----

class AgencyOffice(models.Model):
    """A 帮代办机构 of one level (city, county or town), usually in the government service centre."""

    name = models.CharField("机构名称", max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划")
    phone = models.CharField("服务电话", max_length=30, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "帮代办机构"
        ordering = ["region__code"]

    def __str__(self):
        return self.name

    @property
    def level_name(self) -> str:
        return Level(self.region.level).label


class Liaison(models.Model):
    """首席联络员 of an office (3–5 per county), or 首席帮代办联系人 of one item or one project kind."""

    class Kind(models.TextChoices):
        CHIEF_LIAISON = "chief_liaison", "首席联络员"
        CHIEF_CONTACT = "chief_contact", "首席帮代办联系人"

    office = models.ForeignKey(AgencyOffice, on_delete=models.CASCADE, related_name="liaisons")
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="人员")
    phone = models.CharField("联系电话", max_length=30, blank=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="负责事项")
    project_kind = models.CharField("负责项目类别", max_length=20, choices=ProjectKind.choices, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "帮代办联络员"


class TeamRole(models.TextChoices):
    MANAGER = "manager", "总体工作管理员"
    GUIDE = "guide", "审批流程指导员"
    AGENT = "agent", "帮代办服务员"
    POLICY = "policy", "审批政策宣讲员"
    SUPERVISOR = "supervisor", "工作督导员"


class AgencyRequest(models.Model):
    """An enterprise's request for 0+N agency on a major project, from the request to the last node."""

    class State(models.TextChoices):
        REQUESTED = "requested", "已申请"
        AGREED = "agreed", "已签订协议"
        ROADMAP = "roadmap", "已联审,按路线图办理"
        CLOSED = "closed", "帮代办完成"

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="agency")
    office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="requests", verbose_name="首接帮代办机构")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.REQUESTED, db_index=True)
    contact_name = models.CharField("企业联系人", max_length=40)
    contact_phone = models.CharField("联系电话", max_length=20)
    note = models.CharField("帮代办需求", max_length=500, blank=True)
    requested_on = models.DateField("申请日")
    token = models.CharField(max_length=43, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "帮代办申请"
        ordering = ["-id"]

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_urlsafe(32)
        super().save(*args, **kwargs)


class Agreement(models.Model):
    request = models.OneToOneField(AgencyRequest, on_delete=models.CASCADE, related_name="agreement")
    items = models.ManyToManyField(Item, related_name="+", verbose_name="帮代办事项")
    rights_duties = models.TextField("双方权利义务")
    signed_on = models.DateField("签订日")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mandate = models.ForeignKey("cases.Mandate", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name="授权委托(帮代办员代为申报)")

    class Meta:
        verbose_name = verbose_name_plural = "帮代办协议"


class TeamMember(models.Model):
    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="人员")
    role = models.CharField("分工", max_length=12, choices=TeamRole.choices)

    class Meta:
        verbose_name = verbose_name_plural = "帮代办团队"
        constraints = [models.UniqueConstraint(fields=["request", "user", "role"], name="team_member_unique")]


class HandOff(models.Model):
    """Items outside the receiving office's level handed to another level's office, with the materials."""

    class Method(models.TextChoices):
        EMAIL = "email", "电子邮件"
        SHARE = "share", "网络共享"
        UPLOAD = "upload", "平台上传"
        COURIER = "courier", "快递"
        VISIT = "visit", "上门送达"

    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="handoffs")
    from_office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="handoffs_out")
    to_office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="handoffs_in")
    liaison = models.ForeignKey(Liaison, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="联系的首席联络员")
    items = models.ManyToManyField(Item, related_name="+", verbose_name="转交事项")
    materials = models.CharField("转交材料", max_length=500)
    method = models.CharField("转交方式", max_length=10, choices=Method.choices)
    handed_on = models.DateField("转交日")
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField("接收日", null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "层级转交"
        ordering = ["handed_on", "id"]


class Meeting(models.Model):
    """协调联审会: the departments review the project once and give one notice of everything it needs."""

    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("会议日期")
    place = models.CharField("地点", max_length=120)
    departments = models.ManyToManyField(Department, related_name="+", verbose_name="参会部门")
    minutes = models.TextField("会议纪要")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "协调联审会"


class RoadmapNode(models.Model):
    """One dated node of the roadmap (路线图): an item to be obtained by a date, in order."""

    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="nodes")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="nodes")
    order = models.PositiveSmallIntegerField("顺序")
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="事项")
    title = models.CharField("节点", max_length=120)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="办理部门")
    office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="+", verbose_name="负责帮代办机构")
    planned_on = models.DateField("计划完成日")
    done_on = models.DateField("实际完成日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "路线图节点"
        ordering = ["request", "order"]

    @property
    def on_time(self) -> bool | None:
        return None if self.done_on is None else self.done_on <= self.planned_on


class LedgerEntry(models.Model):
    """台账: every visit and call by an agent, every document received from or returned to the enterprise,
    every node reached. The enterprise's own trips are not entries: the page counts them from the cases (0)."""

    class Kind(models.TextChoices):
        VISIT = "visit", "上门服务"
        CALL = "call", "电话联系"
        DOC_IN = "doc_in", "收取材料"
        DOC_OUT = "doc_out", "送还材料/证照"
        NODE = "node", "节点完成"
        HANDOFF = "handoff", "层级转交"

    request = models.ForeignKey(AgencyRequest, on_delete=models.CASCADE, related_name="ledger")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    on = models.DateField("日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="帮代办员")
    office = models.ForeignKey(AgencyOffice, on_delete=models.PROTECT, related_name="+")
    note = models.CharField("内容", max_length=300)
    node = models.ForeignKey(RoadmapNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "帮代办台账"
        ordering = ["on", "id"]
