"""The outbox's verbs: write an event with its deliveries (inside the act's transaction), subscribe a system,
replay from a point in time, and deliver what is due (the worker's side: signed POST, back-off, delivery log).

Signature: the body is signed with HMAC-SHA256 under the subscription's secret over "<timestamp>.<body>"; the
request carries `X-Tongban-Timestamp`, `X-Tongban-Signature: sha256=<hex>`, `X-Tongban-Event` (the kind) and
`Idempotency-Key` (the event's UUID, the same on every retry and replay)."""

import datetime as dt
import hashlib
import hmac
import json
import random
import secrets
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import DomainError, NotFound
from tongban.org.models import Region, Role
from tongban.org.scopes import require

from .models import Delivery, DeliveryAttempt, OutboxEvent, Subscription

KINDS = {
    "case_accepted": "受理", "case_returned": "退回补正", "case_resumed": "补正完成", "case_withdrawn": "撤回",
    "case_decided": "作出决定", "case_delivered": "送达办结", "case_extended": "延长期限", "case_revoked": "撤销许可",
}
MAX_ATTEMPTS = 10
BASE_DELAY = 30  # seconds: 30 s, 1 min, 2 min, 4 min … capped at 6 h, with up to 20 % jitter
MAX_DELAY = 6 * 3600
TIMEOUT = 10
SAFE = ("approve", "method", "days", "reason", "mode")


def backoff(attempts: int, *, jitter: float | None = None) -> dt.timedelta:
    """The wait before the next try after `attempts` failed ones."""
    delay = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    j = random.random() if jitter is None else jitter
    return dt.timedelta(seconds=delay * (1 + 0.2 * j))


def record_event(kind: str, case, *, on=None, **data) -> OutboxEvent | None:
    """Write the event and one pending delivery per active subscription covering the case's region — in the
    caller's transaction; the worker is asked on commit. Nothing subscribed: nothing written."""
    path = case.region.path
    subs = [s for s in Subscription.objects.filter(active=True).select_related("region")
            if path.startswith(s.region.path) and (not s.kinds or kind in s.kinds)]
    if not subs:
        return None
    payload = {
        "kind": kind, "label": KINDS.get(kind, kind), "case": case.number, "state": case.state,
        "region": case.region.code, "item": case.item.implementation_code if case.item_id else None,
        "title": case.title, "channel": case.channel, "on": (on or timezone.localdate()).isoformat(),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        **{k: v for k, v in data.items() if k in SAFE and isinstance(v, (str, int, bool, float))},
    }
    event = OutboxEvent.objects.create(kind=kind, case_number=case.number, region_path=path, payload=payload)
    now = timezone.now()
    Delivery.objects.bulk_create([Delivery(subscription=s, event=event, next_attempt_at=now) for s in subs])
    transaction.on_commit(_kick)
    return event


def _kick():
    from .tasks import deliver_due_task

    deliver_due_task.enqueue()


def _clean(value: str, field: str, label: str, max_len: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required", f"请填写{label}", field=field)
    if len(value) > max_len or "\x00" in value:
        raise DomainError("invalid", f"{label}过长或含非法字符", field=field)
    return value


def create_subscription(actor, *, name: str, url: str, region_code: str, kinds: list[str] | None = None,
                        secret: str = "") -> Subscription:
    """订阅: a system administrator of the region registers a receiving system. Returns it with its secret."""
    name = _clean(name, "name", "接收系统名称", 60)
    url = _clean(url, "url", "接收地址", 300)
    if not (url.startswith("https://") or url.startswith("http://")):
        raise DomainError("invalid_url", "接收地址须以 http:// 或 https:// 开头", field="url")
    region = Region.objects.filter(code=(region_code or "").strip()[:12]).first()
    if region is None:
        raise NotFound("区划不存在", field="region")
    kinds = list(dict.fromkeys(kinds or []))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise DomainError("invalid_kind", f"未知的事件类型:{'、'.join(unknown[:3])}", field="kinds")
    secret = (secret or "").strip()
    if secret and (len(secret) < 16 or len(secret) > 128):
        raise DomainError("invalid_secret", "签名密钥应为16至128个字符", field="secret")
    with tx.atomic():
        require(actor, Role.SYSTEM_ADMIN, region=region, what="新增上报订阅")
        sub = Subscription.objects.create(name=name, url=url, region=region, kinds=kinds,
                                          secret=secret or secrets.token_urlsafe(32), created_by=actor)
        record(actor, "exchange.subscribed", sub, data={"name": name, "url": url, "region": region.code, "kinds": kinds}, new=True)
    return sub


def visible_subscriptions(user):
    """The subscriptions of the regions the user administers."""
    from tongban.org.scopes import grants

    if user.is_superuser:
        return Subscription.objects.all()
    q = Q(pk__in=[])
    for g in grants(user, Role.SYSTEM_ADMIN):
        q |= Q(region__path__startswith=g.region.path)
    return Subscription.objects.filter(q)


def replay(actor, subscription: Subscription, since: dt.datetime) -> int:
    """重放: every event since `since` that concerns the subscription goes out again (the receiver drops what it
    already has by the idempotency key). Returns how many deliveries were scheduled."""
    if since > timezone.now():
        raise DomainError("since_in_future", "重放起点不得晚于当前时间", field="since")
    with tx.atomic():
        require(actor, Role.SYSTEM_ADMIN, region=subscription.region, what="重放上报事件")
        events = OutboxEvent.objects.filter(occurred_at__gte=since, region_path__startswith=subscription.region.path)
        if subscription.kinds:
            events = events.filter(kind__in=subscription.kinds)
        ids = list(events.values_list("id", flat=True))
        now = timezone.now()
        existing = set(Delivery.objects.filter(subscription=subscription, event_id__in=ids).values_list("event_id", flat=True))
        Delivery.objects.filter(subscription=subscription, event_id__in=existing).update(
            state=Delivery.State.PENDING, attempts=0, next_attempt_at=now, last_error="")
        Delivery.objects.bulk_create([Delivery(subscription=subscription, event_id=i, next_attempt_at=now) for i in ids if i not in existing])
        record(actor, "exchange.replayed", subscription, data={"since": since.isoformat(), "events": len(ids)})
        transaction.on_commit(_kick)
    return len(ids)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """The receiver's check: a valid signature over a timestamp no older than `tolerance` seconds."""
    try:
        if abs(time.time() - int(timestamp)) > tolerance:
            return False
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def _post(delivery: Delivery) -> tuple[int | None, str, int]:
    body = json.dumps({"key": str(delivery.event.key), "occurred_at": delivery.event.occurred_at.isoformat(),
                       **delivery.event.payload}, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    req = urllib.request.Request(delivery.subscription.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Idempotency-Key": str(delivery.event.key), "X-Tongban-Event": delivery.event.kind,
        "X-Tongban-Timestamp": ts, "X-Tongban-Signature": sign(delivery.subscription.secret, ts, body)})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            status, error = r.status, ""
    except urllib.error.HTTPError as e:
        status, error = e.code, f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        status, error = None, str(getattr(e, "reason", e))[:300]
    return status, error, int((time.monotonic() - start) * 1000)


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict:
    """The worker: post every pending delivery whose time has come. Rows are claimed with SKIP LOCKED, so several
    workers never post one delivery at the same time; each outcome is logged; a failure waits `backoff`."""
    now = now or timezone.now()
    sent = failed = 0
    while True:
        with transaction.atomic():
            rows = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
                        .select_related("event", "subscription").order_by("next_attempt_at", "id")[:20])
            if not rows:
                break
            for d in rows:
                replaying = d.delivered_at is not None
                status, error, ms = _post(d)
                d.attempts += 1
                d.last_status, d.last_error = status, error
                if status is not None and 200 <= status < 300:
                    d.state, d.delivered_at, d.next_attempt_at = Delivery.State.DELIVERED, timezone.now(), None
                    sent += 1
                else:
                    failed += 1
                    if d.attempts >= MAX_ATTEMPTS:
                        d.state, d.next_attempt_at = Delivery.State.DEAD, None
                    else:
                        d.next_attempt_at = now + backoff(d.attempts)
                d.save()
                DeliveryAttempt.objects.create(delivery=d, status=status, error=error, ms=ms, replay=replaying)
        if sent + failed >= limit:
            break
    return {"sent": sent, "failed": failed}
