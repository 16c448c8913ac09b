"""The licence face as PDF (Typst): identifier, QR code to the public verification page, the issuer's red
seal; sealed with the issuer's key through the seal provider (PAdES). The annotated copy (加注件) is the same face
with "仅供办理××事项使用" over it, sealed too: what a department reading the licence receives, never the master."""

from django.utils import timezone

from tongban.core.pdf import cn_date, render_typst
from tongban.core.qr import qr_svg
from tongban.core.seal import seal_svg
from tongban.workflow.seal import provider

from .models import Licence


HIDDEN = ("持证主体", "经营者名称", "名称")  # face fields the face prints as the holder line


def context(licence: Licence, *, annotation: dict | None = None) -> dict:
    """The face's data for its Typst template (plain JSON: nothing typed by a user is read as markup)."""
    until = f"{licence.valid_until.year}年{licence.valid_until.month}月{licence.valid_until.day}日" if licence.valid_until else "长期"
    rows = [["持证主体", licence.holder_name], [licence.get_holder_kind_display(), licence.holder_id]]
    rows += [[str(k), str(v)] for k, v in licence.face.items() if k not in HIDDEN]
    rows += [["许可内容", licence.content], ["有效期", f"{cn_date(licence.valid_from)}至{until}"]]
    return {
        "type_name": licence.licence_type.name, "number": licence.number, "version": licence.version, "rows": rows,
        "issuer_name": licence.issuer_name, "issued_on": cn_date(licence.issued_on), "identifier": licence.identifier,
        "qr_svg": qr_svg(licence.verify_url, scale=3, title="扫码核验"),
        "seal_svg": seal_svg(licence.issuer_name, licence.licence_type.seal_label, size_mm=38),
        "annotation": annotation,
    }


def face_pdf(licence: Licence, *, annotation: dict | None = None) -> bytes:
    return render_typst("licences/typst/licence.typ", context(licence, annotation=annotation))


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
