"""The official working-day calendar and the clocks that count legal time limits on it.

A calendar row exists only for a date that breaks the Mon–Fri rule: a holiday on a weekday or a
make-up working day (调休上班) on a weekend. A year is published once the State Council's notice is
entered; until then its days come from the statutory rules and every result that depends on them is
provisional.
"""

from django.conf import settings
from django.db import models


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField("年份", unique=True)
    published = models.BooleanField("已公布", default=False, help_text="已录入国务院办公厅当年部分节假日安排通知")
    source = models.CharField("来源", max_length=200, blank=True)
    published_at = models.DateTimeField("公布录入时间", null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "日历年度"
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}年({'已公布' if self.published else '未公布'})"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日(休)"
    WORKDAY = "workday", "调休上班(班)"


class CalendarDay(models.Model):
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=DayKind.choices)
    name = models.CharField("名称", max_length=40, help_text="如 春节、国庆节、春节调休")

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}({self.get_kind_display()})"


class WorkdayIndex(models.Model):
    """One row per date: the count of working days from the calendar's first day up to it.

    Lets SQL compare dates in working days (remaining = idx(deadline) - idx(today)) so the daily
    light scan is one set-based statement. Rebuilt whenever the calendar changes."""

    day = models.DateField(primary_key=True)
    idx = models.IntegerField()
    working = models.BooleanField()
    provisional = models.BooleanField()

    class Meta:
        verbose_name = verbose_name_plural = "工作日序号"


class Light(models.TextChoices):
    GREEN = "green", "绿灯(正常)"
    YELLOW = "yellow", "黄灯(预警)"
    RED = "red", "红灯(超期)"


class ClockState(models.TextChoices):
    RUNNING = "running", "计时中"
    PAUSED = "paused", "暂停计时"
    STOPPED = "stopped", "已停止"


class SuspendReason(models.TextChoices):
    """Reasons the legal clock stops: 补齐补正 and the procedures 行政许可法 art. 45 leaves uncounted."""

    CORRECTION = "correction", "补齐补正"
    HEARING = "hearing", "听证"
    TENDER = "tender", "招标"
    AUCTION = "auction", "拍卖"
    INSPECTION = "inspection", "检验"
    TESTING = "testing", "检测"
    QUARANTINE = "quarantine", "检疫"
    APPRAISAL = "appraisal", "鉴定"
    EXPERT_REVIEW = "expert_review", "专家评审"
    PUBLICITY = "publicity", "公示"
    SITE_SURVEY = "site_survey", "现场踏勘"


ITEM_DEPENDENT_REASONS = {SuspendReason.PUBLICITY, SuspendReason.SITE_SURVEY}  # only where the item says so


class WarningPolicy(models.Model):
    """When a clock turns yellow: ≤ `days` working days left or ≥ `percent` of its time used.
    The row without an item is the global default; an item's own row overrides it."""

    item = models.OneToOneField("catalog.Item", null=True, blank=True, on_delete=models.CASCADE, related_name="warning_policy", verbose_name="事项")
    days = models.PositiveSmallIntegerField("剩余工作日≤", default=2)
    percent = models.PositiveSmallIntegerField("已用时限≥(%)", default=80)

    class Meta:
        verbose_name = verbose_name_plural = "预警规则"
        constraints = [models.UniqueConstraint(fields=["item"], condition=models.Q(item__isnull=True), name="one_global_warning_policy")]

    def __str__(self):
        return f"{self.item or '全局'}:剩余≤{self.days}个工作日或已用≥{self.percent}%"


class LevelBudget(models.Model):
    """"最多跑一个月": the working days the steps of one level may take inside a case (乡镇(街道)与村 ≤ 6, 县级部门 ≤ 24)."""

    code = models.SlugField("编码", unique=True)
    name = models.CharField("名称", max_length=40)
    levels = models.JSONField("适用层级", help_text="org.Level 值的列表,如 [4, 5] 表示乡、村")
    max_days = models.PositiveSmallIntegerField("工作日上限")

    class Meta:
        verbose_name = verbose_name_plural = "分级时限预算"

    def __str__(self):
        return f"{self.name} ≤ {self.max_days} 个工作日"


class Clock(models.Model):
    """A ledger-backed clock: its deadline and light are recomputed from the start, suspensions and
    extensions at every change and stored here so lists filter on columns."""

    subject_type = models.CharField("计时对象类型", max_length=40)
    subject_id = models.CharField("计时对象", max_length=64)
    label = models.CharField("名称", max_length=120, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name="所属办件时钟")
    level = models.PositiveSmallIntegerField("办理层级", null=True, blank=True)
    item_version = models.ForeignKey("catalog.ItemVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField("起算日(受理日,不计入)")
    limit_days = models.PositiveIntegerField("时限(工作日)")
    legal_limit_days = models.PositiveIntegerField("法定时限(工作日)")
    max_extension_days = models.PositiveIntegerField("可延长上限(工作日)", default=0)
    extended_days = models.PositiveIntegerField("已延长(工作日)", default=0)
    suspended_days = models.PositiveIntegerField("已暂停(工作日,不含进行中)", default=0)
    allowed_suspensions = models.JSONField("可暂停原因", default=list)
    state = models.CharField("状态", max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    paused_since = models.DateField("暂停起始日", null=True, blank=True)
    remaining_at_pause = models.IntegerField("暂停时剩余工作日", null=True, blank=True)
    deadline = models.DateField("办结期限", null=True, blank=True, help_text="暂停计时期间为空")
    legal_deadline = models.DateField("法定期限", null=True, blank=True)
    light = models.CharField("亮灯", max_length=10, choices=Light.choices, default=Light.GREEN)
    warn_days = models.PositiveSmallIntegerField(default=2)
    warn_percent = models.PositiveSmallIntegerField(default=80)
    provisional = models.BooleanField("期限依据未公布年度推算", default=False)
    stopped_on = models.DateField("停止日", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "计时时钟"
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["light", "state"]),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["provisional"], condition=models.Q(provisional=True), name="clock_provisional_idx"),
        ]

    def __str__(self):
        return f"{self.label or self.subject_type + ':' + self.subject_id}({self.get_state_display()})"

    @property
    def total_days(self) -> int:
        return self.limit_days + self.extended_days


class Suspension(models.Model):
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.CharField("原因", max_length=20, choices=SuspendReason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    start = models.DateField("暂停日")
    end = models.DateField("恢复日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "暂停计时"
        ordering = ["start", "id"]
        constraints = [models.UniqueConstraint(fields=["clock"], condition=models.Q(end__isnull=True), name="one_open_suspension")]


class Extension(models.Model):
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField("延长工作日")
    reason = models.CharField("理由", max_length=300)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="批准人")
    approved_on = models.DateField("批准日")

    class Meta:
        verbose_name = verbose_name_plural = "延长审批"


class ScheduleRun(models.Model):
    """One row per scheduled job and day: several schedulers may run, each job still runs once a day."""

    name = models.CharField(max_length=60)
    day = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="schedule_once_a_day")]


class ClockEvent(models.Model):
    """The clock's history, shown to supervisors (电子监察): every change and every warning card."""

    class Kind(models.TextChoices):
        START = "start", "开始计时"
        SUSPEND = "suspend", "暂停计时"
        RESUME = "resume", "恢复计时"
        EXTEND = "extend", "延长审批"
        STOP = "stop", "停止计时"
        YELLOW = "yellow", "黄牌预警"
        RED = "red", "红牌超期"
        DEADLINE_MOVED = "deadline_moved", "期限因日历公布调整"

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    day = models.DateField("日期")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "计时事件"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "day"])]
