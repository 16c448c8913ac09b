"""Admin pages whose access follows role grants, not Django's model permissions (which no role is given).

Anyone holding `role` sees the model (its app shows on the admin index); adding, changing or deleting needs a
grant of `edit_role` (default: `role`) that covers the object (`scope`: its department, its region) and an object
that may change at all (`editable`: a draft, not a published version). Everyone else gets 403 and no app.
Superusers and system administrators pass as `has_role` lets them. The services check the same grants again."""

from .models import Role
from .scopes import has_role


class RoleAccess:
    """Mixin for a ModelAdmin or an InlineModelAdmin: on an inline, `obj` is the parent object."""

    role = Role.CATALOG_ADMIN
    edit_role = None  # e.g. Role.SYSTEM_ADMIN for lists that every region shares: consulted by `role`, changed by it

    def scope(self, obj) -> dict:
        """has_role() keywords (department=…, region=…) that a grant must cover to change `obj`; {}: any grant."""
        return {}

    def editable(self, obj) -> bool:
        return True

    def may_view(self, request) -> bool:
        return has_role(request.user, self.role)

    def may_edit(self, request, obj=None) -> bool:
        if obj is not None and not self.editable(obj):
            return False
        return has_role(request.user, self.edit_role or self.role, **(self.scope(obj) if obj is not None else {}))

    def has_module_permission(self, request):
        return self.may_view(request)

    def has_view_permission(self, request, obj=None):
        return self.may_view(request)

    def has_add_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.may_edit(request, obj)


class SuperuserWrites:
    """Mixin (before RoleAccess): the role holders read; only a superuser adds, changes or deletes — reference
    tables loaded from official sources (region codes, the published calendar)."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class NobodyWrites:
    """Mixin (before RoleAccess): a record kept by the platform itself (audit log, clock ledgers): the role holders
    read it; nobody adds, changes or deletes it in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
