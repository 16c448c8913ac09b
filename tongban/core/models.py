from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Append-only audit log, hash-chained per object (`chain`) so writes to different objects never
    wait on one another. Each entry carries the hash of the previous entry of its chain."""

    chain = models.CharField("链", max_length=80)
    seq = models.PositiveIntegerField("序号")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=80, blank=True)
    action = models.CharField("动作", max_length=60)
    object_type = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象", max_length=64)
    data = models.JSONField("内容", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["at"])]
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class AuditSeal(models.Model):
    """Once a day the heads of every chain written that day are sealed into one global chain, so an
    entry removed or rewritten together with its whole chain is still detected."""

    day = models.DateField("日期", unique=True)
    heads = models.JSONField("链头", help_text="{chain: [seq, hash]}")
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    mac = models.CharField("签名", max_length=64, blank=True, help_text="HMAC-SHA256 of the hash under settings.AUDIT_SEAL_KEY")
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日封"
        ordering = ["day"]
