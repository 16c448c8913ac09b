"""The applicant's drafts of online applications (在线办理 · 暂存)."""

from django.conf import settings
from django.db import models


class Draft(models.Model):
    """An online application not yet submitted: the form, the chosen reuse offers, the delivery choice and the
    files uploaded so far (`DraftFile`), which the submission uses for the materials it does not upload again."""

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


class DraftFile(models.Model):
    """A material's file kept with a draft: checked like any upload, stored under a random name, deleted with the
    draft (after its submission the case keeps its own copy)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    material = models.ForeignKey("catalog.Material", on_delete=models.CASCADE, related_name="+")
    file = models.FileField("文件", upload_to="drafts/%Y/%m/")
    name = models.CharField("原文件名", max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "草稿材料文件"
        ordering = ["material__order", "id"]
        constraints = [models.UniqueConstraint(fields=["draft", "material"], name="one_file_per_draft_material")]
