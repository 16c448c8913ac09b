"""Login throttling (django-axes), password rules, idle sessions, no caching of personal data, the CSP."""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from tests import factories
from tongban.core.sessions import LAST_SEEN, client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "Tongban@2026"


@pytest.fixture
def clerk(db):
    user = factories.grant(factories.UserFactory(username="clerk1"), "window_clerk")
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client, username, password, ip="10.0.0.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_an_account_is_locked_after_ten_wrong_passwords_and_the_right_one_then_fails(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "clerk1", "wrong-password-123").status_code == 200
    r = login(client, "clerk1", "wrong-password-123")
    assert r.status_code == 429 and "登录已暂时锁定" in r.content.decode()
    r = login(client, "clerk1", PASSWORD, ip="10.9.9.9")  # the account, from any address
    assert r.status_code == 429 and "_auth_user_id" not in client.session


def test_an_address_is_locked_after_ten_failures_across_accounts(client, clerk, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login(client, f"guess{n}", "wrong-password-123", ip="10.6.6.6")
    assert login(client, "clerk1", PASSWORD, ip="10.6.6.6").status_code == 429
    assert login(client, "clerk1", PASSWORD, ip="10.0.0.8").status_code == 302  # the account itself is not locked


def test_the_system_administrator_sees_and_lifts_a_lockout_in_the_admin(client, clerk, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "clerk1", "wrong-password-123")
    sysadmin = factories.grant(factories.UserFactory(is_staff=True), "system_admin")
    client.force_login(sysadmin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "clerk1" in page.content.decode() and "登录锁定" in page.content.decode()
    assert "登录安全" in client.get("/admin/").content.decode()
    attempt = AccessAttempt.objects.get(username="clerk1")
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    client.logout()
    assert login(client, "clerk1", PASSWORD).status_code == 302
    client.force_login(factories.grant(factories.UserFactory(is_staff=True), "catalog_admin"))
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # not the forgeable leftmost entry


@pytest.mark.parametrize("password", ["Tb@2026", "password1234", "1234567890123", "qwertyuiop123"])
def test_short_common_and_numeric_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_the_demo_password_is_long_enough():
    validate_password(PASSWORD)


def test_an_idle_staff_session_is_signed_out_after_30_minutes(client, clerk, settings):
    assert settings.STAFF_IDLE_TIMEOUT == 30 * 60
    client.force_login(clerk)
    assert client.get("/hall/").status_code == 200
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/hall/").status_code == 200  # 29 minutes: still in
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    r = client.get("/hall/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert client.get("/hall/").status_code == 302  # signed out for good


def test_an_idle_session_on_the_api_gets_a_json_401(client, clerk):
    client.force_login(clerk)
    client.get("/hall/")
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    r = client.get("/api/v1/cases/")
    assert r.status_code == 401 and r.json()["code"] == "session_expired"


def test_answers_with_personal_data_are_not_stored_by_caches(client, clerk, food_item):
    assert "no-store" not in client.get(f"/guide/{food_item.implementation_code}/").get("Cache-Control", "")
    assert "no-store" in client.get("/api/v1/items").get("Cache-Control", "")
    client.force_login(clerk)
    assert "no-store" in client.get("/hall/")["Cache-Control"]
    assert "no-store" in client.get(f"/guide/{food_item.implementation_code}/")["Cache-Control"]


def test_every_page_has_a_content_security_policy_without_inline_script(client, food_item):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy


def test_no_template_has_an_inline_script_or_event_handler():
    root = Path(__file__).resolve().parent.parent / "tongban"
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text) \
                or "javascript:" in text:
            offenders.append(str(template.relative_to(root)))
    assert offenders == []
