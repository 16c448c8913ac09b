"""Permission checks that services call before they change anything.

A grant covers an object when the object's region lies in the grant's region subtree and, if the
grant names a department, the object belongs to that department.
"""

from tongban.core.errors import NotAllowed

from .models import Department, Region, Role, RoleGrant


def grants(user, role: str) -> list[RoleGrant]:
    """The user's grants of `role`, read once per user object (one request) rather than once per check."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cache = getattr(user, "_grant_cache", None)
    if cache is None:
        cache = {}
        for g in RoleGrant.objects.filter(user=user).select_related("region", "department"):
            cache.setdefault(g.role, []).append(g)
        user._grant_cache = cache
    return cache.get(role, [])


def has_role(user, role: str, *, region: Region | None = None, department: Department | None = None) -> bool:
    if user and user.is_active and user.is_superuser:
        return True
    if region is None and department is not None:
        region = department.region
    for roles in (role, Role.SYSTEM_ADMIN):
        for g in grants(user, roles):
            if region is not None and not region.path.startswith(g.region.path):
                continue
            if g.department_id and department is not None and g.department_id != department.pk:
                continue
            if g.department_id and department is None and region is not None:
                continue  # a department-bound grant does not cover region-wide acts
            return True
    return False


def require(user, role: str, *, region: Region | None = None, department: Department | None = None, what: str = "") -> None:
    if not has_role(user, role, region=region, department=department):
        scope = department.name if department else (region.name if region else "")
        raise NotAllowed(f"您没有{scope}{Role(role).label}的权限" + (f",不能{what}" if what else ""))
