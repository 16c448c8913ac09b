"""Changes to the organisation that have a door outside the admin: departments imported in bulk."""

from django.db import transaction

from tongban.core.audit import record

from .models import Department, Role
from .scopes import require


def save_departments(actor, rows: list[dict]) -> dict:
    """Create or update departments by credit code, in one transaction; rows already validated (name, credit_code,
    region, function, short_name, is_approval_bureau). A system administrator of each department's region."""
    for r in rows:
        require(actor, Role.SYSTEM_ADMIN, region=r["region"], what="批量导入部门")
    out = {"created": 0, "updated": 0, "unchanged": 0}
    fields = ["name", "region", "function", "short_name", "is_approval_bureau"]
    with transaction.atomic():
        existing = {d.credit_code: d for d in Department.objects.select_for_update().filter(credit_code__in=[r["credit_code"] for r in rows])}
        for r in rows:
            d = existing.get(r["credit_code"])
            if d is None:
                d = Department.objects.create(**{k: r[k] for k in fields}, credit_code=r["credit_code"])
                record(actor, "org.department_imported", d, data={"name": d.name, "credit_code": d.credit_code}, new=True)
                out["created"] += 1
                continue
            changed = [k for k in fields if getattr(d, k) != r[k]]
            if not changed:
                out["unchanged"] += 1
                continue
            require(actor, Role.SYSTEM_ADMIN, region=d.region, what="修改部门")
            for k in changed:
                setattr(d, k, r[k])
            d.save(update_fields=changed)
            record(actor, "org.department_imported", d, data={"fields": changed})
            out["updated"] += 1
    return out
