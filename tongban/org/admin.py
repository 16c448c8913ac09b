from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Department, Hall, Region, RoleGrant, User, Window, Zone


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "function", "credit_code", "is_approval_bureau"]
    list_filter = ["is_approval_bureau", "region"]
    search_fields = ["name", "credit_code"]


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "address"]
    inlines = [ZoneInline]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "hall", "comprehensive", "active"]
    list_filter = ["hall", "comprehensive"]
    filter_horizontal = ["zones"]


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["region", "department", "window"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "is_staff", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("工作信息", {"fields": ("display_name", "phone")}),)
    inlines = [RoleGrantInline]
