"""Organisation pages in the admin. A system administrator (系统管理员) manages the halls, windows, departments
and staff of the regions their grant covers: they give and take role grants only inside those regions, never
see or set the superuser flag or Django permissions, and cannot touch an account that holds grants elsewhere
(or a superuser). Region codes (GB/T 2260) are read-only. Every change of a staff account is audited."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q

from tongban.core.audit import record
from tongban.core.models import AuditEvent

from .admin_access import RoleAccess, SuperuserWrites
from .models import Department, Hall, Region, Role, RoleGrant, User, Window, Zone
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


@admin.register(Region)
class RegionAdmin(SuperuserWrites, SystemAdminAccess, admin.ModelAdmin):
    """The national code table (民政部), read here."""

    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(SystemAdminAccess, admin.ModelAdmin):
    list_display = ["name", "region", "function", "credit_code", "is_approval_bureau"]
    list_filter = ["is_approval_bureau", "region"]
    search_fields = ["name", "credit_code"]


class ZoneInline(SystemAdminAccess, admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Hall)
class HallAdmin(SystemAdminAccess, admin.ModelAdmin):
    list_display = ["name", "region", "address"]
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
class AuditEventAdmin(RoleAccess, admin.ModelAdmin):
    """The audit log (core keeps it; the roles that read it are org's): read by system administrators; nobody writes here."""

    role = Role.SYSTEM_ADMIN
    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
