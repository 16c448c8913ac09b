"""Staff accounts in the admin: a region's system administrator gives role grants only inside the regions their
own grant covers, never sees the superuser flag, and cannot touch accounts that hold grants elsewhere."""

import pytest

from tests import factories
from tongban.core.models import AuditEvent
from tongban.org.models import RoleGrant, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def qufu_admin(client):
    user = factories.grant(factories.UserFactory(is_staff=True, username="qf_sysadmin"), "system_admin", region_code="370881")
    client.force_login(user)
    return user


def grant_form(user, rows):
    form = {"username": user.username, "display_name": user.display_name or "", "phone": "", "is_active": "on", "is_staff": "on",
            "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01", "date_joined_1": "08:00:00",
            "grants-TOTAL_FORMS": len(rows), "grants-INITIAL_FORMS": 0, "grants-MIN_NUM_FORMS": 0, "grants-MAX_NUM_FORMS": 1000,
            "_save": "保存"}
    for i, (role, region) in enumerate(rows):
        form.update({f"grants-{i}-role": role, f"grants-{i}-region": factories.region(region).pk,
                     f"grants-{i}-department": "", f"grants-{i}-window": ""})
    return form


def test_a_county_system_administrator_grants_a_clerk_role_in_the_county(client, qufu_admin):
    clerk = User.objects.create_user(username="qf_clerk_new", password="Tongban@2026", display_name="孔令娟")
    page = client.get(f"/admin/org/user/{clerk.pk}/change/").content.decode()
    assert "is_superuser" not in page and "user_permissions" not in page
    r = client.post(f"/admin/org/user/{clerk.pk}/change/", grant_form(clerk, [("window_clerk", "370881")]))
    assert r.status_code == 302, r.content.decode()[:3000]
    assert RoleGrant.objects.filter(user=clerk, role="window_clerk", region__code="370881").exists()
    assert AuditEvent.objects.filter(action="org.grants_changed", object_id=str(clerk.pk)).exists()


def test_no_grant_outside_the_county_and_no_superuser_flag(client, qufu_admin):
    clerk = User.objects.create_user(username="qf_clerk_two", password="Tongban@2026")
    r = client.post(f"/admin/org/user/{clerk.pk}/change/", {**grant_form(clerk, [("system_admin", "370800")]), "is_superuser": "on"})
    assert r.status_code == 200 and "有效" in r.content.decode()  # the form comes back: 济宁市 is not one of the choices
    clerk.refresh_from_db()
    assert not clerk.grants.exists() and not clerk.is_superuser


def test_accounts_with_grants_elsewhere_and_superusers_are_out_of_reach(client, qufu_admin):
    city_clerk = factories.grant(factories.UserFactory(), "window_clerk", region_code="370800")
    root = User.objects.create_superuser(username="root2", password="Tongban@2026x")
    for user in (city_clerk, root):
        assert client.post(f"/admin/org/user/{user.pk}/change/", grant_form(user, [])).status_code == 403
        assert client.get(f"/admin/org/user/{user.pk}/password/").status_code == 403


def test_staff_without_the_role_see_no_organisation_pages(client):
    client.force_login(factories.grant(factories.UserFactory(is_staff=True), "window_clerk"))
    assert client.get("/admin/org/user/").status_code == 403
    assert client.get("/admin/org/department/").status_code == 403


def test_departments_and_halls_only_in_the_county(client, qufu_admin):
    city = factories.DepartmentFactory(name="济宁市市场监督管理局", region=factories.region("370800"))
    county = factories.DepartmentFactory(name="曲阜市市场监督管理局", region=factories.region("370881"))
    assert client.get(f"/admin/org/department/{county.pk}/change/").status_code == 200
    r = client.post(f"/admin/org/department/{city.pk}/change/", {"name": "改名", "region": city.region_id, "function": "market"})
    assert r.status_code == 403
    city.refresh_from_db()
    assert city.name == "济宁市市场监督管理局"
