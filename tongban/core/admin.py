from django.contrib import admin

from tongban.org.admin_access import RoleAccess
from tongban.org.models import Role

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(RoleAccess, admin.ModelAdmin):
    """Read by system administrators; nobody writes here."""

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
