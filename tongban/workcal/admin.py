from django.contrib import admin

from .models import CalendarDay, CalendarYear, Clock, ClockEvent, Extension, LevelBudget, Suspension, WarningPolicy


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "published", "source", "published_at"]
    readonly_fields = ["published", "published_at"]  # publishing goes through 节假日安排录入 (recomputes deadlines)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(WarningPolicy)
class WarningPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "days", "percent"]
    raw_id_fields = ["item"]


@admin.register(LevelBudget)
class LevelBudgetAdmin(admin.ModelAdmin):
    list_display = ["name", "levels", "max_days"]


class SuspensionInline(admin.TabularInline):
    model = Suspension
    extra = 0
    can_delete = False
    readonly_fields = ["reason", "note", "start", "end"]


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 0
    can_delete = False
    readonly_fields = ["days", "reason", "approver", "approved_on"]


class EventInline(admin.TabularInline):
    model = ClockEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "day", "at", "actor", "data"]


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change only through the case services."""

    list_display = ["__str__", "start_date", "limit_days", "deadline", "light", "state", "provisional"]
    list_filter = ["state", "light", "provisional"]
    inlines = [SuspensionInline, ExtensionInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
