"""The electronic licence library (电子证照库): licence types, licences, the holder's consent to their use
(用证授权), every use (用证记录), expiry reminders.

A licence is issued once, from an approving decision (the case that produced it), identified in the national
format (GB/T 36904: `1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>`), rendered and sealed in the
background, and changes only by a recorded status change (撤销, 注销, 吊销 …) or by a new version (变更/延续)
linked to the one it replaces."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse

from tongban.core.identifiers import mask_id_card


class HolderKind(models.TextChoices):
    PERSON = "111", "公民身份号码"  # GB/T 36904 holder identifier kinds
    ORG = "001", "统一社会信用代码"


class LicenceType(models.Model):
    """证照类型 (国家电子证照目录 entry): defined by an authority, coded by its credit code and a sequence."""

    code = models.CharField("证照类型代码", max_length=21, unique=True, editable=False)
    authority_name = models.CharField("定义机关", max_length=80)
    authority_code = models.CharField("定义机关统一社会信用代码", max_length=18)
    sequence = models.CharField("顺序码", max_length=3, help_text="3位数字")
    name = models.CharField("证照名称", max_length=60, unique=True, help_text="与事项版本“审批结果证照”、材料“可用电子证照”一致")
    holder_kind = models.CharField("持证主体代码类型", max_length=3, choices=HolderKind.choices)
    validity_years = models.PositiveSmallIntegerField("有效期(年)", null=True, blank=True, help_text="空:长期有效")
    number_prefix = models.CharField("证号前缀", max_length=6, blank=True, help_text="许可证编号的字母前缀,如 JY(食品经营)")
    face_fields = models.JSONField(
        "照面信息项", default=list, blank=True,
        help_text='[{"name": "经营场所", "required": true, "max_length": 100}, …];值取自申请表同名字段或申请人信息',
    )
    content_field = models.CharField("许可内容取自", max_length=40, blank=True, help_text="照面信息中作为“许可内容”的一项;空:准予许可的事项名称")
    seal_label = models.CharField("印章用途", max_length=12, default="审批专用章")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照类型"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.code = f"{self.authority_code}{self.sequence}".upper()
        super().save(*args, **kwargs)


class LicenceStatus(models.TextChoices):
    """The states the national exchange names (有效, 撤销, 注销, 吊销, 失效) and 换发 for a replaced version."""

    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"
    CANCELLED = "cancelled", "已注销"
    PENALTY_REVOKED = "penalty_revoked", "已吊销"
    EXPIRED = "expired", "已失效"
    SUPERSEDED = "superseded", "已换发新版本"


class RenderState(models.TextChoices):
    PENDING = "pending", "制证中"
    ISSUED = "issued", "已制证"
    FAILED = "failed", "制证失败"


class Licence(models.Model):
    identifier = models.CharField("电子证照标识", max_length=120, unique=True)
    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences", verbose_name="证照类型")
    serial = models.CharField("流水号", max_length=40)
    version = models.PositiveSmallIntegerField("版本号", default=1)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version",
                                    verbose_name="上一版本")
    number = models.CharField("许可证编号", max_length=40, db_index=True)
    holder_kind = models.CharField("持证主体代码类型", max_length=3, choices=HolderKind.choices)
    holder_id = models.CharField("持证主体代码", max_length=18)
    holder_name = models.CharField("持证主体", max_length=120)
    issuer = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name="颁证单位")
    issuer_name = models.CharField("颁证单位名称", max_length=80)
    issuer_code = models.CharField("颁证单位代码", max_length=18)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="licences",
                             verbose_name="颁证办件")
    face = models.JSONField("照面信息", default=dict, blank=True)
    content = models.CharField("许可内容", max_length=500)
    issued_on = models.DateField("颁证日期")
    valid_from = models.DateField("有效期起")
    valid_until = models.DateField("有效期至", null=True, blank=True, help_text="空:长期有效")
    status = models.CharField("状态", max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    status_reason = models.CharField("状态变更原因", max_length=300, blank=True)
    status_case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="状态变更办件")
    status_changed_on = models.DateField("状态变更日期", null=True, blank=True)
    render_state = models.CharField("制证状态", max_length=10, choices=RenderState.choices, default=RenderState.PENDING,
                                    db_index=True)
    render_attempts = models.PositiveSmallIntegerField("制证尝试次数", default=0)
    render_error = models.CharField("最近一次制证失败原因", max_length=300, blank=True)
    file = models.FileField("证照文件(已签章)", upload_to="licences/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子证照"
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["holder_id", "-issued_on"], name="licence_wallet"),
            models.Index(fields=["status", "valid_until"], name="licence_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["licence_type", "issuer_code", "serial", "version"], name="licence_version_unique"),
        ]

    def __str__(self):
        return f"{self.licence_type.name} {self.number}"

    def get_absolute_url(self):
        return reverse("licences:verify", args=[self.identifier])

    @property
    def verify_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    def status_on(self, on: dt.date | None = None) -> str:
        """The status as it stands on `on`: a valid licence past its validity has lapsed (失效) without any act."""
        on = on or dt.date.today()
        if self.status == LicenceStatus.VALID and self.valid_until and self.valid_until < on:
            return LicenceStatus.EXPIRED
        return self.status

    def status_label(self, on: dt.date | None = None) -> str:
        return LicenceStatus(self.status_on(on)).label

    def is_valid_on(self, on: dt.date | None = None) -> bool:
        return self.status_on(on) == LicenceStatus.VALID and self.valid_from <= (on or dt.date.today())

    @property
    def masked_holder_id(self) -> str:
        if self.holder_kind == HolderKind.PERSON:
            return mask_id_card(self.holder_id)
        return self.holder_id[:8] + "****" + self.holder_id[-6:] if len(self.holder_id) == 18 else self.holder_id

    @property
    def masked_holder_name(self) -> str:
        """A person's name shows its surname only; an organisation's name is public (企业信用信息公示)."""
        if self.holder_kind == HolderKind.PERSON and self.holder_name:
            return self.holder_name[0] + "*" * (len(self.holder_name) - 1)
        return self.holder_name


class StatusChange(models.Model):
    """Every change of a licence's status, with its reason and the case that caused it (append-only)."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=LicenceStatus.choices)
    to_status = models.CharField(max_length=16, choices=LicenceStatus.choices)
    reason = models.CharField("原因", max_length=300)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照状态变更"
        ordering = ["at", "id"]


class UseMode(models.TextChoices):
    ONLINE = "online", "网上授权"
    WINDOW = "window", "窗口授权"
    KIOSK = "kiosk", "自助终端授权"
    AGENT = "agent", "帮代办授权"


class Consent(models.Model):
    """用证授权: the holder lets the department handling one case read one licence, for a stated reason."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="consents", verbose_name="证照")
    holder_id = models.CharField("持证主体代码", max_length=18, db_index=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="licence_consents", verbose_name="办件")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+", verbose_name="用证部门")
    reason = models.CharField("事由", max_length=200)
    mode = models.CharField("授权方式", max_length=10, choices=UseMode.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="记录人")
    given_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "用证授权"
        constraints = [models.UniqueConstraint(fields=["licence", "case"], name="consent_once_per_case")]


class Use(models.Model):
    """用证记录: every reading of a licence by a department, allowed or refused; the holder sees them all."""

    class Purpose(models.TextChoices):
        REUSE = "reuse", "免提交(受理时复用)"
        READ = "read", "调阅加注件"

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="uses", verbose_name="证照")
    holder_id = models.CharField("持证主体代码", max_length=18)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="用证部门")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="办件")
    purpose = models.CharField("用途", max_length=10, choices=Purpose.choices)
    mode = models.CharField("授权方式", max_length=10, blank=True)
    reason = models.CharField("事由", max_length=200)
    allowed = models.BooleanField("准予", default=True)
    refusal = models.CharField("拒绝原因", max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name="经办人")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "用证记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["holder_id", "-at"], name="licence_use_holder")]


class Reminder(models.Model):
    """到期提醒: one per licence and threshold (90 and 30 days), however often the scan runs."""

    THRESHOLDS = (90, 30)

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="reminders")
    holder_id = models.CharField("持证主体代码", max_length=18, db_index=True)
    threshold = models.PositiveSmallIntegerField("提前天数")
    due_on = models.DateField("到期日")
    created_on = models.DateField("提醒日")
    message = models.CharField("提醒内容", max_length=300)
    channels = models.JSONField("发送渠道", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照到期提醒"
        ordering = ["-created_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["licence", "threshold"], name="reminder_once_per_threshold")]


class LicenceSequence(models.Model):
    """Per issuer and year: serial numbers never wait on a global counter."""

    issuer_code = models.CharField(max_length=18)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer_code", "year"], name="licence_sequence_unique")]
