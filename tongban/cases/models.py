"""Cases (办件): an application for one published item version (or a bundle), from receipt to delivery."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from tongban.catalog.models import Bundle, Item, ItemVersion, Material
from tongban.core.identifiers import mask_id_card, mask_phone
from tongban.org.models import Region, Window


class Applicant(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "自然人"
        ORG = "org", "法人"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    id_number = models.CharField("身份证号码/统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("姓名/名称", max_length=120)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    legal_rep = models.CharField("法定代表人", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请人"

    def __str__(self):
        return f"{self.name}({self.masked_id})"

    @property
    def masked_id(self) -> str:
        if self.kind == self.Kind.PERSON:
            return mask_id_card(self.id_number)
        return self.id_number[:8] + "****" + self.id_number[-6:]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Mandate(models.Model):
    """An agent (代理人/帮代办员) acting for the applicant, on the strength of a written authorisation."""

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="mandates")
    agent_name = models.CharField("代理人", max_length=40)
    agent_id_number = models.CharField("代理人身份证号码", max_length=18)
    agent_phone = models.CharField("代理人电话", max_length=20, blank=True)
    agent_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="帮代办员")
    scope = models.CharField("委托事项", max_length=200)
    valid_until = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "委托代理"


class CaseState(models.TextChoices):
    RECEIVED = "received", "已收件"
    CORRECTION = "correction", "一次性告知补正中"
    ACCEPTED = "accepted", "已受理"
    RETURNED = "returned", "补正中(审查退回)"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    APPROVED = "approved", "准予许可(待送达)"
    DENIED = "denied", "不予许可(待送达)"
    COMPLETED = "completed", "已办结"
    REVOKED = "revoked", "许可已撤销"


class Channel(models.TextChoices):
    WINDOW = "window", "窗口"
    ONLINE = "online", "网上申报"
    KIOSK = "kiosk", "自助终端"
    AGENT = "agent", "帮代办"


class CaseSequence(models.Model):
    """Per region and day: case numbers never wait on a global counter."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="case_sequence_unique")]


class Case(models.Model):
    number = models.CharField("办件编号", max_length=40, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="受理区划")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="事项")
    item_version = models.ForeignKey(ItemVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="受理时办事指南版本")
    bundle = models.ForeignKey(Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="一件事")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="一件事主件")
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="cases", verbose_name="申请人")
    mandate = models.ForeignKey(Mandate, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name="委托代理")
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="受理窗口")
    state = models.CharField("状态", max_length=12, choices=CaseState.choices, default=CaseState.RECEIVED, db_index=True)
    received_on = models.DateField("收件日")
    resubmitted_on = models.DateField("补正材料提交日", null=True, blank=True)
    accepted_on = models.DateField("受理日", null=True, blank=True)
    auto_accepted = models.BooleanField("依法视为受理", default=False)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="handled_cases", verbose_name="首办负责人")
    clock = models.OneToOneField("workcal.Clock", null=True, blank=True, on_delete=models.PROTECT, related_name="case", verbose_name="计时")
    deadline = models.DateField("办结期限", null=True, blank=True, db_index=True)
    light = models.CharField("亮灯", max_length=10, blank=True, db_index=True)
    gap_open = models.BooleanField("容缺材料待补", default=False, db_index=True)
    informed_commitment = models.BooleanField("告知承诺办理", default=False)
    back_office = models.BooleanField("后台审批流程办理", default=False, help_text="受理时启动了审批流程:只能在流程的决定环节作出决定")
    decided_on = models.DateField("决定日", null=True, blank=True)
    decision_note = models.TextField("决定意见", blank=True)
    completed_on = models.DateField("办结日", null=True, blank=True)
    visits = models.PositiveSmallIntegerField("到现场次数", default=0)
    form_data = models.JSONField("申请表", default=dict, blank=True)
    # the base registries' answer at intake (registries.check_applicant): {"ok", "found", "message", "registered_name"};
    # a mismatch is shown to the clerk and in the API, never blocks the application
    registry_check = models.JSONField("基础库核验", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        ordering = ["-id"]
        indexes = [models.Index(fields=["region", "state", "received_on"]), models.Index(fields=["handler", "state"])]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def title(self) -> str:
        if self.bundle_id and not self.item_id:
            return self.bundle.name
        return self.item_version.name if self.item_version_id else ""

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.number])


class CaseMaterial(models.Model):
    class Status(models.TextChoices):
        PROVIDED = "provided", "已收取"
        ORIGINAL_SEEN = "original_seen", "已核验原件"
        SHARED = "shared", "共享获取(免提交)"
        MISSING = "missing", "缺少"
        DEFECTIVE = "defective", "不符合要求"
        GAP = "gap", "容缺"
        COMMITMENT = "commitment", "告知承诺"

    RECEIVED = {Status.PROVIDED, Status.ORIGINAL_SEEN, Status.SHARED}

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+", verbose_name="指南材料")
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    reason = models.CharField("说明", max_length=300, blank=True)
    reference = models.CharField("复用来源", max_length=160, blank=True)  # Offer.key of reuse.py: "licence:<identifier>"
    file = models.FileField("文件", upload_to="cases/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    notified_round = models.PositiveSmallIntegerField("告知轮次", null=True, blank=True)
    supplied_on = models.DateField("补交日", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件材料"
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="case_material_unique")]


class MaterialFile(models.Model):
    """Every file ever stored for a case material, the superseded ones too (a defective first upload is the
    evidence a one-time notice rests on). Written in the same transaction as the material: a file with no row
    here was left by a rolled-back transaction and is swept."""

    case_material = models.ForeignKey(CaseMaterial, on_delete=models.CASCADE, related_name="files")
    file = models.CharField("文件", max_length=200, unique=True)
    content_type = models.CharField(max_length=60)
    stored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "材料文件(含历次)"


ACTION_LABELS = {
    "submitted": "收件", "materials_checked": "核对材料", "accepted": "受理", "notified_missing": "出具一次性告知书",
    "materials_supplied": "补交材料", "refused": "不予受理", "withdrawn": "撤回", "handler_reassigned": "变更首办负责人",
    "decided": "作出决定", "completed": "办结送达", "mail_posted": "邮寄寄出", "post_checked": "事后核查",
    "deadline_moved": "期限调整", "step_claimed": "认领审批环节", "step_done": "审批环节办结", "step_returned": "退回补正",
    "correction_supplied": "补正材料已补齐", "step_reassigned": "改派审批环节", "step_chased": "牵头部门催办",
    "clock_paused": "暂停法定计时", "clock_resumed": "恢复法定计时", "steps_cancelled": "撤销审批环节", "mail_delivered": "邮件签收",
    "returned": "审查退回补正", "resumed": "补正完成,恢复审查", "extended": "延长审批期限", "revoked": "撤销许可",
    "joint_opinion": "联合踏勘意见", "fee_charged": "开具缴款通知", "fee_paid": "缴费",
}


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField("动作", max_length=40)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    reason = models.TextField("理由", blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件历史"
        ordering = ["at", "id"]

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def to_state_label(self) -> str:
        return dict(CaseState.choices).get(self.to_state, self.to_state)


class Notice(models.Model):
    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", "受理通知书"
        MISSING = "missing", "一次性告知书"
        REFUSAL = "refusal", "不予受理决定书"
        GAP = "gap_commitment", "容缺受理承诺书"
        INFORMED = "informed_commitment", "告知承诺书"
        RECEIPT = "receipt", "材料接收凭证"
        EXTENSION = "extension", "延长审批期限告知书"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    round = models.PositiveSmallIntegerField(default=1)
    issued_on = models.DateField()
    data = models.JSONField(default=dict, blank=True)
    # Recorded with the act (签发中); rendered, sealed and stored by a background task after commit, so a
    # reprint years later is the file that was issued (issue #14).
    state = models.CharField("签发状态", max_length=10, default="issuing", db_index=True,
                             choices=[("issuing", "签发中"), ("issued", "已签发"), ("failed", "签发失败")])
    file = models.FileField(upload_to="notices/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField("签发尝试次数", default=0)
    last_error = models.CharField("最近一次失败原因", max_length=300, blank=True)
    queued_at = models.DateTimeField("加入签发队列", default=timezone.now)
    issued_at = models.DateTimeField("签发完成", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "文书"
        ordering = ["issued_on", "id"]


class CaseDocument(models.Model):
    """A sealed decision document on a case (准予/不予行政许可决定书): rendered and sealed by the authority
    that decided (the back office issues it); listed and served to everyone who may see the case."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", "准予行政许可决定书"
        DENIAL = "denial", "不予行政许可决定书"

    class State(models.TextChoices):
        ISSUING = "issuing", "签发中"
        ISSUED = "issued", "已签发"
        FAILED = "failed", "签发失败"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Recorded with the decision (state issuing); a background task renders, seals and stores the file, then
    # sets issued. A task that keeps failing leaves it failed, listed for supervision (issue #14).
    state = models.CharField("签发状态", max_length=10, choices=State.choices, default=State.ISSUED, db_index=True)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="用印机关")
    attempts = models.PositiveSmallIntegerField("签发尝试次数", default=0)
    last_error = models.CharField("最近一次失败原因", max_length=300, blank=True)
    queued_at = models.DateTimeField("加入签发队列", default=timezone.now)
    issued_at = models.DateTimeField("签发完成", null=True, blank=True)
    file = models.FileField(upload_to="decisions/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_on = models.DateField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "决定文书"
        db_table = "workflow_casedocument"  # issued by the workflow before cases owned it


class GapCommitment(models.Model):
    """容缺受理: the case goes on, the listed auxiliary materials follow by `deadline`."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="gap")
    days = models.PositiveSmallIntegerField("补交期限(工作日)")
    deadline = models.DateField("补交截止日", db_index=True)
    signed_on = models.DateField("签署日")
    fulfilled_on = models.DateField("补齐日", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "容缺承诺"


class PostCheck(models.Model):
    """告知承诺: proofs replaced by a commitment are checked afterwards."""

    class Result(models.TextChoices):
        PENDING = "pending", "待核查"
        PASSED = "passed", "核查属实"
        FAILED = "failed", "承诺不实"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="post_check")
    deadline = models.DateField("核查期限", db_index=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    checked_on = models.DateField(null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "事后核查"


class Breach(models.Model):
    """A false commitment, recorded against the applicant (信用记录)."""

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="breaches")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    note = models.TextField()

    class Meta:
        verbose_name = verbose_name_plural = "失信记录"


class Visit(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visit_log")
    at = models.DateTimeField(auto_now_add=True)
    purpose = models.CharField(max_length=40)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "到厅记录"


class Delivery(models.Model):
    class Method(models.TextChoices):
        WINDOW = "window", "窗口领取"
        MAIL = "mail", "免费邮寄"
        ELECTRONIC = "electronic", "电子送达"

    class MailState(models.TextChoices):
        REGISTERED = "registered", "已登记"
        POSTED = "posted", "已寄出"
        DELIVERED = "delivered", "已签收"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(max_length=12, choices=Method.choices)
    pickup_code = models.CharField("取件码", max_length=8, blank=True)
    received_by = models.CharField("领取人", max_length=40, blank=True)
    receiver_id_checked = models.BooleanField("已核验身份证件", default=False)
    recipient = models.CharField("收件人", max_length=40, blank=True)
    address = models.CharField("邮寄地址", max_length=200, blank=True)
    phone = models.CharField("收件电话", max_length=20, blank=True)
    courier = models.CharField("快递公司", max_length=40, blank=True)
    tracking_number = models.CharField("运单号", max_length=40, blank=True)
    mail_state = models.CharField(max_length=12, choices=MailState.choices, blank=True)
    delivered_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "送达"


class IdempotencyKey(models.Model):
    """A retried submit or accept with the same Idempotency-Key returns the first answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=40)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key", "operation"], name="idempotency_unique")]


class RegistryPerson(models.Model):
    """The demo population register (人口库) behind `registries.LocalRegistry`."""

    id_number = models.CharField("公民身份号码", max_length=18, unique=True)
    name = models.CharField("姓名", max_length=60)

    class Meta:
        verbose_name = verbose_name_plural = "人口库(演示)"


class RegistryEntity(models.Model):
    """The demo legal-entity register (法人库) behind `registries.LocalRegistry`."""

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=120)
    legal_rep = models.CharField("法定代表人", max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法人库(演示)"


class ApplicantUser(models.Model):
    """An applicant account (网上办事账号, the portal's) acting for an applicant: a person for themself (本人), an
    enterprise's legal representative (法定代表人) or an operator they named (经办人). Cases the window received
    under the same ID number or credit code belong to the account through the applicant."""

    class Role(models.TextChoices):
        SELF = "self", "本人"
        LEGAL_REP = "legal_rep", "法定代表人"
        OPERATOR = "operator", "经办人"

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="accounts", verbose_name="申请人")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applicant_roles", verbose_name="账号")
    role = models.CharField("身份", max_length=10, choices=Role.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "申请人账号绑定"
        constraints = [models.UniqueConstraint(fields=["applicant", "user"], name="applicant_user_unique")]


class Message(models.Model):
    """A message to an applicant (站内消息): a one-time notice, a return, a rating invitation. Shown on the
    applicant's page; the SMS backend (`tongban.cases.sms`) sends a copy to the phone on commit."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="messages")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField("类别", max_length=20)
    text = models.CharField("内容", max_length=500)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-at", "-id"]


class SmsRecord(models.Model):
    """Messages the demo SMS backend (`sms.StoredSms`) 'sent': the production backend calls the gateway instead."""

    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=500)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信记录(演示)"


class Payment(models.Model):
    """A fee of the item's fee list (收费清单) charged on a case: paid through the payment backend (online) or at
    the hall's payment window. An unpaid charge keeps the result from being delivered."""

    class State(models.TextChoices):
        DUE = "due", "待缴费"
        PAID = "paid", "已缴费"

    class Method(models.TextChoices):
        ONLINE = "online", "网上缴费"
        HALL = "hall", "大厅缴费窗口"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    fee_code = models.CharField("收费编码", max_length=30)
    fee_name = models.CharField("收费项目", max_length=100)
    amount_fen = models.PositiveIntegerField("金额(分)")
    state = models.CharField(max_length=6, choices=State.choices, default=State.DUE, db_index=True)
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    order_no = models.CharField("缴款单号", max_length=40, unique=True)
    gateway_ref = models.CharField("支付流水号", max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    receipt_no = models.CharField("电子票据号", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "缴费"

    @property
    def amount(self) -> str:
        return f"{self.amount_fen // 100}.{self.amount_fen % 100:02d}"
