"""好差评 (F33), as the national rules describe it (国办发〔2019〕51号): five levels coded 1 非常满意 … 5 非常不满意,
indicators by channel, one rating per case online (一事一评) and per visit at a window (一次一评). Ratings are
never edited or deleted; a 差评 (4 or 5) opens its handling (谁办理、谁负责)."""

from django.conf import settings
from django.db import models

from tongban.core.errors import Conflict


class Level(models.IntegerChoices):
    VERY_SATISFIED = 1, "非常满意"
    SATISFIED = 2, "满意"
    FAIR = 3, "基本满意"
    DISSATISFIED = 4, "不满意"
    VERY_DISSATISFIED = 5, "非常不满意"


BAD = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)

INDICATORS = {
    "online": [("overall", "整体满意度"), ("efficiency", "办事效率"), ("guide", "办事指南精确度"), ("convenience", "办事便捷度"),
               ("usability", "平台操作性")],
    "window": [("overall", "整体满意度"), ("efficiency", "服务效率"), ("skill", "服务水平"), ("attitude", "服务态度")],
}


class Invitation(models.Model):
    """评价邀请: at 收件 and at 办结 (sent as a message); one reminder if no rating 3 days after 办结."""

    class Stage(models.TextChoices):
        RECEIVED = "received", "收件"
        COMPLETED = "completed", "办结"

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="rating_invitations")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    sent_on = models.DateField()
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "评价邀请"
        constraints = [models.UniqueConstraint(fields=["case", "stage"], name="rating_invitation_unique")]


class Rating(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", "网上评价"
        WINDOW = "window", "窗口评价器"

    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings")
    visit = models.OneToOneField("cases.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="rating")
    window = models.ForeignKey("org.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="窗口")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="部门")
    region = models.ForeignKey("org.Region", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    indicators = models.JSONField("分项评价", default=dict)
    comment = models.CharField("评价内容", max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "评价"
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(channel="online"), name="rating_one_per_case_online"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_5"),
        ]

    @property
    def is_bad(self) -> bool:
        return self.level in BAD

    def save(self, *args, **kwargs):
        if self.pk:
            raise Conflict("rating_immutable", "评价一经提交不得修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict("rating_immutable", "评价不得删除")


class Handling(models.Model):
    """差评整改: verification by the department that handled the case, then 立行立改, a rectification with a
    deadline, an explanation, or an appeal (申诉复核) the supervisor decides; a return visit closes it."""

    class State(models.TextChoices):
        VERIFYING = "verifying", "核实中"
        RECTIFYING = "rectifying", "整改中"
        APPEALED = "appealed", "申诉复核中"
        ANSWERED = "answered", "已答复,待回访"
        CLOSED = "closed", "已回访办结"

    class Outcome(models.TextChoices):
        IMMEDIATE = "immediate", "立行立改"
        RECTIFY = "rectify", "限期整改"
        EXPLAIN = "explain", "解释说明"
        APPEAL = "appeal", "申诉复核"

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="handling")
    state = models.CharField(max_length=10, choices=State.choices, default=State.VERIFYING, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    verification = models.TextField("核实情况", blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField("整改期限", null=True, blank=True, db_index=True)
    answer = models.TextField("答复", blank=True)
    answered_on = models.DateField(null=True, blank=True)
    appeal_upheld = models.BooleanField("申诉成立", null=True)
    appeal_note = models.TextField("复核意见", blank=True)
    appeal_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    return_visit = models.TextField("回访情况", blank=True)
    return_visit_on = models.DateField(null=True, blank=True)
    return_satisfied = models.BooleanField("回访满意", null=True)
    opened_on = models.DateField()

    class Meta:
        verbose_name = verbose_name_plural = "差评整改"

    def overdue(self, today) -> bool:
        return self.state == self.State.RECTIFYING and self.deadline is not None and self.deadline < today
