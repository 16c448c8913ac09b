"""API authentication: the staff session (pages, htmx) or a bearer token (machine clients, `create_api_token`)."""

from ninja.security import HttpBearer

from tongban.core.auth import SessionUnlessBearer

from .models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.digest(token), user__is_active=True).first()
        if found is None:
            return None
        request.user = found.user
        return found.user


# The token first: with no Authorization header it passes, and the session check (with CSRF) runs.
STAFF_AUTH = [TokenAuth(), SessionUnlessBearer()]
