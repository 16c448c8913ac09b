"""API authentication: the staff session (pages, htmx) or a bearer token (machine clients)."""

from ninja.security import HttpBearer, SessionAuth


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        from tongban.org.models import ApiToken

        found = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.digest(token), user__is_active=True).first()
        if found is None:
            return None
        request.user = found.user
        return found.user


class SessionUnlessBearer(SessionAuth):
    """The staff session (with its CSRF check), only when the request carries no Authorization header: a
    client that sends a token is judged by the token alone, so a wrong token answers 401 on every method
    (never a CSRF 403)."""

    def __call__(self, request):
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        return super().__call__(request)


# The token first: with no Authorization header it passes, and the session check (with CSRF) runs.
STAFF_AUTH = [TokenAuth(), SessionUnlessBearer()]
