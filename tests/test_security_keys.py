"""Outside the demo the platform refuses to start without its own keys; each key has one purpose."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tongban.core.apps import secret_keys_check

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["SECRET_KEY", "AUDIT_SEAL_KEY", "SEAL_KEY_ENCRYPTION_KEY", "CASE_TOKEN_KEY"]


def production_env(tmp_path, **overrides):
    # not the test process's own switches (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process)
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "TONGBAN_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE", *KEYS}}
    env.update({k: secrets.token_urlsafe(50) for k in KEYS})
    env.update(DJANGO_SETTINGS_MODULE="tongban.settings", ALLOWED_HOSTS="zwfw.example.gov.cn", TONGBAN_VAR_DIR=str(tmp_path))
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    out = manage(production_env(tmp_path, SECRET_KEY=None, CASE_TOKEN_KEY=None), "check")
    assert out.returncode != 0
    assert "tongban.E001" in out.stderr and "SECRET_KEY 未设置" in out.stderr and "CASE_TOKEN_KEY" in out.stderr
    assert "AUDIT_SEAL_KEY 未设置" not in out.stderr


def test_gunicorn_refuses_to_load_the_application_without_keys(tmp_path):
    env = production_env(tmp_path, AUDIT_SEAL_KEY=None)
    out = subprocess.run([sys.executable, "-c", "import tongban.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "AUDIT_SEAL_KEY 未设置" in out.stderr


def test_the_deploy_check_of_the_documented_production_settings_is_clean(tmp_path):
    out = manage(production_env(tmp_path), "check", "--deploy")
    assert out.returncode == 0, out.stderr
    assert "System check identified no issues" in out.stdout, out.stdout + out.stderr


def test_the_deploy_check_warns_about_the_demo_mode(tmp_path):
    out = manage(production_env(tmp_path, TONGBAN_DEMO="1"), "check", "--deploy")
    assert "tongban.W002" in out.stdout + out.stderr


def test_demo_keys_and_shared_keys_are_refused(settings):
    settings.DEMO = False
    settings.AUDIT_SEAL_KEY = settings.DEMO_KEYS["AUDIT_SEAL_KEY"]
    settings.CASE_TOKEN_KEY = settings.SEAL_KEY_ENCRYPTION_KEY = "x" * 50
    found = {(e.id, e.msg.split(" ")[0]) for e in secret_keys_check(None)}
    assert ("tongban.E001", "AUDIT_SEAL_KEY") in found
    assert ("tongban.E002", "CASE_TOKEN_KEY") in found


def test_track_tokens_and_pickup_codes_do_not_change_with_the_secret_key(settings):
    from types import SimpleNamespace

    from tongban.cases.decisions import pickup_code, track_token

    case = SimpleNamespace(number="370811-20260105-0001")
    token, code = track_token(case.number), pickup_code(case)
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert (track_token(case.number), pickup_code(case)) == (token, code)
    settings.CASE_TOKEN_KEY = "another-case-token-key-" * 3
    assert track_token(case.number) != token


def test_seal_keys_stay_readable_after_the_encryption_key_is_rotated(settings):
    from tongban.core.keys import fernet

    settings.SEAL_KEY_ENCRYPTION_KEY = "old-seal-key-encryption-key-" * 2
    token = fernet("SEAL_KEY_ENCRYPTION_KEY").encrypt(b"private key")
    settings.SEAL_KEY_ENCRYPTION_KEY = "new-seal-key-encryption-key-" * 2
    with pytest.raises(Exception):
        fernet("SEAL_KEY_ENCRYPTION_KEY").decrypt(token)
    settings.SEAL_KEY_ENCRYPTION_KEY_FALLBACKS = ["old-seal-key-encryption-key-" * 2]
    assert fernet("SEAL_KEY_ENCRYPTION_KEY").decrypt(token) == b"private key"


def test_the_audit_seal_key_is_not_derived_from_the_secret_key(settings):
    from tongban.core.audit import seal_mac

    mac = seal_mac("abc")
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert seal_mac("abc") == mac
