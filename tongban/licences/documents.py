"""The licence face as PDF (WeasyPrint): identifier, QR code to the public verification page, the issuer's red
seal; sealed with the issuer's key through the seal provider (PAdES). The annotated copy (加注件) is the same face
with "仅供办理××事项使用" over it, sealed too: what a department reading the licence receives, never the master."""

from django.utils import timezone

from tongban.core.pdf import render_pdf
from tongban.core.qr import qr_svg
from tongban.core.seal import seal_svg
from tongban.workflow.seal import provider

from .models import Licence


def context(licence: Licence, *, annotation: dict | None = None) -> dict:
    return {
        "licence": licence, "type": licence.licence_type, "face": list(licence.face.items()),
        "holder_id_label": licence.get_holder_kind_display(),
        "qr_svg": qr_svg(licence.verify_url, scale=3, title="扫码核验"),
        "seal_svg": seal_svg(licence.issuer_name, licence.licence_type.seal_label, size_mm=38),
        "annotation": annotation,
    }


def face_pdf(licence: Licence, *, annotation: dict | None = None) -> bytes:
    return render_pdf("licences/licence.html", context(licence, annotation=annotation))


def _sign(pdf: bytes, licence: Licence) -> bytes:
    if licence.issuer is None:
        raise ValueError(f"颁证单位{licence.issuer_name}不在本平台,无法加盖电子印章")
    return provider().sign(pdf, licence.issuer)


def sealed_pdf(licence: Licence) -> bytes:
    return _sign(face_pdf(licence), licence)


def annotated_copy(use) -> bytes:
    """加注件 for one recorded use: the face, marked for that case only, with the department and the time."""
    licence = use.licence
    text = f"仅供办理“{use.case.title}”事项使用" if use.case_id else "仅供本次办事使用"
    at = timezone.localtime(use.at)
    annotation = {"text": text, "line": f"{use.department.name if use.department_id else ''} · 办件{use.case.number if use.case_id else ''}"
                                        f" · {at:%Y-%m-%d %H:%M} · 加注件,他用无效"}
    return _sign(face_pdf(licence, annotation=annotation), licence)


def check_pdf(pdf: bytes) -> dict:
    """Whether a PDF is a licence this library sealed and left untouched: the seal's signature (pyHanko) and the
    file's hash against the stored one. A file altered after sealing fails."""
    import hashlib

    seal = provider().verify(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    licence = Licence.objects.select_related("licence_type").filter(sha256=digest).first()
    return {"seal_ok": seal.ok, "seal": seal.describe(), "licence": licence, "matches_master": licence is not None}
