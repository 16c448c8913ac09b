"""Process-local memory for what the hot paths read on every request.

`frozen`: rows that never change once published (a published item version's materials, a published
process's steps), keyed by primary key *and* publication time, so a key is never reused for other content.
`settled`: small settings tables edited rarely (warning policies, level budgets): kept `SETTLED_SECONDS`,
dropped at once in this process when a row is saved or deleted (other server processes see the change
within those seconds)."""

import threading
import time

SETTLED_SECONDS = 60
_lock = threading.Lock()
_frozen: dict = {}
_settled: dict = {}


def frozen(key, load):
    try:
        return _frozen[key]
    except KeyError:
        value = load()
        with _lock:
            if len(_frozen) > 20000:
                _frozen.clear()
            _frozen[key] = value
        return value


def settled(key, load):
    hit = _settled.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    with _lock:
        _settled[key] = (now + SETTLED_SECONDS, value)
    return value


def forget(prefix=None) -> None:
    """Drop settled entries (those whose key starts with `prefix`, or all); `forget()` also drops frozen ones."""
    with _lock:
        if prefix is None:
            _frozen.clear()
            _settled.clear()
        else:
            for k in [k for k in _settled if k[0] == prefix]:
                del _settled[k]
