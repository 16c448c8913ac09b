"""Documents issued off the request path (issue #14): decisions and notices.

The act that makes a document (a decision, an acceptance, a one-time notice …) only records it, in its own
transaction, as 签发中 (`state = issuing`). After the commit a background task renders it, seals it with the
authority's key and stores it, then marks it issued under a short row lock. The rules:

- Idempotent: the task does nothing for a document already issued; two copies of the task running at once both
  render, and the one that takes the row lock second deletes its file — one document, one file.
- No file is written under a row lock: the file is stored before the lock is taken.
- Retried: a failing render or seal counts an attempt and is put back on the queue with back-off; after
  `MAX_ATTEMPTS` it is `failed`, recorded in the case history and the audit log, and listed for supervision.
- A worker killed mid-task: the scheduler's tick (`requeue_stalled`) puts back every document still issuing
  `STALL` after it was queued (also the first issue of notices recorded before this existed).
"""

import datetime as dt
import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from tongban.cases.common import record_event
from tongban.cases.models import CaseDocument, Notice
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, NotFound

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
STALL = dt.timedelta(minutes=2)
ISSUING, ISSUED, FAILED = "issuing", "issued", "failed"


def _decision_pdf(doc: CaseDocument) -> tuple[bytes, object]:
    from .documents import render_decision

    return render_decision(doc.case, doc.department, doc.issued_on, approve=doc.kind == CaseDocument.Kind.APPROVAL,
                           note=doc.case.decision_note), doc.department


def _notice_pdf(notice: Notice) -> tuple[bytes, object]:
    from tongban.cases import notices

    case = notice.case
    item = case.item if case.item_id else next((c.item for c in case.children.select_related("item__department")), None)
    return notices.render(notice), (item.department if item is not None else None)


KINDS = {
    "decision": (CaseDocument, _decision_pdf, "decisions"),
    "notice": (Notice, _notice_pdf, "notices"),
}


@task()
def issue_task(kind: str, pk: int) -> str:
    """The worker's side of `queue`."""
    return issue(kind, pk)


def queue(kind: str, pk: int) -> None:
    """After the recording transaction commits, put the document on the queue (with any task backend)."""
    transaction.on_commit(lambda: issue_task.enqueue(kind, pk))


def issue(kind: str, pk: int) -> str:
    """Render, seal and store one document; see the module's rules. Returns what happened."""
    from .seal import provider

    model, render, folder = KINDS[kind]
    doc = model.objects.select_related("case__applicant", "case__region", "case__item__department").filter(pk=pk).first()
    if doc is None or doc.state == ISSUED:
        return "already issued" if doc is not None else "gone"
    try:
        pdf, department = render(doc)
        if department is not None:
            pdf = provider().sign(pdf, department)
    except Exception as exc:  # noqa: BLE001 - any failure is counted, retried, and finally listed
        logger.exception("issuing %s %s failed", kind, pk)
        return _failed(kind, model, pk, exc)
    case = doc.case
    name = default_storage.save(f"{folder}/{doc.issued_on:%Y}/{case.number}-{doc.kind}-{pk}.pdf", ContentFile(pdf))
    with tx.atomic():
        row = model.objects.select_for_update().get(pk=pk)
        won = row.state != ISSUED
        if won:
            row.file.name, row.sha256, row.state, row.last_error = name, hashlib.sha256(pdf).hexdigest(), ISSUED, ""
            row.attempts, row.issued_at = row.attempts + 1, timezone.now()
            row.save(update_fields=["file", "sha256", "state", "last_error", "attempts", "issued_at"])
            record_event(case, None, "document_issued", from_state=case.state, document=kind, kind=doc.kind, id=pk)
    if not won:  # a duplicate of the task got there first: keep its file, drop ours
        default_storage.delete(name)
        return "duplicate"
    return "issued"


def _failed(kind: str, model, pk: int, exc: Exception) -> str:
    message = f"{type(exc).__name__}: {exc}"[:300]
    with tx.atomic():
        row = model.objects.select_for_update(of=("self",)).select_related("case").get(pk=pk)
        if row.state == ISSUED:
            return "already issued"
        row.attempts += 1
        row.last_error = message
        final = row.attempts >= MAX_ATTEMPTS
        if final:
            row.state = FAILED
            record_event(row.case, None, "document_failed", from_state=row.case.state, reason=message, document=kind,
                         kind=row.kind, id=pk)
            record(None, "document.failed", row.case, data={"document": kind, "id": pk, "error": message})
        else:
            row.queued_at = timezone.now()
        row.save(update_fields=["attempts", "last_error", "state", "queued_at"])
    if final:
        return "failed"
    delay = dt.timedelta(seconds=5 * 2 ** row.attempts)
    if default_task_backend.supports_defer:
        issue_task.using(run_after=timezone.now() + delay).enqueue(kind, pk)
    else:
        issue_task.enqueue(kind, pk)
    return "retrying"


def retry(actor, kind: str, pk: int):
    """A supervisor of the case's region (or an administrator) puts a failed document back on the queue once its
    cause is fixed. Unknown and out-of-scope documents answer alike (NotFound)."""
    from tongban.org.models import Role
    from tongban.org.scopes import has_role

    model = KINDS[kind][0] if kind in KINDS else None
    row = model.objects.select_related("case__region").filter(pk=pk).first() if model else None
    if row is None or not has_role(actor, Role.SUPERVISOR, region=row.case.region):
        raise NotFound("未找到该文书,或您无权处理")
    with tx.atomic():
        row = model.objects.select_for_update(of=("self",)).select_related("case").get(pk=pk)
        if row.state != FAILED:
            raise Conflict("document_not_failed", "该文书不是签发失败状态,无需重新签发")
        row.state, row.attempts, row.last_error, row.queued_at = ISSUING, 0, "", timezone.now()
        row.save(update_fields=["state", "attempts", "last_error", "queued_at"])
        record(actor, "document.retried", row.case, data={"document": kind, "id": pk})
        record_event(row.case, actor, "document_retried", from_state=row.case.state, document=kind, kind=row.kind, id=pk)
        queue(kind, pk)
    return row


def requeue_stalled(now=None) -> int:
    """Every document still issuing `STALL` after it was queued goes back on the queue (a worker died, or the
    process stopped between the commit and the enqueue). Idempotent: the task issues a document once."""
    now = now or timezone.now()
    n = 0
    for kind, (model, _, _) in KINDS.items():
        for pk in list(model.objects.filter(state=ISSUING, queued_at__lt=now - STALL).values_list("pk", flat=True)[:500]):
            if model.objects.filter(pk=pk, state=ISSUING, queued_at__lt=now - STALL).update(queued_at=now):
                issue_task.enqueue(kind, pk)
                n += 1
    return n


def failed_documents(cases) -> list:
    """Documents that failed to issue, for supervision: (kind, row) newest first, among `cases` (a queryset of
    the cases the supervisor may see)."""
    rows = []
    for kind, (model, _, _) in KINDS.items():
        qs = model.objects.filter(state=FAILED, case__in=cases.values("pk")).select_related("case")
        rows += [(kind, r) for r in qs.order_by("-id")[:200]]
    return sorted(rows, key=lambda kr: kr[1].queued_at, reverse=True)
