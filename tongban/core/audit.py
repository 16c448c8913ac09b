"""Writing the audit log. Call `record` inside the service's transaction: the entry commits or rolls
back with the change it describes."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AuditEvent


def entry_hash(*, chain, seq, at, actor_id, action, object_type, object_id, data, prev_hash) -> str:
    payload = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor_id,
            "action": action,
            "type": object_type,
            "id": str(object_id),
            "data": data,
            "prev": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(actor, action: str, obj=None, *, object_type: str = "", object_id="", data: dict | None = None) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    chain = f"{object_type}:{object_id}"
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    actor_id = getattr(actor, "pk", None)
    label = (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else "系统"
    for _ in range(5):
        try:
            with transaction.atomic():
                last = AuditEvent.objects.select_for_update().filter(chain=chain).order_by("-seq").first()
                seq = last.seq + 1 if last else 1
                prev = last.hash if last else ""
                at = timezone.now()
                h = entry_hash(
                    chain=chain, seq=seq, at=at, actor_id=actor_id, action=action,
                    object_type=object_type, object_id=object_id, data=data, prev_hash=prev,
                )
                return AuditEvent.objects.create(
                    chain=chain, seq=seq, at=at, actor_id=actor_id, actor_label=label, action=action,
                    object_type=object_type, object_id=str(object_id), data=data, prev_hash=prev, hash=h,
                )
        except IntegrityError:
            continue  # another transaction started the same chain first: read its head and go on
    raise RuntimeError(f"audit chain {chain} is contended")


def verify_chain(chain: str) -> AuditEvent | None:
    """The first entry of `chain` whose hash or link does not match, or None when intact."""
    prev = ""
    for e in AuditEvent.objects.filter(chain=chain).order_by("seq"):
        expected = entry_hash(
            chain=e.chain, seq=e.seq, at=e.at, actor_id=e.actor_id, action=e.action,
            object_type=e.object_type, object_id=e.object_id, data=e.data, prev_hash=e.prev_hash,
        )
        if e.prev_hash != prev or e.hash != expected:
            return e
        prev = e.hash
    return None
