"""Catalogue administration. Published versions are read-only; publishing, new drafts and delegation
go through the service functions (scope checks, audit log, search index).

Access follows the 事项管理员 role, not Django's model permissions (see org.admin_access): anyone holding it sees
the catalogue; a grant covering an item's department edits its drafts and the item, a region-wide grant the
region's bundles. Lists every region shares (收费清单, 办事主题, 检索同义词) are consulted by catalogue
administrators and changed by system administrators."""

from functools import reduce
from operator import or_

import re

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.db import transaction
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from tongban.core.audit import record
from tongban.core.errors import DomainError
from tongban.org.admin_access import RoleAccess
from tongban.org.models import Region, Role
from tongban.org.scopes import grants

from . import search, services
from .models import (
    Bundle, BundleItem, FeeEntry, Item, ItemFee, ItemVersion, Material, PubStatus, ReviewPoint, Synonym, Topic,
)


class ItemAccess(RoleAccess):
    """An item and its versions are changed under a grant covering the item's department."""

    def scope(self, item) -> dict:
        return {"department": item.department}


class VersionAccess(ItemAccess):
    """A version's content, and its inlines (whose `obj` is the version), change only while it is a draft."""

    def scope(self, version) -> dict:
        return super().scope(version.item)

    def editable(self, version) -> bool:
        return version.status == PubStatus.DRAFT


class LinesField(forms.CharField):
    """A list of short texts edited one per line (办理流程, 申请表字段) instead of raw JSON."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in re.split(r"[\r\n]+|→", value or "") if line.strip()]


UNCOUNTED = [("publicity", "公示"), ("site_survey", "现场踏勘")]  # the procedures an item may add (workcal's keys)


class ItemVersionForm(forms.ModelForm):
    flow = LinesField(label="办理流程", required=False, help_text="每行一个环节,如:申请、受理、审查、决定、送达")
    form_fields = LinesField(label="申请表字段", required=False, help_text="每行一个字段,如:经营场所、主体业态")
    uncounted_procedures = forms.MultipleChoiceField(
        label="不计入时限的程序", required=False, choices=UNCOUNTED, widget=forms.CheckboxSelectMultiple,
        help_text="听证、检验、检测、鉴定、专家评审等法定情形始终不计时;此处勾选本事项另行规定不计时的程序",
    )

    class Meta:
        model = ItemVersion
        fields = "__all__"


class DraftOnlyInline(VersionAccess, admin.TabularInline):
    extra = 0


class MaterialInline(DraftOnlyInline):
    model = Material
    fields = ["order", "name", "role", "form", "copies", "media", "source", "licence_type", "shared_key", "blank_form", "sample", "notes"]


class FeeInline(DraftOnlyInline):
    model = ItemFee


class ReviewPointInline(DraftOnlyInline):
    model = ReviewPoint


class ItemRegionFilter(admin.SimpleListFilter):
    """The regions that have items, within the user's grants — not every province and county of the table. With
    many regions, the admin's search box also takes a region's name or code."""

    title = "实施区划"
    parameter_name = "region"
    field = "region"

    def lookups(self, request, model_admin):
        prefix = "item__" if model_admin.model is ItemVersion else ""
        region_ids = model_admin.model.objects.values(f"{prefix}region").distinct()
        regions = Region.objects.filter(pk__in=region_ids)
        if not request.user.is_superuser:
            paths = [g.region.path for role in (Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN) for g in grants(request.user, role)]
            regions = regions.filter(reduce(or_, (Q(path__startswith=p) for p in paths), Q(pk__in=[])))
        # with the regions above them, as a tree: 四川省 › 眉山市 › 仁寿县
        codes = {c for path in regions.values_list("path", flat=True) for c in path.split("/") if c}
        tree = Region.objects.filter(code__in=codes).order_by("path")[:300]
        return [(r.code, "\u3000" * (r.level - 1) + f"{r.name}({r.code})") for r in tree]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        prefix = "item__" if queryset.model is ItemVersion else ""
        region = Region.objects.filter(code=self.value()).first()
        return queryset.filter(**{f"{prefix}region__path__startswith": region.path}) if region else queryset.none()


@admin.register(ItemVersion)
class ItemVersionAdmin(VersionAccess, admin.ModelAdmin):
    form = ItemVersionForm
    list_display = ["name", "number", "status", "valid_from", "valid_to", "department", "region", "promised_limit", "legal_limit"]
    list_filter = ["status", "item__level", ItemRegionFilter]
    search_fields = ["name", "aliases", "item__implementation_code", "item__department__name", "item__region__name"]
    readonly_fields = ["item", "number", "status", "valid_from", "valid_to", "published_at", "published_by", "corrects", "correction_reason"]
    list_select_related = ["item__department", "item__region"]
    filter_horizontal = ["topics"]
    inlines = [MaterialInline, FeeInline, ReviewPointInline]
    actions = ["publish_selected", "review_selected", "draft_from_selected"]

    @admin.display(description="实施主体")
    def department(self, obj):
        return obj.item.department

    @admin.display(description="实施区划")
    def region(self, obj):
        return obj.item.region

    def has_add_permission(self, request):
        return False  # new versions come from "基于所选版本新建草稿"; new items from the import or the API

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            changed = form.changed_data + [fs.prefix for fs in formsets if fs.has_changed()]  # e.g. "materials"
            record(request.user, "catalog.draft_edited", form.instance.item, data={"version": form.instance.number, "fields": changed})

    @admin.action(description="发布所选草稿(今日生效)")
    def publish_selected(self, request, queryset):
        for v in queryset.filter(status=PubStatus.DRAFT):
            try:
                services.publish_version(request.user, v)
                self.message_user(request, f"已发布:{v.name} 第{v.number}版")
            except DomainError as e:
                self.message_user(request, f"{v.name}:{e.message}", level=messages.ERROR)

    @admin.action(description="所选草稿转到“草稿审核发布”(指定生效日期或更正)")
    def review_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.filter(status=PubStatus.DRAFT).values_list("pk", flat=True))
        return HttpResponseRedirect(reverse("catalog:drafts") + (f"?ids={ids}" if ids else ""))

    @admin.action(description="基于所选版本新建草稿")
    def draft_from_selected(self, request, queryset):
        for v in queryset:
            try:
                draft = services.new_draft(request.user, v.item)
                self.message_user(request, format_html('草稿:<a href="{}">{} 第{}版</a>', reverse("admin:catalog_itemversion_change", args=[draft.pk]), draft.name, draft.number))
            except DomainError as e:
                self.message_user(request, f"{v.name}:{e.message}", level=messages.ERROR)


class VersionInline(ItemAccess, admin.TabularInline):
    model = ItemVersion
    fields = ["number", "name", "status", "valid_from", "valid_to"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a version is edited on its own page


@admin.register(Item)
class ItemAdmin(ItemAccess, admin.ModelAdmin):
    list_display = ["implementation_code", "__str__", "level", "region", "delegated_from"]
    list_filter = ["level", "type_code", ItemRegionFilter]
    search_fields = ["implementation_code", "basic_code", "versions__name", "province_basic_code", "province_implementation_code",
                     "region__name", "region__code", "department__name"]
    readonly_fields = ["basic_code", "implementation_code", "delegated_from", "new_draft_button"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_select_related = ["region", "delegated_from"]

    @admin.display(description="修改办事指南")
    def new_draft_button(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" formnovalidate id="new-draft">新建草稿</button>'
            ' <span class="help">从最新版本复制一个草稿(已有未发布的草稿则打开它)</span>',
            reverse("catalog:new_draft", args=[obj.implementation_code]),
        )
    filter_horizontal = ["zones", "windows"]
    inlines = [VersionInline]
    actions = ["delegate_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # identity fields compose the codes; they never change after creation
            return self.readonly_fields + ["owner_code", "type_code", "type_code_system", "main_code", "sub_code", "level", "region", "department"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, "catalog.item_edited", obj, data={"fields": form.changed_data})

    @admin.action(description="下放到所辖全部县(市、区)(市县同权)")
    def delegate_selected(self, request, queryset):
        for item in queryset:
            try:
                created = services.delegate_item(request.user, item)
                self.message_user(request, f"{item}:新增{len(created)}个县级实施事项")
            except DomainError as e:
                self.message_user(request, f"{item}:{e.message}", level=messages.ERROR)


class SharedList(RoleAccess):
    """A list every region shares: a county's catalogue administrator must not rewrite it for the whole platform."""

    edit_role = Role.SYSTEM_ADMIN


@admin.register(FeeEntry)
class FeeEntryAdmin(SharedList, admin.ModelAdmin):
    list_display = ["code", "name", "standard", "department", "active"]
    search_fields = ["code", "name"]


@admin.register(Topic)
class TopicAdmin(SharedList, admin.ModelAdmin):
    list_display = ["name", "kind", "code", "order"]
    list_filter = ["kind"]


def bundle_regions(user) -> list[str] | None:
    """Paths of the region subtrees where `user` keeps bundles (save_bundle's rule: a region-wide grant); None: all."""
    if user.is_superuser:
        return None
    return [g.region.path for role in (Role.CATALOG_ADMIN, Role.SYSTEM_ADMIN) for g in grants(user, role) if not g.department_id]


class BundleAccess(RoleAccess):
    def scope(self, bundle) -> dict:
        return {"region": bundle.region}


class BundleItemInline(BundleAccess, admin.TabularInline):
    model = BundleItem
    extra = 0
    raw_id_fields = ["item"]


@admin.register(Bundle)
class BundleAdmin(BundleAccess, admin.ModelAdmin):
    list_display = ["code", "name", "region", "promised_limit", "status"]
    inlines = [BundleItemInline]
    filter_horizontal = ["topics"]
    readonly_fields = ["status"]
    actions = ["publish_selected"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and bundle_regions(request.user) != []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        paths = bundle_regions(request.user) if db_field.name == "region" else None
        if paths is not None:  # a new bundle, or a moved one, stays within the user's regions
            kwargs["queryset"] = Region.objects.filter(reduce(or_, (Q(path__startswith=p) for p in paths), Q(pk__in=[])))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = form.changed_data + [fs.prefix for fs in formsets if fs.has_changed()]  # e.g. "entries"
        record(request.user, "catalog.bundle_edited", form.instance, data={"fields": changed}, new=not change)

    @admin.action(description="发布所选一件事")
    def publish_selected(self, request, queryset):
        for b in queryset:
            try:
                services.save_bundle(
                    request.user, code=b.code, name=b.name, region=b.region, promised_limit=b.promised_limit,
                    items=[e.item for e in b.entries.order_by("order")], description=b.description, topics=list(b.topics.all()),
                )
                self.message_user(request, f"已发布:{b.name}")
            except DomainError as e:
                self.message_user(request, f"{b.name}:{e.message}", level=messages.ERROR)


@admin.register(Synonym)
class SynonymAdmin(SharedList, admin.ModelAdmin):
    list_display = ["term", "expansions"]
    search_fields = ["term", "expansions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        search.clear_synonym_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        search.clear_synonym_cache()
