"""Data exchange upward (X2): the case lifecycle events in an outbox, delivered at least once to subscribed systems
(the provincial 电子监察 and 好差评 platforms) as signed webhooks, with a delivery log and replay.

An OutboxEvent is written in the transaction of the act it reports (a rolled-back act leaves none); one Delivery
per subscription whose region covers the case is written with it. A worker posts due deliveries; a failure is
retried with exponential back-off. Every event carries its `key` (a UUID): the receiver's idempotency key, since
a retry or a replay may bring the same event twice."""

import uuid

from django.conf import settings
from django.db import models


class Subscription(models.Model):
    name = models.CharField("接收系统", max_length=60)
    url = models.URLField("接收地址", max_length=300)
    secret_encrypted = models.TextField("签名密钥(加密存储)", help_text="HMAC-SHA256 签名用,双方共享;Fernet 加密(exchange.crypto)")
    region = models.ForeignKey("org.Region", on_delete=models.PROTECT, related_name="+", verbose_name="上报区划范围")
    kinds = models.JSONField("上报事件", default=list, blank=True, help_text="空:全部事件")
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "上报订阅"

    def __str__(self):
        return self.name

    @property
    def secret(self) -> str:
        """The signing secret in clear, for signing only: never shown (see `masked_secret`)."""
        from .crypto import decrypt

        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str):
        from .crypto import encrypt

        self.secret_encrypted = encrypt(value)

    @property
    def masked_secret(self) -> str:
        from .crypto import mask

        return mask(self.secret)


class OutboxEvent(models.Model):
    key = models.UUIDField("幂等键", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("事件", max_length=30)
    case_number = models.CharField("办件编号", max_length=40)
    region_path = models.CharField(max_length=120)
    payload = models.JSONField()
    occurred_at = models.DateTimeField("发生时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "待上报事件"
        ordering = ["id"]


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "待投递"
        DELIVERED = "delivered", "已送达"
        DEAD = "dead", "多次失败已停止"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "投递"
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once_per_subscription")]
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="delivery_due")]


class DeliveryAttempt(models.Model):
    """The delivery log: every POST, its answer and its time."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(auto_now_add=True)
    status = models.PositiveSmallIntegerField("HTTP 状态", null=True, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)
    ms = models.PositiveIntegerField("耗时(毫秒)", default=0)
    replay = models.BooleanField("重放", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "投递日志"
        ordering = ["-at", "-id"]


class ReceivedEvent(models.Model):
    """The demo receiver's store (standing in for the provincial platform): one row per idempotency key, however
    many times the event arrives."""

    key = models.UUIDField(unique=True)
    kind = models.CharField(max_length=30)
    case_number = models.CharField(max_length=40)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    times = models.PositiveIntegerField("收到次数", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "演示接收端收到的事件"
        ordering = ["-id"]
