"""Signed-in sessions: an idle timeout for staff, no caching of what they see, the client's address for throttling."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control

LAST_SEEN = "tongban_last_seen"
TOUCH_EVERY = 60  # seconds: the session is written at most once a minute, not on every request


class IdleTimeoutMiddleware:
    """After settings.STAFF_IDLE_TIMEOUT seconds without a request, a signed-in account is signed out: the next
    request goes to the login page (or gets 401 under /api/). A window PC left unattended does not stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.STAFF_IDLE_TIMEOUT:
                logout(request)
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"code": "session_expired", "message": "长时间未操作,已自动退出,请重新登录"}, status=401)
                from django.contrib import messages

                messages.info(request, "长时间未操作,已自动退出,请重新登录")
                return redirect(f"{settings.LOGIN_URL}?next={request.get_full_path()}")
            if last is None or now - last >= TOUCH_EVERY:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer that may carry personal data: everything a signed-in account sees,
    every API answer and the public progress page. Public pages and static files stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        path = request.path_info
        if (user is not None and user.is_authenticated) or path.startswith(("/api/", "/track/", "/accounts/", "/admin/")):
            patch_cache_control(response, no_store=True, private=True)
        return response


def client_ip(request) -> str:
    """The client's address for login throttling: REMOTE_ADDR, or behind settings.TRUSTED_PROXIES proxies (nginx)
    the address the nearest of them saw, taken from the right of X-Forwarded-For (the left is the client's to forge)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
