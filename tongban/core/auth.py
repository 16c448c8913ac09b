"""API authentication pieces that know no app: the staff session, judged only when no token is sent.

`STAFF_AUTH` here is for routers that still import it from this module (issue #9 moves them to
`tongban.org.auth`): core knows no token table, so its bearer check is the one an app registers with
`register_bearer` (org does, in its AppConfig.ready). With nothing registered, no bearer token is accepted.
Delete `register_bearer`, `TokenAuth` and `STAFF_AUTH` here once no router imports them."""

from ninja.security import HttpBearer, SessionAuth


class SessionUnlessBearer(SessionAuth):
    """The staff session (with its CSRF check), only when the request carries no Authorization header: a
    client that sends a token is judged by the token alone, so a wrong token answers 401 on every method
    (never a CSRF 403)."""

    def __call__(self, request):
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        return super().__call__(request)


_bearer: HttpBearer | None = None


def register_bearer(auth: HttpBearer) -> None:
    global _bearer
    _bearer = auth


class TokenAuth(HttpBearer):  # the name the OpenAPI document gives the scheme
    def authenticate(self, request, token):
        return _bearer.authenticate(request, token) if _bearer is not None else None


# The token first: with no Authorization header it passes, and the session check (with CSRF) runs.
STAFF_AUTH = [TokenAuth(), SessionUnlessBearer()]
