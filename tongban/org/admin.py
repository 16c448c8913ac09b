"""Organisation pages in the admin. A system administrator (系统管理员) manages the halls, windows, departments
and staff of the regions their grant covers: they give and take role grants only inside those regions, never
see or set the superuser flag or Django permissions, and cannot touch an account that holds grants elsewhere
(or a superuser). They add regions under their own (a new county, a town) and retire them with an end date. Every change of a staff account is audited."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q

from tongban.core.audit import record
from tongban.core.models import AuditEvent
from tongban.core.errors import DomainError

from .admin_access import NobodyWrites, RoleAccess
from .models import Department, Hall, Region, Role, RoleGrant, User, Window, Zone
from .regions import add_region, check_new_region, retire_region
from .scopes import grants


def admin_regions(user) -> Q:
    """The regions a user's system-administrator grants cover, as a filter on Region."""
    q = Q(pk__in=[])
    for g in grants(user, Role.SYSTEM_ADMIN):
        q |= Q(path__startswith=g.region.path)
    return q


class SystemAdminAccess(RoleAccess):
    role = Role.SYSTEM_ADMIN

    def region_of(self, obj):
        return obj.region

    def scope(self, obj) -> dict:
        return {"region": self.region_of(obj)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            own = admin_regions(request.user)
            if db_field.related_model is Region:
                kwargs["queryset"] = Region.objects.filter(own)
            elif db_field.related_model is Department:
                kwargs["queryset"] = Department.objects.filter(region__in=Region.objects.filter(own))
            elif db_field.related_model is Hall:
                kwargs["queryset"] = Hall.objects.filter(region__in=Region.objects.filter(own))
            elif db_field.related_model is Window:
                kwargs["queryset"] = Window.objects.filter(hall__region__in=Region.objects.filter(own))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "valid_from", "valid_to", "note"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not self.errors:
            for fld, message in check_new_region(code=data.get("code", ""), name=data.get("name", ""), level=data.get("level"),
                                                 parent=data.get("parent")):
                self.add_error(fld, message)
        start, end = data.get("valid_from") or self.instance.valid_from, data.get("valid_to")
        if start and end and end <= start:
            self.add_error("valid_to", "停用日期须晚于启用日期")
        return data


@admin.register(Region)
class RegionAdmin(SystemAdminAccess, admin.ModelAdmin):
    """The national code table (GB/T 2260, loaded from the shipped file). A system administrator adds regions
    under the regions of their grant (a new county, a town, a village) and retires them with an end date;
    codes, levels and parents never change once added (a changed code is a new region)."""

    form = RegionForm
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]

    change_list_template = "admin/org/region/change_list.html"

    def region_of(self, obj):
        return obj.parent or obj

    def get_urls(self):
        from django.urls import path

        return [path("import-towns/", self.admin_site.admin_view(self.import_towns_view), name="org_region_import_towns"), *super().get_urls()]

    def import_towns_view(self, request):
        """乡镇、村级区划 from the statistics bureau's CSV, for the counties of the administrator's own regions."""
        from django.contrib import messages
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        from .regions import import_towns

        if not self.may_edit(request):
            raise PermissionDenied
        if request.method == "POST" and request.FILES.get("file"):
            try:
                text = request.FILES["file"].read().decode("utf-8-sig")
            except UnicodeDecodeError:
                messages.error(request, "文件应为 UTF-8 编码的 CSV")
                return redirect(request.path)
            try:
                report = import_towns(request.user, text)
            except DomainError as e:
                messages.error(request, e.message)
                return redirect(request.path)
            note = f"新增 {report.added} 个、更名 {report.renamed} 个乡级/村级区划"
            if report.skipped:
                note += f";上级区划不在代码表中而跳过 {len(report.skipped)} 个(如 {'、'.join(report.skipped[:5])})"
            if report.outside:
                note += f";不在您管辖范围而跳过 {len(report.outside)} 个"
            messages.success(request, note)
            return redirect("admin:org_region_changelist")
        return TemplateResponse(request, "admin/org/region/import_towns.html", {
            **self.admin_site.each_context(request), "title": "导入乡镇、村级区划(统计用区划代码)", "opts": self.model._meta,
        })

    def get_readonly_fields(self, request, obj=None):
        return ["code", "level", "parent", "valid_from"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                created = add_region(request.user, code=data["code"], name=data["name"], level=data["level"],
                                     parent=data.get("parent"), valid_from=data.get("valid_from"), note=data.get("note", ""))
                obj.pk = created.pk
                obj.path = created.path
                return
            if "valid_to" in form.changed_data and data.get("valid_to"):
                retire_region(request.user, obj, data["valid_to"], data.get("note", ""))
            with transaction.atomic():
                Region.objects.filter(pk=obj.pk).update(name=obj.name, note=obj.note, valid_to=obj.valid_to)
                record(request.user, "org.region_saved", obj, data={"fields": form.changed_data})
        except DomainError as e:
            raise PermissionDenied(e.message) from None


@admin.register(Department)
class DepartmentAdmin(SystemAdminAccess, admin.ModelAdmin):
    list_display = ["name", "region", "function", "credit_code", "is_approval_bureau"]
    list_filter = ["is_approval_bureau", ("region", admin.RelatedOnlyFieldListFilter)]  # regions with departments, not the national table
    search_fields = ["name", "credit_code", "region__name", "region__code"]
    autocomplete_fields = ["region"]  # a searchable choice among 3,000 regions


class ZoneInline(SystemAdminAccess, admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Hall)
class HallAdmin(SystemAdminAccess, admin.ModelAdmin):
    list_display = ["name", "region", "address"]
    autocomplete_fields = ["region"]
    inlines = [ZoneInline]


@admin.register(Window)
class WindowAdmin(SystemAdminAccess, admin.ModelAdmin):
    list_display = ["number", "name", "hall", "comprehensive", "active"]
    list_filter = ["hall", "comprehensive"]
    filter_horizontal = ["zones"]

    def region_of(self, obj):
        return obj.hall.region


class RoleGrantInline(SystemAdminAccess, admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["region", "department", "window"]  # the choices are still limited to the admin's regions

    def scope(self, obj) -> dict:
        return {}  # the parent account's scope is checked by UserAdmin; each grant's region by its form's choices


@admin.register(User)
class UserAdmin(SystemAdminAccess, BaseUserAdmin):
    list_display = ["username", "display_name", "is_staff", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("工作信息", {"fields": ("display_name", "phone")}),)
    inlines = [RoleGrantInline]

    def may_edit(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        if not super().may_edit(request, None):
            return False
        if obj is None:
            return True
        if obj.is_superuser:
            return False
        own = Region.objects.filter(admin_regions(request.user))
        return not obj.grants.exclude(region__in=own).exists()  # every grant the account holds lies in our regions

    def scope(self, obj) -> dict:
        return {}

    def get_fieldsets(self, request, obj=None):
        sets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return sets
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in sets]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, "org.user_saved" if change else "org.user_created", obj,
               data={"fields": [f for f in form.changed_data if f not in ("password", "password1", "password2")]})

    def save_formset(self, request, form, formset, change):
        before = {g.pk: str(g) for g in form.instance.grants.all()} if form.instance.pk else {}
        super().save_formset(request, form, formset, change)
        after = {g.pk: str(g) for g in form.instance.grants.all()}
        added = [after[k] for k in after.keys() - before.keys()]
        removed = [before[k] for k in before.keys() - after.keys()]
        if added or removed:
            record(request.user, "org.grants_changed", form.instance, data={"added": added, "removed": removed})


@admin.register(AuditEvent)
class AuditEventAdmin(NobodyWrites, RoleAccess, admin.ModelAdmin):
    """The audit log (core keeps it; the roles that read it are org's): read by system administrators; nobody writes here."""

    role = Role.SYSTEM_ADMIN
    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]


# --- login lockouts (django-axes) ---------------------------------------------------------------------------------

@admin.register(AccessAttempt)
class LoginLockoutAdmin(RoleAccess, AccessAttemptAdmin):
    """Failed logins by account and address, with their lockout status: system administrators see them and lift a
    lockout by deleting its row. Nothing here is added or edited by hand."""

    role = Role.SYSTEM_ADMIN

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
