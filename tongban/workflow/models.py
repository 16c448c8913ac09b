"""Approval processes as data (串改并): steps, the steps each waits for, departments, budgets.

A process is versioned like an item: a draft is edited, a published version is immutable and effective
from its start date; a running case keeps the version it started with."""

from django.conf import settings
from django.db import models

from tongban.catalog.models import Item, PubStatus
from tongban.core.errors import Conflict
from tongban.org.models import Department, Role


class StepKind(models.TextChoices):
    ACCEPT = "accept", "受理"
    REVIEW = "review", "审查"
    SITE_SURVEY = "site_survey", "现场踏勘"
    JOINT_INSPECTION = "joint_inspection", "联合踏勘"
    EXPERT_REVIEW = "expert_review", "专家评审"
    PUBLICITY = "publicity", "公示"
    HEARING = "hearing", "听证"
    DECISION = "decision", "决定"
    SEAL = "seal", "签章"



# 行政许可法 art. 45: the time these procedures take is not counted in the legal time limit. A step of one of
# these kinds may be marked `suspends_clock`; the case clock then stands still while the step is open.
SUSPEND_REASONS = {
    StepKind.HEARING: "hearing",
    StepKind.EXPERT_REVIEW: "expert_review",
    StepKind.PUBLICITY: "publicity",
    StepKind.SITE_SURVEY: "site_survey",
    StepKind.JOINT_INSPECTION: "site_survey",
}


class Process(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="processes", verbose_name="事项")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=10, choices=PubStatus.choices, default=PubStatus.DRAFT)
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "审批流程"
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="process_version_unique")]

    def __str__(self):
        return f"{self.item} 流程第{self.number}版({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=PubStatus.PUBLISHED).exists():
            raise Conflict("process_published", "已发布的流程不可修改,请新建草稿版本")
        super().save(*args, **kwargs)


class Step(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField("环节编码", max_length=40)
    name = models.CharField("环节名称", max_length=60)
    kind = models.CharField("类型", max_length=20, choices=StepKind.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="负责部门")
    role = models.CharField("办理角色", max_length=20, choices=Role.choices, default=Role.REVIEWER)
    after = models.JSONField("前置环节", default=list, blank=True, help_text="等待的环节编码;前置相同的环节并行办理")
    budget_workdays = models.PositiveSmallIntegerField("环节时限(工作日)")
    suspends_clock = models.BooleanField("暂停法定计时", default=False)
    joint_departments = models.ManyToManyField(Department, blank=True, related_name="+", verbose_name="联合踏勘部门")
    is_lead = models.BooleanField("牵头部门环节", default=False)
    review_points = models.JSONField("审查要点", default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = verbose_name_plural = "流程环节"
        ordering = ["process", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["process", "code"], name="step_code_unique")]

    def __str__(self):
        return f"{self.name}({self.department})"

    def save(self, *args, **kwargs):
        if Process.objects.filter(pk=self.process_id, status=PubStatus.PUBLISHED).exists():
            raise Conflict("process_published", "已发布的流程不可修改,请新建草稿版本")
        super().save(*args, **kwargs)


def light_rank(prefix: str = "") -> models.Case:
    """Red 0, yellow 1, green 2: the order of every queue (the inbox index is built on this very expression)."""
    return models.Case(models.When(**{f"{prefix}light": "red"}, then=models.Value(0)),
                       models.When(**{f"{prefix}light": "yellow"}, then=models.Value(1)),
                       default=models.Value(2), output_field=models.IntegerField())


class CaseStep(models.Model):
    """A step of a running case: lands in its department's queue with its own clock."""

    class State(models.TextChoices):
        WAITING = "waiting", "等待前置环节"
        READY = "ready", "待认领"
        CLAIMED = "claimed", "办理中"
        RETURNED = "returned", "退回补正中"
        DONE = "done", "已完成"
        CANCELLED = "cancelled", "已撤销"  # the application was withdrawn while the step was open

    class Opinion(models.TextChoices):
        AGREE = "agree", "同意"
        DISAGREE = "disagree", "不同意"
        RETURN = "return", "退回补正"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="case_steps")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING, db_index=True)
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_steps")
    clock = models.OneToOneField("workcal.Clock", null=True, blank=True, on_delete=models.PROTECT, related_name="case_step")
    deadline = models.DateField(null=True, blank=True)
    light = models.CharField(max_length=10, blank=True)
    opinion = models.CharField(max_length=10, choices=Opinion.choices, blank=True)
    opinion_text = models.TextField(blank=True)
    answers = models.JSONField(default=list, blank=True)
    started_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件环节"
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="case_step_unique")]
        indexes = [
            models.Index(fields=["department", "state", "light", "deadline"]),
            # the inbox order (red, yellow, green; then deadline) over open steps only: 50 rows read, not 100,000 sorted
            models.Index(models.F("department"), light_rank(), models.F("deadline"), models.F("id"), condition=models.Q(state__in=["ready", "claimed", "returned"]),
                         name="casestep_inbox_rank"),
        ]


class JointOpinion(models.Model):
    """联合踏勘: each department's opinion on the one joint inspection."""

    case_step = models.ForeignKey(CaseStep, on_delete=models.CASCADE, related_name="joint_opinions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opinion = models.CharField(max_length=10, choices=CaseStep.Opinion.choices)
    text = models.TextField(blank=True)
    inspected_on = models.DateField("踏勘日期", null=True, blank=True)
    place = models.CharField("踏勘地点", max_length=200, blank=True)
    participants = models.CharField("参加人员", max_length=300, blank=True)
    file = models.FileField("踏勘记录", upload_to="joint/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case_step", "department"], name="joint_opinion_once")]


class CaseProcess(models.Model):
    """Which process version a case runs on (kept even after a new version is published)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="process_run")
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="runs")
    started_on = models.DateField()


class BureauSeal(models.Model):
    """The electronic seal of an authority (一枚印章管审批): an ECDSA P-256 key, stored encrypted, and its
    self-signed certificate. A provider for SM2 seals can replace it (settings.SEAL_PROVIDER)."""

    department = models.OneToOneField(Department, on_delete=models.PROTECT, related_name="seal", verbose_name="机关")
    cert_pem = models.TextField("证书")
    key_encrypted = models.TextField("私钥(加密存储)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子印章"

    def __str__(self):
        return f"{self.department} 审批专用章"


class Chase(models.Model):
    """催办: the lead department (牵头部门) of a parallel stage presses an unfinished branch. The chased
    department's inbox shows the latest chase with its note and time."""

    case_step = models.ForeignKey(CaseStep, on_delete=models.CASCADE, related_name="chases", verbose_name="被催办环节")
    by_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name="牵头部门")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="催办人")
    note = models.CharField("催办意见", max_length=200, blank=True)
    at = models.DateTimeField("催办时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "催办记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case_step", "-at"], name="chase_latest")]

    def __str__(self):
        return f"{self.by_department} 催办 {self.case_step_id}"
