"""Reads of the dashboards, lists and exports on a read replica (DATABASE_REPLICA_URL), with read-your-writes.

Nothing reads from the replica by default: a view (or an API operation) opts in with `@replica_reads`, and then
only its reads outside a transaction go there. After a user's write (any unsafe request answered below 400) the
`ReadYourWritesMiddleware` pins that user's next requests to the primary for `PIN_SECONDS` (a cookie), so the
acting user's next page shows what they just did even if the replica lags. Migrations run on the primary only."""

import contextvars
import functools
import time

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "tb_rw"
PIN_SECONDS = 15
_reading = contextvars.ContextVar("tongban_replica_reads", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and configured() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def pinned(request) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def replica_reads(view):
    """Let the view's reads go to the replica (unless the user just wrote: then the primary)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "_tb_pinned", False) or pinned(request) or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        token = _reading.set(True)
        try:
            return view(request, *args, **kwargs)
        finally:
            _reading.reset(token)

    return wrapped


class ReadYourWritesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if configured() and request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            response.set_cookie(PIN_COOKIE, str(time.time() + PIN_SECONDS), max_age=PIN_SECONDS, httponly=True, samesite="Lax",
                                secure=request.is_secure())
        return response
