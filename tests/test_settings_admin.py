"""Settings and audit pages in /admin/ follow role grants: a system administrator reads the calendar, clocks
and audit log and edits warning policies (audited); other staff see none of it."""

import pytest

from tests import factories
from tongban.core.models import AuditEvent
from tongban.workcal.models import WarningPolicy

pytestmark = pytest.mark.django_db


def staff(role):
    user = factories.UserFactory(is_staff=True)
    return factories.grant(user, role)


def test_a_system_administrator_edits_a_warning_policy_and_reads_the_rest(client):
    client.force_login(staff("system_admin"))
    index = client.get("/admin/").content.decode()
    assert "预警规则" in index and "审计日志" in index
    policy = WarningPolicy.objects.get(item__isnull=True)
    r = client.post(f"/admin/workcal/warningpolicy/{policy.pk}/change/", {"days": 3, "percent": 75, "item": "", "_save": "保存"})
    assert r.status_code == 302
    policy.refresh_from_db()
    assert (policy.days, policy.percent) == (3, 75)
    assert AuditEvent.objects.filter(action="settings.warningpolicy_saved").exists()
    assert client.get("/admin/workcal/calendarday/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_other_staff_see_no_settings_and_no_audit_log(client):
    client.force_login(staff("window_clerk"))
    assert "预警规则" not in client.get("/admin/").content.decode()
    for url in ("/admin/workcal/warningpolicy/", "/admin/core/auditevent/", "/admin/workcal/clock/"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["system_admin", "catalog_admin", "supervisor"])
def test_every_admin_page_answers_a_role_holder_without_an_error(client, admin, role):
    """Each registered model's list, add page and first object, for non-superuser staff: a page or a refusal,
    never a 500."""
    from django.contrib import admin as django_admin

    factories.make_item(admin)
    client.force_login(staff(role))
    for model in django_admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for url in (base, base + "add/"):
            assert client.get(url).status_code in (200, 302, 403), url
        first = model.objects.order_by("pk").first()
        if first is not None:
            assert client.get(f"{base}{first.pk}/change/").status_code in (200, 302, 403), f"{base}{first.pk}/change/"
