"""The subscriptions' webhook signing secrets, encrypted at rest (Fernet).

The key is settings.EXCHANGE_SECRET_KEY or, when that is not set, derived from settings.SECRET_KEY; either way the
Fernet key is HKDF-SHA256 of it under this module's own `info`, so the same key material used elsewhere yields a
different cipher here. Older keys stay readable while listed in EXCHANGE_SECRET_KEY_FALLBACKS (and, for the
derived key, SECRET_KEY_FALLBACKS): `rotate` re-encrypts every row under the current key."""

import base64

from django.conf import settings

INFO = b"tongban.exchange.subscription-secret"


def _derive(material: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(material.encode())
    return base64.urlsafe_b64encode(raw)


def _materials() -> list[str]:
    own = (getattr(settings, "EXCHANGE_SECRET_KEY", "") or "").strip()
    fallbacks = [k for k in getattr(settings, "EXCHANGE_SECRET_KEY_FALLBACKS", []) if k]
    derived = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if own:
        return [own, *fallbacks, *derived]  # rows written before the dedicated key was set stay readable
    return [*derived, *fallbacks]


def cipher():
    from cryptography.fernet import Fernet, MultiFernet

    materials = [m for m in dict.fromkeys(_materials()) if m]
    if not materials:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("EXCHANGE_SECRET_KEY 与 SECRET_KEY 均未设置")
    return MultiFernet([Fernet(_derive(m)) for m in materials])


def encrypt(secret: str) -> str:
    return cipher().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode()).decode()


def mask(secret: str) -> str:
    """What a page or an answer may show of a secret: its length hidden, its last four characters only."""
    return "••••••" + secret[-4:] if len(secret) >= 16 else "••••••"
