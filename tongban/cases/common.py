"""Helpers shared by the intake and exit services: locking, state changes, history, scope checks, and the
steps a decision and a delivery share (the caller has checked the act and holds the case's lock)."""

import datetime as dt

from django.utils import timezone

from tongban.catalog.models import Material
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError
from tongban.org.models import Role, Window
from tongban.org.scopes import has_role, require
from tongban.workcal import clocks

from . import events
from .models import Case, CaseEvent, CaseMaterial, CaseState, Channel, Delivery, MaterialFile, Visit

S = CaseMaterial.Status


def today(on):
    return on or timezone.localdate()

def provisional_number() -> str:
    """Until the real number is drawn at the end of the submit transaction (never visible outside it)."""
    import uuid

    return "pending-" + uuid.uuid4().hex

def record_event(case: Case, actor, action: str, *, from_state: str = "", reason: str = "", domain: str = "case", **data) -> None:
    """One entry in the case's history and its audit chain (`domain` names the audit action: case.*, workflow.*)."""
    data = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
    CaseEvent.objects.create(
        case=case, actor=actor if getattr(actor, "pk", None) else None, action=action,
        from_state=from_state, to_state=case.state, reason=reason, data=data,
    )
    record(actor, f"{domain}.{action}", case, data={"from": from_state, "to": case.state, "reason": reason, **data},
           new=action == "submitted")  # a case's chain starts with its submission

def locked(case: Case) -> Case:
    """The case row again, locked; related rows that cannot change (item, version, region, applicant) are
    carried over from the object in hand instead of being read again."""
    if case.parent_id:  # lock order everywhere: a bundle's parent before its children (no deadlock with the parent's acts)
        list(Case.objects.select_for_update().filter(pk=case.parent_id).values_list("pk", flat=True))
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    for name in ("item_version", "item", "region", "applicant", "bundle", "parent"):
        related = case._state.fields_cache.get(name)
        if related is not None and getattr(fresh, f"{name}_id") == related.pk:
            fresh._state.fields_cache[name] = related
    if hasattr(case, "_guide_cache"):
        fresh._guide_cache = case._guide_cache
    return fresh

def require_clerk(actor, case_or_region, what: str):
    region = getattr(case_or_region, "region", case_or_region)
    require(actor, Role.WINDOW_CLERK, region=region, what=what)

def require_submitter(actor, region, channel: str, applicant=None):
    """Clerks receive at the window; a 帮代办员 may submit (only submit) on the agent channel; an applicant account
    submits online for an applicant it acts for (本人, 法定代表人, 经办人)."""
    if channel == Channel.AGENT and has_role(actor, Role.AGENT, region=region):
        return
    if channel == Channel.ONLINE and applicant is not None:
        from .accounts import acts_for

        if acts_for(actor, applicant):
            return
    require(actor, Role.WINDOW_CLERK, region=region, what="收件")

def is_parent(case: Case) -> bool:
    return bool(case.bundle_id and not case.item_id)

def not_parent(case: Case, what: str):
    if is_parent(case):
        raise DomainError("bundle_parent", f"一件事请在各子办件上{what}", field="case")

def expect(case: Case, states, what: str):
    if case.state not in states:
        raise Conflict("wrong_state", f"办件当前状态为“{case.get_state_display()}”,不能{what}")

def record_visit(case: Case, purpose: str, window: Window | None, *, save: bool = True):
    """Record a physical visit; `save=False` when the caller writes `case.visits` itself."""
    Visit.objects.create(case=case, purpose=purpose, window=window)
    case.visits += 1
    if save:
        Case.objects.filter(pk=case.pk).update(visits=case.visits)

def guide_materials_of(case: Case) -> dict[int, Material]:
    cached = getattr(case, "_guide_cache", None)
    if cached is None or cached[0] != case.item_version_id:
        from tongban.catalog.selectors import guide_materials

        cached = (case.item_version_id, guide_materials(case.item_version))
        case._guide_cache = cached
    return cached[1]

def guide_material(case: Case, material_id: int) -> Material:
    m = guide_materials_of(case).get(int(material_id))
    if m is None:
        raise DomainError("material_not_in_guide", "该材料不在本事项办事指南的材料清单内,不得要求提交", field="materials")
    return m

def store_material(case: Case, material: Material, status: str, *, file=None, reason: str = "", on=None,
                   reference: str = "") -> CaseMaterial:
    from .files import check_upload, stored_name

    cm, _ = CaseMaterial.objects.get_or_create(case=case, material=material, defaults={"status": status})
    cm.status, cm.reason, cm.reference = status, reason, reference
    if file is not None:
        cm.content_type = check_upload(file)
        cm.file.save(stored_name(cm.content_type), file, save=False)
        MaterialFile.objects.create(case_material=cm, file=cm.file.name, content_type=cm.content_type)
    if on:
        cm.supplied_on = on
    cm.save()
    return cm

def set_state(case: Case, state: str, **fields):
    fields = {k: v for k, v in fields.items() if v is not None or k not in ("handler",)}
    for k, v in fields.items():
        setattr(case, k, v)
    case.state = state
    case.save(update_fields=["state", "updated_at", *fields])

def decide_now(actor, case: Case, approve: bool, note: str, on: dt.date):
    before = case.state
    if case.clock_id:
        clocks.stop_clock(actor, case.clock, on=on)
        case.clock.refresh_from_db()
    Delivery.objects.filter(case=case).delete()
    set_state(case, CaseState.APPROVED if approve else CaseState.DENIED, decided_on=on, decision_note=note,
               light=case.clock.light if case.clock_id else case.light)
    record_event(case, actor, "decided", from_state=before, reason=note, approved=approve)
    events.case_decided.send(sender=Case, case=case, actor=actor, on=on, approve=approve, note=note)

def complete_with(actor, case: Case, delivery: Delivery, on: dt.date):
    if delivery.pk is None:  # a registered mailing the applicant did not wait for: the window handover replaces it
        Delivery.objects.filter(case=case).delete()
    delivery.save()
    before = case.state
    set_state(case, CaseState.COMPLETED, completed_on=on)
    record_event(case, actor, "completed", from_state=before, method=delivery.method)
    events.case_delivered.send(sender=Case, case=case, actor=actor, on=on, method=delivery.method)
    complete_parent_if_done(actor, case, on)


FINISHED = [CaseState.COMPLETED, CaseState.REFUSED, CaseState.WITHDRAWN]


def complete_parent_if_done(actor, child: Case, on: dt.date):
    """A bundle is done when every child is finished (completed, or withdrawn / refused) and one was completed."""
    if not child.parent_id:
        return
    parent = locked(child.parent)
    states = set(parent.children.values_list("state", flat=True))
    if parent.state in FINISHED or not states <= set(FINISHED):
        return
    parent_before = parent.state
    if parent.clock_id:
        clocks.stop_clock(actor, parent.clock, on=on)
    if CaseState.COMPLETED in states:
        set_state(parent, CaseState.COMPLETED, completed_on=on)
        record_event(parent, actor, "completed", from_state=parent_before, reason="一件事所含事项均已办结")
    else:  # every item was withdrawn or refused: the bundle ends the same way, its clock stops
        end = CaseState.WITHDRAWN if CaseState.WITHDRAWN in states else CaseState.REFUSED
        set_state(parent, end, gap_open=False)
        record_event(parent, actor, "withdrawn" if end == CaseState.WITHDRAWN else "refused", from_state=parent_before,
               reason="一件事所含事项均已撤回或不予受理")
