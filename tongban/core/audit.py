"""Writing the audit log. Call `record` inside the service's transaction: the entry commits or rolls
back with the change it describes."""

import datetime as dt
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AuditEvent, AuditSeal


def entry_hash(*, chain, seq, at, actor_id, action, object_type, object_id, data, prev_hash, actor_label="") -> str:
    payload = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "at": at.astimezone(dt.timezone.utc).isoformat(),  # the same text whatever zone the database answers in
            "actor": actor_id,
            "label": actor_label,
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


def record(actor, action: str, obj=None, *, object_type: str = "", object_id="", data: dict | None = None,
           new: bool = False, chain: str = "") -> None:
    """Append one entry to the object's chain. `new`: the object was created in this transaction, so its
    chain is empty (saves a read; a wrong hint costs a retry, never a broken chain). `chain`: another chain
    than the object's, for entries that describe no change to the object (reads of personal data: the reader's
    chain, whose head this connection remembers, so logging a read is one insert and readers never queue
    behind one another)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    chain = chain or f"{object_type}:{object_id}"
    text = json.dumps(data or {}, ensure_ascii=False, default=str)
    data = json.loads(text)
    actor_id = getattr(actor, "pk", None)
    label = (getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else "系统"
    conn = transaction.get_connection()
    heads = conn.__dict__.setdefault("_audit_heads", {})
    head = (0, "") if new and chain not in heads else heads.get(chain)
    for attempt in range(50):
        if head is None:
            if attempt and conn.vendor == "postgresql":  # contended: queue behind the other writers of this chain
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [chain])
            head = _head(conn, chain)
        seq, prev = head[0] + 1, head[1]
        at = timezone.now()
        h = entry_hash(chain=chain, seq=seq, at=at, actor_id=actor_id, action=action, object_type=object_type,
                       object_id=object_id, data=data, prev_hash=prev, actor_label=label)
        if _append(conn, (chain, seq, at, actor_id, label, action, object_type, str(object_id), text, prev, h), head):
            if len(heads) > 2000:
                heads.clear()
            heads[chain] = (seq, h)
            return
        head = None  # another transaction appended first (or the remembered head was rolled back): read it again
    raise RuntimeError(f"audit chain {chain} is contended")


def _head(conn, chain):
    with conn.cursor() as cur:
        cur.execute("SELECT seq, hash FROM core_auditevent WHERE chain = %s ORDER BY seq DESC LIMIT 1", [chain])
        row = cur.fetchone()
    return (row[0], row[1]) if row else (0, "")


def _append(conn, values, head) -> bool:
    """One statement: insert the entry if its predecessor is the head we hashed against and its place is
    free. A concurrent writer of the same place makes this wait for its commit and then insert nothing."""
    cast = "::jsonb" if conn.vendor == "postgresql" else ""
    values = list(values)
    values[2] = conn.ops.adapt_datetimefield_value(values[2])
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO core_auditevent (chain, seq, at, actor_id, actor_label, action, object_type, object_id, data, prev_hash, hash) "
            f"SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s{cast}, %s, %s "
            "WHERE %s = 0 OR EXISTS (SELECT 1 FROM core_auditevent WHERE chain = %s AND seq = %s AND hash = %s) "
            "ON CONFLICT (chain, seq) DO NOTHING RETURNING id",
            [*values, head[0], values[0], head[0], head[1]],
        )
        return cur.fetchone() is not None


def verify_chain(chain: str) -> AuditEvent | None:
    """The first entry of `chain` whose hash or link does not match, or None when intact."""
    prev = ""
    for e in AuditEvent.objects.filter(chain=chain).order_by("seq"):
        expected = entry_hash(
            chain=e.chain, seq=e.seq, at=e.at, actor_id=e.actor_id, action=e.action,
            object_type=e.object_type, object_id=e.object_id, data=e.data, prev_hash=e.prev_hash, actor_label=e.actor_label,
        )
        if e.prev_hash != prev or e.hash != expected:
            return e
        prev = e.hash
    return None


def seal_hash(day, heads: dict, prev_hash: str) -> str:
    payload = json.dumps({"day": str(day), "heads": heads, "prev": prev_hash}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def seal_mac(seal_hash_value: str) -> str:
    import hmac

    from django.conf import settings

    return hmac.new(settings.AUDIT_SEAL_KEY.encode(), seal_hash_value.encode(), hashlib.sha256).hexdigest()


def _journal(seal) -> None:
    """Append the seal to the journal outside the database (after the commit that made it)."""
    from django.conf import settings

    path = settings.AUDIT_SEAL_JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"day": str(seal.day), "hash": seal.hash, "mac": seal.mac}) + "\n")


def journal_entries() -> tuple[list[dict], list[int]] | None:
    """The journal's seals and the numbers of lines that are not a seal (torn by a crash, or edited)."""
    from django.conf import settings

    path = settings.AUDIT_SEAL_JOURNAL
    if not path.exists():
        return None
    entries, bad = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not {"day", "hash"} <= entry.keys():
                raise ValueError
            entries.append(entry)
        except ValueError:
            bad.append(n)
    return entries, bad


def seal_day(day) -> "AuditSeal | None":
    """Seal the heads of the chains that got entries on `day` (idempotent: one seal per day)."""
    import datetime as dt

    from django.utils import timezone

    if day >= timezone.localdate():
        raise ValueError("only a day that is over can be sealed")
    existing = AuditSeal.objects.filter(day=day).first()
    if existing is not None:
        journal = journal_entries()
        if journal is None or not any(e["day"] == str(day) for e in journal[0]):
            _journal(existing)  # its journal line was lost (the append after the commit failed): write it now
        return existing
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    end = start + dt.timedelta(days=1)
    heads = {}
    for chain, seq, h in AuditEvent.objects.filter(at__gte=start, at__lt=end).order_by("chain", "seq").values_list("chain", "seq", "hash"):
        heads[chain] = [seq, h]
    try:
        with transaction.atomic():
            # seals chain in the order they are made (a late seal of a missed day links to the latest seal)
            prev = AuditSeal.objects.select_for_update().order_by("-id").first()
            prev_hash = prev.hash if prev else ""
            h = seal_hash(day, heads, prev_hash)
            seal = AuditSeal.objects.create(day=day, heads=heads, prev_hash=prev_hash, hash=h, mac=seal_mac(h))
            transaction.on_commit(lambda: _journal(seal))
            return seal
    except IntegrityError:  # another scheduler sealed the same day first
        return AuditSeal.objects.get(day=day)


def verify_all() -> list[str]:
    """Every broken link, chain by chain and in the seals; empty when the log is intact."""
    problems = []
    for chain in AuditEvent.objects.values_list("chain", flat=True).distinct().order_by("chain"):
        bad = verify_chain(chain)
        if bad is not None:
            problems.append(f"审计链 {chain} 第{bad.seq}条(id={bad.pk},{bad.at:%Y-%m-%d %H:%M:%S} {bad.action})哈希不符:记录被改动")
    prev = ""
    seals = list(AuditSeal.objects.order_by("id"))
    if seals:
        import datetime as dt

        sealed = {s.day for s in seals}
        first, last = min(sealed), max(sealed)
        gaps = [first + dt.timedelta(days=i) for i in range((last - first).days) if first + dt.timedelta(days=i) not in sealed]
        problems += [f"日封缺失:{d}(该日封印记录被删除)" for d in gaps]
    import hmac

    for seal in seals:
        if seal.prev_hash != prev or seal.hash != seal_hash(seal.day, seal.heads, seal.prev_hash):
            problems.append(f"日封 {seal.day} 哈希不符")
        if not hmac.compare_digest(seal.mac, seal_mac(seal.hash)):
            problems.append(f"日封 {seal.day} 签名不符:该日封不是用审计密钥签发的(被改写或伪造)")
        for chain, (seq, h) in seal.heads.items():
            e = AuditEvent.objects.filter(chain=chain, seq=seq).first()
            if e is None or e.hash != h:
                problems.append(f"日封 {seal.day} 记录的审计链 {chain} 第{seq}条已不存在或被改动")
        prev = seal.hash
    journal = journal_entries()
    if journal is None:
        if seals:
            problems.append("日封记录文件缺失:无法与库外留存的日封核对(settings.AUDIT_SEAL_JOURNAL)")
    else:
        entries, bad = journal
        problems += [f"日封记录文件第{n}行无法识别(写入中断或被改动)" for n in bad]
        in_db = {str(s.day): s.hash for s in seals}
        journaled = {e["day"] for e in entries}
        for entry in entries:
            if entry["day"] not in in_db:
                problems.append(f"日封 {entry['day']} 在库外留存中有记录,数据库中已被删除")
            elif in_db[entry["day"]] != entry["hash"]:
                problems.append(f"日封 {entry['day']} 与库外留存的记录不一致:数据库中的日封被改写")
        problems += [f"日封 {day} 未见于库外留存(补记:再次执行该日封印即写入)" for day in sorted(in_db) if day not in journaled]
    return problems


def seal_yesterday(day: dt.date) -> dict:
    """The morning job (registered in CoreConfig.ready): seal the chain heads of the day before `day`."""
    seal = seal_day(day - dt.timedelta(days=1))
    return {"day": str(seal.day), "chains": len(seal.heads)}
