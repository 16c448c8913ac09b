"""数据上报 pages: a system administrator's subscriptions, their delivery log and replay; the demo receiver."""

import datetime as dt
import json
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, JsonResponse
from django.utils.html import format_html
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tongban.core.errors import DomainError
from tongban.org.models import Role
from tongban.org.scopes import has_role

from . import services
from .models import DeliveryAttempt, ReceivedEvent


def _forbidden(request):
    return render(request, "exchange/index.html", {"forbidden": True}, status=403)


@login_required
def index(request):
    if not has_role(request.user, Role.SYSTEM_ADMIN):
        return _forbidden(request)
    subs = list(services.visible_subscriptions(request.user).select_related("region").order_by("id"))
    log = (DeliveryAttempt.objects.filter(delivery__subscription__in=subs).select_related("delivery__event", "delivery__subscription")[:50])
    return render(request, "exchange/index.html", {
        "subs": subs, "log": log, "kinds": services.KINDS, "received": ReceivedEvent.objects.all()[:20],
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "receiver": request.build_absolute_uri("/exchange/receiver/"),
    })


@login_required
@require_POST
def subscribe(request):
    if not has_role(request.user, Role.SYSTEM_ADMIN):
        return _forbidden(request)
    try:
        given = request.POST.get("secret", "")
        sub = services.create_subscription(request.user, name=request.POST.get("name", ""), url=request.POST.get("url", ""),
                                           region_code=request.POST.get("region", ""), kinds=request.POST.getlist("kinds"),
                                           secret=given)
        if given.strip():  # the administrator typed it: never echoed
            messages.success(request, f"已新增上报订阅“{sub.name}”,签名密钥 {sub.masked_secret} 已加密保存")
        else:  # generated: shown this once, encrypted at rest and never shown again
            messages.success(request, format_html("已新增上报订阅“{}”,自动生成的签名密钥:<code class=\"text-break\">{}</code>"
                                                  "(仅显示这一次,请立即交给接收方保管;系统加密保存,不再显示原文)", sub.name, sub.secret))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("exchange:index")


@login_required
@require_POST
def replay(request, pk):
    if not has_role(request.user, Role.SYSTEM_ADMIN):
        return _forbidden(request)
    sub = services.visible_subscriptions(request.user).filter(pk=pk).first()
    if sub is None:
        raise Http404
    try:
        since = dt.datetime.fromisoformat(request.POST.get("since", ""))
    except ValueError:
        messages.error(request, "重放起点不是有效时间")
        return redirect("exchange:index")
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    try:
        n = services.replay(request.user, sub, since)
        messages.success(request, f"已安排重放 {n} 个事件")
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("exchange:index")


@csrf_exempt
@require_POST
def receiver(request):
    """The demo receiver (standing in for the provincial platform): checks the signature with its shared secret,
    stores each event once by its Idempotency-Key, answers 200 to a duplicate without storing it again."""
    body = request.body
    if not services.verify(settings.EXCHANGE_RECEIVER_SECRET, request.headers.get("X-Tongban-Timestamp", ""), body,
                           request.headers.get("X-Tongban-Signature", "")):
        return JsonResponse({"code": "bad_signature", "message": "签名无效或已过期"}, status=401)
    try:
        key = str(uuid.UUID(request.headers.get("Idempotency-Key", "")))
        payload = json.loads(body)
        with transaction.atomic():
            ReceivedEvent.objects.create(key=key, kind=payload.get("kind", "")[:30], case_number=payload.get("case", "")[:40], payload=payload)
        return JsonResponse({"received": True, "duplicate": False})
    except IntegrityError:
        ReceivedEvent.objects.filter(key=key).update(times=F("times") + 1)
        return JsonResponse({"received": True, "duplicate": True})
    except (ValueError, AttributeError, DomainError):
        return JsonResponse({"code": "bad_request", "message": "请求体无效"}, status=400)
