"""Process administration (流程管理) for catalogue administrators.

Who may do what follows the catalogue's roles, not Django's model permissions: anyone holding a 事项管理员
grant sees the processes; only one whose grant covers the item's department edits a draft, publishes it or
copies a published version into a new draft. Published versions and their steps are read-only; publishing
and copying go through definitions.publish_process / copy_as_draft (validation, audit log), and every
refusal comes back as a Chinese admin message."""

import re
from graphlib import CycleError

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from tongban.catalog.models import Item, ItemVersion, PubStatus
from tongban.core.errors import DomainError
from tongban.org.models import Department, Role
from tongban.org.admin_access import RoleAccess
from tongban.org.scopes import grants

from . import definitions
from .diagram import svg
from .models import Process, Step

CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


def _is_draft(process) -> bool:
    return process is None or process.status == PubStatus.DRAFT


class ProcessAccess(RoleAccess):
    """事项管理员 see every process; a grant covering the item's department edits its drafts (inlines: the parent's)."""

    def scope(self, process) -> dict:
        return {"department": process.item.department} if process.item_id else {}

    def editable(self, process) -> bool:
        return _is_draft(process)


def _items(texts) -> str:
    return format_html_join("", "<li>{}</li>", ((t,) for t in texts))


def _latest_name():
    return Subquery(ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-number").values("name")[:1])


def manageable_items(user):
    """Items whose processes `user` may edit: in the region (and department) of one of their grants."""
    items = Item.objects.select_related("department", "region").annotate(latest_name=_latest_name())
    if user.is_superuser or grants(user, Role.SYSTEM_ADMIN):
        return items
    scope = Q(pk__in=[])
    for g in grants(user, Role.CATALOG_ADMIN):
        scope |= Q(region__path__startswith=g.region.path, **({"department": g.department} if g.department_id else {}))
    return items.filter(scope)


def departments_in_scope(item):
    """Departments that may run a step of `item`'s process: in the item's region, above it or below it."""
    ancestors = [code for code in item.region.path.split("/") if code]
    scope = Q(region__path__startswith=item.region.path) | Q(region__code__in=ancestors)
    return Department.objects.filter(scope).select_related("region")


class ItemChoice(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return f"{item.latest_name or item.basic_code}({item.department.name})"


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["item", "valid_from"]
        labels = {"valid_from": "计划生效日期"}
        help_texts = {"valid_from": "发布时采用;留空则自发布当日起生效"}

    def clean_valid_from(self):
        day = self.cleaned_data.get("valid_from")
        if day and day < timezone.localdate():
            raise forms.ValidationError("计划生效日期不得早于今天")
        return day

    def clean_item(self):
        item = self.cleaned_data.get("item")
        if item is not None and self.instance.pk is None:
            draft = item.processes.filter(status=PubStatus.DRAFT).first()
            if draft is not None:  # one open draft per item, as when copying
                raise forms.ValidationError(f"该事项已有流程草稿第{draft.number}版,请先编辑或删除该草稿")
        return item


class StepForm(forms.ModelForm):
    """`after` and the review points as text a person can type: codes separated by commas, one point a line."""

    after = forms.CharField(label="前置环节", required=False, widget=forms.TextInput(attrs={"size": 40}),
                            help_text="所等待环节的名称(或编码),以逗号、顿号或空格分隔;前置相同的环节并行办理;起始环节留空")
    review_points = forms.CharField(label="审查要点", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                                    help_text="每行一项;审查人员须逐项作答")

    class Meta:
        model = Step
        fields = ["order", "code", "name", "kind", "department", "role", "after", "budget_workdays", "suspends_clock",
                  "is_lead", "joint_departments", "review_points"]
        labels = {"order": "顺序"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            names = dict(Step.objects.filter(process_id=self.instance.process_id).values_list("code", "name"))
            self.initial["after"] = "、".join(names.get(c, c) for c in self.instance.after or [])
            self.initial["review_points"] = "\n".join(self.instance.review_points or [])

    def clean_after(self):
        """Names or codes as typed; the formset turns names into the codes of this process's steps."""
        return list(dict.fromkeys(c for c in re.split(r"[\s,,、;;]+", self.cleaned_data.get("after", "")) if c))

    def clean_review_points(self):
        return [line.strip() for line in self.cleaned_data.get("review_points", "").splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if data.get("code") and data.get("code") in (data.get("after") or []):
            self.add_error("after", "环节不能等待自身")
        return data


class StepFormSet(forms.BaseInlineFormSet):
    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        codes = [f.cleaned_data["code"] for f in kept]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:  # before Django's own unique check, whose message names the field in English
            raise forms.ValidationError(f"环节编码重复:{'、'.join(dupes)}")
        super().clean()
        by_name = {f.cleaned_data["name"]: f.cleaned_data["code"] for f in kept if f.cleaned_data.get("name")}
        for f in kept:
            resolved = [c if c in codes else by_name.get(c, c) for c in f.cleaned_data["after"]]
            unknown = [c for c in resolved if c not in codes]
            if unknown:
                f.add_error("after", f"本流程没有名称或编码为 {'、'.join(unknown)} 的环节")
                continue
            if f.cleaned_data.get("code") in resolved:
                f.add_error("after", "环节不能等待自身")
                continue
            f.cleaned_data["after"] = list(dict.fromkeys(resolved))
            f.instance.after = f.cleaned_data["after"]


class StepInline(ProcessAccess, admin.StackedInline):
    model = Step
    form = StepForm
    formset = StepFormSet
    extra = 0
    filter_horizontal = ["joint_departments"]
    common = [("department", "role", "budget_workdays"), ("suspends_clock", "is_lead")]
    draft_fieldsets = [
        (None, {"fields": [("order", "code", "name", "kind"), *common, "after", "review_points"]}),
        ("联合踏勘部门(仅“联合踏勘”环节填写,至少两个部门)", {"fields": ["joint_departments"], "classes": ["collapse"]}),
    ]
    published_fieldsets = [
        (None, {"fields": [("order_text", "code", "name", "kind"), *common, "after_text", "joint_text", "points_text"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        return self.draft_fieldsets if _is_draft(obj) else self.published_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if _is_draft(obj) else ["order_text", "after_text", "joint_text", "points_text"]

    def get_formset(self, request, obj=None, **kwargs):
        self._parent = obj
        return super().get_formset(request, obj, **kwargs)

    def _scoped(self, kwargs):
        parent = getattr(self, "_parent", None)
        if parent is not None:
            kwargs["queryset"] = departments_in_scope(parent.item)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs = self._scoped(kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "joint_departments":
            kwargs = self._scoped(kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="顺序")
    def order_text(self, step):
        return step.order

    @admin.display(description="前置环节")
    def after_text(self, step):
        names = dict(Step.objects.filter(process_id=step.process_id).values_list("code", "name"))
        return "、".join(names.get(c, c) for c in step.after) or "—(起始环节)"

    @admin.display(description="联合踏勘部门")
    def joint_text(self, step):
        return "、".join(d.name for d in step.joint_departments.all()) or "—"

    @admin.display(description="审查要点")
    def points_text(self, step):
        return format_html_join("", "<div>{}. {}</div>", ((i, p) for i, p in enumerate(step.review_points or [], 1))) or "—"


@admin.register(Process)
class ProcessAdmin(ProcessAccess, admin.ModelAdmin):
    form = ProcessForm
    inlines = [StepInline]
    list_display = ["item_name", "number", "status", "valid_from", "valid_to", "step_count", "region", "department"]
    list_display_links = ["item_name", "number"]
    list_filter = ["status", "item__level", ("item__region", admin.RelatedOnlyFieldListFilter),
                   ("item__department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["item__versions__name", "item__implementation_code"]
    actions = ["publish_selected", "copy_as_draft"]
    list_select_related = ["item__region", "item__department"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item__region", "item__department").annotate(
            n_steps=Count("steps", distinct=True), item_latest=Subquery(
                ItemVersion.objects.filter(item=OuterRef("item_id")).order_by("-number").values("name")[:1]))

    info_fields = ["number", "status", "valid_to", "published", "checks", "diagram"]

    def get_fields(self, request, obj=None):
        return ["item", "valid_from"] if obj is None else ["item_name", "valid_from", *self.info_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["item_name", *self.info_fields] + ([] if _is_draft(obj) else ["valid_from"])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item":
            kwargs.update(queryset=manageable_items(request.user), form_class=ItemChoice)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:  # through the service: the next number under the item's lock, and the audit entry
            created = definitions.define(request.user, obj.item, [])
            obj.pk, obj.number = created.pk, created.number
            if obj.valid_from:
                Process.objects.filter(pk=obj.pk).update(valid_from=obj.valid_from)
            return
        super().save_model(request, obj, form, change)

    @admin.display(description="事项", ordering="item_latest")
    def item_name(self, obj):
        """The item's name with its implementing authority and code: two processes of items with the same name
        (the city's and a county's, say) are told apart."""
        name = getattr(obj, "item_latest", None) or obj.item.versions.order_by("-number").values_list("name", flat=True).first()
        return f"{name or obj.item.basic_code}({obj.item.department.name} · {obj.item.implementation_code})"

    @admin.display(description="环节数", ordering="n_steps")
    def step_count(self, obj):
        return obj.n_steps

    @admin.display(description="办理区域", ordering="item__region__code")
    def region(self, obj):
        return obj.item.region.name

    @admin.display(description="实施主体")
    def department(self, obj):
        return obj.item.department.name

    @admin.display(description="发布")
    def published(self, obj):
        if obj.published_at is None:
            return "尚未发布"
        who = (obj.published_by.display_name or obj.published_by.username) if obj.published_by else "系统"
        return f"{timezone.localtime(obj.published_at):%Y-%m-%d %H:%M} · {who}"

    @admin.display(description="发布前检查")
    def checks(self, obj):
        if not _is_draft(obj):
            return "已发布"
        found = definitions.problems(obj)
        if not found:
            return mark_safe('<span style="color:#15803d">校验通过,可以发布</span>')
        return format_html("<ul style='margin:0;padding-left:1.2em;color:#b91c1c'>{}</ul>", _items(found))

    @admin.display(description="流程图")
    def diagram(self, obj):
        try:
            drawing = svg(obj)
        except CycleError:
            return "流程存在循环,无法绘制"
        return mark_safe(f'<div style="max-width:100%;overflow-x:auto">{drawing}</div>') if drawing else "—"

    @admin.action(description="发布")
    def publish_selected(self, request, queryset):
        today = timezone.localdate()
        for process in queryset.select_related("item__department__region"):
            label = f"{self.item_name(process)} 流程第{process.number}版"
            if process.status != PubStatus.DRAFT:
                self.message_user(request, f"{label}已发布,无需重复发布;如需修改请先“复制为新草稿”", level=messages.WARNING)
                continue
            if process.valid_from and process.valid_from < today:
                self.message_user(request, f"{label}未发布:计划生效日期不得早于今天", level=messages.ERROR)
                continue
            try:
                published = definitions.publish_process(request.user, process, valid_from=process.valid_from)
            except DomainError as e:
                reasons = e.details or [e.message]
                self.message_user(request, format_html("{}未发布:<ul style='margin:0'>{}</ul>", label, _items(reasons)),
                                  level=messages.ERROR)
                continue
            self.message_user(request, f"已发布:{label},自{published.valid_from:%Y年%m月%d日}起生效", level=messages.SUCCESS)

    @admin.action(description="复制为新草稿")
    def copy_as_draft(self, request, queryset):
        for process in queryset.select_related("item__department__region"):
            label = f"{self.item_name(process)} 流程第{process.number}版"
            if process.status != PubStatus.PUBLISHED:
                self.message_user(request, f"{label}是草稿,可直接编辑;请选择已发布的版本复制", level=messages.WARNING)
                continue
            try:
                draft = definitions.copy_as_draft(request.user, process)
            except DomainError as e:
                self.message_user(request, f"{label}未复制:{e.message}", level=messages.ERROR)
                continue
            url = reverse("admin:workflow_process_change", args=[draft.pk])
            link = format_html('<a href="{}">{} 流程第{}版</a>', url, self.item_name(process), draft.number)
            self.message_user(request, format_html("已复制为草稿:{}", link), level=messages.SUCCESS)
