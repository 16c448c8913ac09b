"""Printable notices (PDF, Typst): the context each template receives, built from the case and the
Notice row, so a reprint years later shows what was issued."""

import datetime as dt

from django.conf import settings

from tongban.core.pdf import render_typst
from tongban.core.qr import qr_svg
from tongban.org.models import Hall

from .models import Case, CaseMaterial, Notice

PREFIX = {"acceptance": "受", "missing": "补", "refusal": "不受", "gap_commitment": "容", "informed_commitment": "承", "receipt": "收",
          "extension": "延"}


def hall_of(case: Case) -> dict:
    """The hall that received the case: its window's, else the hall of the case's own region, else of the
    nearest region above it (a county case prints the county hall, not the city's)."""
    hall = case.window.hall if case.window_id else None
    region = case.region
    while hall is None and region is not None:
        hall = Hall.objects.filter(region=region).order_by("id").first()
        region = region.parent
    if hall is None:
        return {"name": settings.SITE_NAME, "address": "", "phone": "12345"}
    return {"name": hall.name, "address": hall.address, "phone": hall.phone or "12345"}


def contact(case: Case) -> dict:
    """首办负责: who the applicant asks — the responsible clerk, their phone and window."""
    return {"handler": str(case.handler) if case.handler_id else "",
            "handler_phone": (case.handler.phone if case.handler_id else "") or "12345",
            "window": f"{case.window.number}号窗口" if case.window_id else ""}


REMARKS = {CaseMaterial.Status.SHARED: "免提交(共享获取)", CaseMaterial.Status.ORIGINAL_SEEN: "已核验原件"}


def remark(cm: CaseMaterial) -> str:
    """What a notice prints beside a material: a licence reused from the wallet names its identifier (免提交(电子证照)),
    an earlier case's material the case it came from."""
    source, _, reference = (cm.reference or "").partition(":")
    if cm.status == CaseMaterial.Status.SHARED and source == "licence":
        return f"免提交(电子证照)电子证照标识:{reference}"
    if cm.status == CaseMaterial.Status.SHARED and source == "earlier_case":
        return f"免提交(申报材料复用)办件{reference.split('/')[0]}"
    return REMARKS.get(cm.status, "")


def context(notice: Notice) -> dict:
    case = notice.case
    version = case.item_version
    department = case.item.department.name if case.item_id else (case.bundle.region.name + "行政审批服务局")
    rows = []
    materials = {cm.material_id: cm for cm in case.materials.select_related("material")}
    if notice.kind == Notice.Kind.MISSING:
        rows = [{"name": i["name"], "form": i.get("form", ""), "copies": i.get("copies", ""),
                 "status": dict(CaseMaterial.Status.choices)[i["status"]], "reason": i["reason"]}
                for i in notice.data.get("items", [])]
    elif version is not None:
        for m in version.materials.all():
            cm = materials.get(m.pk)
            if cm is None:
                continue
            rows.append({"name": m.name, "form": m.get_form_display(), "copies": m.copies, "status": cm.get_status_display(),
                         "reason": cm.reason, "received": cm.status in CaseMaterial.RECEIVED, "remark": remark(cm)})
    commitment = None
    if notice.kind in (Notice.Kind.GAP, Notice.Kind.INFORMED):
        commitment = {"materials": notice.data.get("materials", []), "days": notice.data.get("days"),
                      "deadline": dt.date.fromisoformat(notice.data["deadline"]) if notice.data.get("deadline") else None}
    from .services import pickup_code, track_token

    track_url = f"{settings.SITE_URL}/track/{case.number}/{track_token(case.number)}/"
    gaps = [cm.material.name for cm in materials.values() if cm.status == CaseMaterial.Status.GAP]
    gap = getattr(case, "gap", None) if gaps else None
    extension = None
    if notice.kind == Notice.Kind.EXTENSION:
        d = notice.data
        extension = {"days": d.get("days"), "reason": d.get("reason", ""),
                     "old_deadline": dt.date.fromisoformat(d["old_deadline"]) if d.get("old_deadline") else None,
                     "new_deadline": dt.date.fromisoformat(d["new_deadline"]) if d.get("new_deadline") else None}
    who = contact(case)
    if not who["handler"] and notice.data.get("by"):
        who["handler"] = notice.data["by"]  # before acceptance: the clerk who issued it
    return {
        "gaps": gaps if notice.kind == Notice.Kind.ACCEPTANCE else [],
        "gap_deadline": gap.deadline if gap else None,
        "informed": [cm.material.name for cm in materials.values() if cm.status == CaseMaterial.Status.COMMITMENT]
        if notice.kind == Notice.Kind.ACCEPTANCE else [],
        "by_step": notice.data.get("by_step", ""), "by_department": notice.data.get("department", ""),
        "extension": extension,
        "title": notice.get_kind_display(),
        "doc_number": f"{case.region.name[:2]}审{PREFIX.get(notice.kind, '')}〔{notice.issued_on.year}〕第{case.number[-6:]}号"
                      + (f"-{notice.round}" if notice.round > 1 else ""),
        "hall": hall_of(case),
        "department": department,
        "case": {
            "number": case.number, "item_name": case.title, "applicant_name": case.applicant.name,
            "applicant_id": case.applicant.masked_id, "applicant_kind": case.applicant.get_kind_display(),
            "received_on": case.received_on, "accepted_on": case.accepted_on, "deadline": case.deadline,
            "promised_days": version.promised_limit if version else None,
            **who,
        },
        "materials": rows,
        "reason": notice.data.get("reason", ""),
        "remedies": notice.data.get("remedies", ""),
        "commitment": commitment,
        "post_check": {"deadline": dt.date.fromisoformat(notice.data["post_check"])} if notice.data.get("post_check") else None,
        "issued_on": notice.issued_on,
        "pickup_code": pickup_code(case) if notice.kind == Notice.Kind.ACCEPTANCE else "",
        "track_url": track_url,
        "qr_svg": qr_svg(track_url, scale=3, title="扫码查询办理进度"),
    }


def render(notice: Notice) -> bytes:
    """The notice as printed (unsealed: issuing seals it), from its Typst template."""
    from tongban.core.seal import seal_svg

    data = context(notice)
    return render_typst(f"cases/typst/{notice.kind}.typ", {**data, "seal_svg": seal_svg(data["department"])})
