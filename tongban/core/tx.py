"""Transactions for services.

Every service runs its change in `atomic()`. Called on its own, that is a transaction; called inside
another service, a savepoint, so a caller that catches the error can go on. Inside `outer()` — the API's
and the pages' request transaction, which never goes on after an error but rolls back whole — nested
blocks take no savepoint: two statements fewer per block on the hot paths."""

from contextlib import contextmanager

from django.db import transaction


def atomic():
    conn = transaction.get_connection()
    return transaction.atomic(savepoint=not (conn.in_atomic_block and conn.__dict__.get("_no_recovery", False)))


@contextmanager
def outer():
    """The request's one transaction: any error inside rolls all of it back (no partial recovery)."""
    conn = transaction.get_connection()
    before = conn.__dict__.get("_no_recovery", False)
    with transaction.atomic():
        conn._no_recovery = True
        try:
            yield
        finally:
            conn._no_recovery = before
