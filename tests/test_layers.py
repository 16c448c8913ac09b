"""The apps' layers (issue #9): core imports no app, org keeps the tokens and the roles, schedules are registered."""

from django.test import RequestFactory

from tests import factories
from tongban.core import auth as core_auth
from tongban.org import auth as org_auth
from tongban.org.models import ApiToken


def test_a_bearer_token_is_checked_by_org_whichever_module_a_router_imports(db):
    clerk = factories.grant(factories.UserFactory(), "clerk")
    _, key = ApiToken.issue(clerk, "叫号机")
    for staff_auth in (org_auth.STAFF_AUTH, core_auth.STAFF_AUTH):
        bearer = staff_auth[0]
        assert bearer.authenticate(RequestFactory().get("/"), key) == clerk
        assert bearer.authenticate(RequestFactory().get("/"), key + "x") is None


def test_a_system_administrator_reads_the_audit_log_in_the_admin_and_cannot_change_it(client, db):
    sysadmin = factories.grant(factories.UserFactory(is_staff=True), "system_admin")
    client.force_login(sysadmin)
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/auditevent/add/").status_code == 403
