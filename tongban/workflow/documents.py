"""The decision document (准予/不予行政许可决定书): recorded with the decision, then rendered, sealed with the
authority's key and stored by a background task (issuing.py).

The leader's preview uses the same template and context, marked 预览 · 未签发 on every page, and is
neither sealed nor stored: a sealed preview would be a valid decision nobody decided."""

from django.conf import settings
from django.utils import timezone

from tongban.cases import document_details
from tongban.cases.notices import hall_of, contact
from tongban.cases.services import REMEDIES, track_token
from tongban.core.pdf import render_typst
from tongban.core.qr import qr_svg

from tongban.cases.models import CaseDocument

TEMPLATE = "workflow/typst/decision.typ"
PREVIEW_MARK = "预览 · 未签发"
DENIAL_PLACEHOLDER = "〔此处载明不予许可的理由:请在决定意见中填写〕"


def _context(case, department, on, *, approve: bool, note: str) -> dict:
    kind = CaseDocument.Kind.APPROVAL if approve else CaseDocument.Kind.DENIAL
    track_url = f"{settings.SITE_URL}/track/{case.number}/{track_token(case.number)}/"
    return {
        "title": kind.label, "approve": approve, "department": department.name, "hall": hall_of(case),
        "doc_number": f"{case.region.name[:2]}审{'准' if approve else '不准'}〔{on.year}〕第{case.number[-6:]}号",
        "case": {"number": case.number, "item_name": case.title, "applicant_name": case.applicant.name,
                 "applicant_id": case.applicant.masked_id, "applicant_kind": case.applicant.get_kind_display(),
                 "received_on": case.received_on, "accepted_on": case.accepted_on, **contact(case)},
        "note": note, "remedies": "" if approve else REMEDIES, "issued_on": on,
        "details": document_details.details(case) if approve else [],  # what the decision produced (licence …)
        "track_url": track_url, "qr_svg": qr_svg(track_url, scale=3, title="扫码查询"),
    }


def record_decision_document(actor, case, department, on) -> CaseDocument:
    """In the decision's transaction: the document to issue (签发中). Rendering, sealing and storing happen in a
    background task after the commit (issuing.py), so the leader's answer does not wait for them."""
    from .issuing import queue

    kind = CaseDocument.Kind.APPROVAL if case.state == "approved" else CaseDocument.Kind.DENIAL
    doc = CaseDocument.objects.create(case=case, kind=kind, state=CaseDocument.State.ISSUING, department=department,
                                      issued_on=on, signed_by=actor)
    queue("decision", doc.pk)
    return doc


def render_decision(case, department, on, *, approve: bool, note: str) -> bytes:
    """The decision as issued (unsealed: the caller seals it)."""
    from tongban.core.seal import seal_svg

    data = _context(case, department, on, approve=approve, note=note)
    return render_typst(TEMPLATE, {**data, "seal_svg": seal_svg(department.name)})  # the red seal the signature stands for


def preview_decision(case, department, *, approve: bool, note: str = "", on=None) -> bytes:
    """The document as it would be issued today, unsealed and marked as a preview on every page."""
    note = note.strip() or ("" if approve else DENIAL_PLACEHOLDER)
    data = _context(case, department, on or timezone.localdate(), approve=approve, note=note)
    return render_typst(TEMPLATE, {**data, "preview": PREVIEW_MARK})
