from django.contrib import admin

from tongban.core.audit import record
from tongban.org.admin_access import NobodyWrites, RoleAccess, SuperuserWrites
from tongban.org.models import Role

from .models import CalendarDay, CalendarYear, Clock, ClockEvent, Extension, LevelBudget, Suspension, WarningPolicy


class SystemAdminAccess(RoleAccess):
    """Settings of the whole installation: system administrators (the calendar they only read here — it is
    published through 节假日安排录入, which recomputes the deadlines)."""

    role = Role.SYSTEM_ADMIN


class ReadOnly(SuperuserWrites, SystemAdminAccess):
    pass


class AuditedSettings(SystemAdminAccess):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(request.user, f"settings.{obj._meta.model_name}_saved", obj, data={"fields": form.changed_data})

    def delete_model(self, request, obj):
        record(request.user, f"settings.{obj._meta.model_name}_deleted", obj, data={"was": str(obj)})
        super().delete_model(request, obj)


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["year", "published", "source", "published_at"]
    readonly_fields = ["published", "published_at"]  # publishing goes through 节假日安排录入 (recomputes deadlines)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(WarningPolicy)
class WarningPolicyAdmin(AuditedSettings, admin.ModelAdmin):
    list_display = ["__str__", "days", "percent"]
    raw_id_fields = ["item"]


@admin.register(LevelBudget)
class LevelBudgetAdmin(AuditedSettings, admin.ModelAdmin):
    list_display = ["name", "levels", "max_days"]


class LedgerInline(NobodyWrites, SystemAdminAccess):
    """A clock's ledger rows: seen with the clock, never edited here."""

    extra = 0


class SuspensionInline(LedgerInline, admin.TabularInline):
    model = Suspension
    extra = 0
    can_delete = False
    readonly_fields = ["reason", "note", "start", "end"]


class ExtensionInline(LedgerInline, admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    readonly_fields = ["days", "reason", "approver", "approved_on"]


class EventInline(LedgerInline, admin.TabularInline):
    model = ClockEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "day", "at", "actor", "data"]


@admin.register(Clock)
class ClockAdmin(SystemAdminAccess, admin.ModelAdmin):
    """Read-only: clocks change only through the case services."""

    list_display = ["__str__", "start_date", "limit_days", "deadline", "light", "state", "provisional"]
    list_filter = ["state", "light", "provisional"]
    inlines = [SuspensionInline, ExtensionInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
