"""The platform's secret keys, each used for one purpose (see settings.py): keyed digests and the Fernet cipher.

Nothing here falls back to SECRET_KEY: a key that is not set is refused at start-up (system check tongban.E001).
"""

import base64
import hashlib
import hmac

from django.conf import settings


def _key(setting: str) -> bytes:
    value = getattr(settings, setting, "")
    if not value:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{setting} 未设置({setting} is not set)")
    return value.encode()


def keyed_digest(setting: str, purpose: str, message: str) -> str:
    """HMAC-SHA256 (hex) of `message` under the key in settings.<setting>, separated by `purpose`, so one key can
    serve several codes without one code revealing another."""
    return hmac.new(_key(setting), f"{purpose}:{message}".encode(), hashlib.sha256).hexdigest()


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(f"{secret}:seal-keys".encode()).digest())


def fernet(setting: str):
    """A cipher under settings.<setting> that also decrypts under the keys of settings.<setting>_FALLBACKS
    (so what a rotated-out key encrypted stays readable). A fallback that is the SECRET_KEY of a database made
    before the keys were split reads its seal keys: the derivation is the same."""
    from cryptography.fernet import Fernet, MultiFernet

    secrets = [_key(setting).decode(), *getattr(settings, f"{setting}_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(s)) for s in secrets])
