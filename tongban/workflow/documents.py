"""The decision document (准予/不予行政许可决定书): rendered, sealed with the authority's key, stored."""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile

from tongban.cases.notices import _hall
from tongban.cases.services import REMEDIES, track_token
from tongban.core.pdf import render_pdf
from tongban.core.qr import qr_svg

from .models import CaseDocument
from .seal import provider


def issue_decision(actor, case, department, on) -> CaseDocument:
    approve = case.state == "approved"
    kind = CaseDocument.Kind.APPROVAL if approve else CaseDocument.Kind.DENIAL
    track_url = f"{settings.SITE_URL}/track/{case.number}/{track_token(case.number)}/"
    context = {
        "title": kind.label, "approve": approve, "department": department.name, "hall": _hall(case),
        "doc_number": f"{case.region.name[:2]}审{'准' if approve else '不准'}〔{on.year}〕第{case.number[-6:]}号",
        "case": {"number": case.number, "item_name": case.title, "applicant_name": case.applicant.name,
                 "applicant_id": case.applicant.masked_id, "applicant_kind": case.applicant.get_kind_display(),
                 "received_on": case.received_on, "accepted_on": case.accepted_on},
        "note": case.decision_note, "remedies": "" if approve else REMEDIES, "issued_on": on,
        "track_url": track_url, "qr_svg": qr_svg(track_url, scale=3, title="扫码查询"),
    }
    pdf = provider().sign(render_pdf("workflow/decision.html", context), department)
    doc = CaseDocument(case=case, kind=kind, sha256=hashlib.sha256(pdf).hexdigest(), issued_on=on, signed_by=actor)
    doc.file.save(f"{case.number}-{kind}.pdf", ContentFile(pdf), save=False)
    doc.save()
    return doc
