"""API authentication pieces that know no app: the staff session, judged only when no token is sent.
The bearer token check and `STAFF_AUTH` live in `tongban.org.auth` (org owns the token table)."""

from ninja.security import SessionAuth


class SessionUnlessBearer(SessionAuth):
    """The staff session (with its CSRF check), only when the request carries no Authorization header: a
    client that sends a token is judged by the token alone, so a wrong token answers 401 on every method
    (never a CSRF 403)."""

    def __call__(self, request):
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        return super().__call__(request)
