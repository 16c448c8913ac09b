"""Catalogue administration. Published versions are read-only; publishing, new drafts and delegation
go through the service functions (scope checks, audit log, search index)."""

from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from tongban.core.audit import record
from tongban.core.errors import DomainError

from . import search, services
from .models import (
    Bundle, BundleItem, FeeEntry, Item, ItemFee, ItemVersion, Material, PubStatus, ReviewPoint, Synonym, Topic,
)


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj):
        return obj is None or obj.status == PubStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class MaterialInline(DraftOnlyInline):
    model = Material
    fields = ["order", "name", "role", "form", "copies", "media", "source", "licence_type", "shared_key", "blank_form", "sample", "notes"]


class FeeInline(DraftOnlyInline):
    model = ItemFee


class ReviewPointInline(DraftOnlyInline):
    model = ReviewPoint


@admin.register(ItemVersion)
class ItemVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "status", "valid_from", "valid_to", "department", "promised_limit", "legal_limit"]
    list_filter = ["status", "item__level", "item__department"]
    search_fields = ["name", "aliases", "item__implementation_code"]
    readonly_fields = ["item", "number", "status", "valid_from", "valid_to", "published_at", "published_by"]
    filter_horizontal = ["topics"]
    inlines = [MaterialInline, FeeInline, ReviewPointInline]
    actions = ["publish_selected", "draft_from_selected"]

    @admin.display(description="实施主体")
    def department(self, obj):
        return obj.item.department

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request):
        return False  # new versions come from "基于所选版本新建草稿"; new items from the import or the API

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(request.user, "catalog.draft_edited", obj.item, data={"version": obj.number, "fields": form.changed_data})

    @admin.action(description="发布所选草稿(今日生效)")
    def publish_selected(self, request, queryset):
        for v in queryset.filter(status=PubStatus.DRAFT):
            try:
                services.publish_version(request.user, v)
                self.message_user(request, f"已发布:{v.name} 第{v.number}版")
            except DomainError as e:
                self.message_user(request, f"{v.name}:{e.message}", level=messages.ERROR)

    @admin.action(description="基于所选版本新建草稿")
    def draft_from_selected(self, request, queryset):
        for v in queryset:
            try:
                draft = services.new_draft(request.user, v.item)
                self.message_user(request, format_html('草稿:<a href="{}">{} 第{}版</a>', reverse("admin:catalog_itemversion_change", args=[draft.pk]), draft.name, draft.number))
            except DomainError as e:
                self.message_user(request, f"{v.name}:{e.message}", level=messages.ERROR)


class VersionInline(admin.TabularInline):
    model = ItemVersion
    fields = ["number", "name", "status", "valid_from", "valid_to"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["implementation_code", "__str__", "level", "region", "delegated_from"]
    list_filter = ["level", "type_code", "region"]
    search_fields = ["implementation_code", "basic_code", "versions__name"]
    readonly_fields = ["basic_code", "implementation_code", "delegated_from"]
    filter_horizontal = ["zones", "windows"]
    inlines = [VersionInline]
    actions = ["delegate_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # identity fields compose the codes; they never change after creation
            return self.readonly_fields + ["owner_code", "type_code", "type_code_system", "main_code", "sub_code", "level", "region", "department"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.action(description="下放到所辖全部县(市、区)(市县同权)")
    def delegate_selected(self, request, queryset):
        for item in queryset:
            try:
                created = services.delegate_item(request.user, item)
                self.message_user(request, f"{item}:新增{len(created)}个县级实施事项")
            except DomainError as e:
                self.message_user(request, f"{item}:{e.message}", level=messages.ERROR)


@admin.register(FeeEntry)
class FeeEntryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "standard", "department", "active"]
    search_fields = ["code", "name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "order"]
    list_filter = ["kind"]


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    raw_id_fields = ["item"]


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "promised_limit", "status"]
    inlines = [BundleItemInline]
    filter_horizontal = ["topics"]
    readonly_fields = ["status"]
    actions = ["publish_selected"]

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
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["term", "expansions"]
    search_fields = ["term", "expansions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        search.clear_synonym_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        search.clear_synonym_cache()
