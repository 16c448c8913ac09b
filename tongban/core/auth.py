"""API authentication for routers that still import it from here (issue #9 moves them to `tongban.org.auth`).

Core knows no token table: the bearer check is the one an app registers with `register_bearer` (org does, in
its AppConfig.ready). With nothing registered, no bearer token is accepted and the session check runs.
Delete this module once no router imports it."""

from ninja.security import HttpBearer, django_auth

_bearer: HttpBearer | None = None


def register_bearer(auth: HttpBearer) -> None:
    global _bearer
    _bearer = auth


class TokenAuth(HttpBearer):  # the name the OpenAPI document gives the scheme
    def authenticate(self, request, token):
        return _bearer.authenticate(request, token) if _bearer is not None else None


STAFF_AUTH = [TokenAuth(), django_auth]
