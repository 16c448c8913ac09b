"""The applicant's drafts of online applications (在线办理 · 暂存)."""

from django.conf import settings
from django.db import models


class Draft(models.Model):
    """An online application not yet submitted: the form, the chosen reuse offers and the delivery choice.
    Files are uploaded with the submission (a draft keeps no personal documents)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_drafts")
    applicant = models.ForeignKey("cases.Applicant", on_delete=models.CASCADE, related_name="+")
    item_version = models.ForeignKey("catalog.ItemVersion", on_delete=models.PROTECT, related_name="+")
    form_data = models.JSONField(default=dict, blank=True)
    reuse = models.JSONField("选用的免提交材料", default=list, blank=True)
    delivery = models.JSONField("结果领取方式", default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "在线申报草稿"
        ordering = ["-updated_at"]
