"""Oversight of running steps: the lead department (牵头部门) of a parallel stage sees every branch and
chases (催办) an unfinished one; a step whose clock is red is escalated to its department head and to the
region's supervisors, who may reassign it (engine.reassign).

A parallel stage is the set of a process's steps that wait for the same steps (the same `after`); a step
marked `is_lead` makes its department the lead of its stage."""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tongban.cases.common import record_event
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.org.models import Role, RoleGrant
from tongban.org.scopes import has_role
from tongban.workcal.days import get_calendar

from .models import CaseStep, Chase, Step

OPEN = (CaseStep.State.READY, CaseStep.State.CLAIMED)
UNFINISHED = (*OPEN, CaseStep.State.RETURNED)
LEAD_ROLES = (Role.REVIEWER, Role.BUREAU_LEADER)


def _stage_key(step: Step) -> tuple:
    return (step.process_id, tuple(sorted(step.after)))


def _lead_steps_of_stage(step: Step) -> list[Step]:
    """The lead steps of the parallel stage `step` belongs to (normally one)."""
    leads = Step.objects.filter(process_id=step.process_id, is_lead=True).select_related("department__region")
    return [s for s in leads if _stage_key(s) == _stage_key(step)]


def _lead_department_of(actor, step: Step):
    for lead in _lead_steps_of_stage(step):
        if any(has_role(actor, role, department=lead.department) for role in LEAD_ROLES):
            return lead.department
    return None


def chase(actor, case_step: CaseStep, *, note: str = "") -> Chase:
    """The lead department presses an unfinished branch of its stage: recorded in the case history and shown
    in the chased department's inbox."""
    note = note.strip()
    if len(note) > 200:
        raise DomainError("chase_note", "催办意见不超过200字", field="note")
    with transaction.atomic():
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case", "step", "department").get(pk=case_step.pk)
        lead = _lead_department_of(actor, cs.step)
        if lead is None:
            raise NotAllowed("只有本阶段牵头部门的人员可以催办该环节")
        if cs.department_id == lead.pk:
            raise DomainError("chase_own_branch", "牵头部门不能催办本部门的环节", field="step")
        if cs.state == CaseStep.State.DONE:
            raise Conflict("step_done", "该环节已办结,无需催办")
        if cs.state not in OPEN:
            raise Conflict("step_not_open", f"该环节当前为“{cs.get_state_display()}”,不能催办")
        made = Chase.objects.create(case_step=cs, by_department=lead, actor=actor, note=note)
        record_event(cs.case, actor, "step_chased", from_state=cs.case.state, reason=note, domain="workflow",
               step=cs.step.code, department=cs.department.name, lead=lead.name)
    return made


def attach_chases(steps: list[CaseStep]) -> list[CaseStep]:
    """Set `last_chase` (or None) and `chase_count` on each step: one query for the whole list."""
    latest, counts = {}, defaultdict(int)
    for c in Chase.objects.filter(case_step_id__in=[cs.pk for cs in steps]).select_related("by_department", "actor"):
        counts[c.case_step_id] += 1
        if c.case_step_id not in latest or (c.at, c.pk) > (latest[c.case_step_id].at, latest[c.case_step_id].pk):
            latest[c.case_step_id] = c
    for cs in steps:
        cs.last_chase, cs.chase_count = latest.get(cs.pk), counts[cs.pk]
    return steps


def _user_departments(user) -> list[int]:
    """Departments where the user reviews or leads (a clerk posted to a department does not see its board)."""
    return list(RoleGrant.objects.filter(user=user, department__isnull=False, role__in=[Role.REVIEWER, Role.BUREAU_LEADER])
                .values_list("department_id", flat=True))


def lead_board(user, *, limit: int = 50) -> list[dict]:
    """For a lead department's staff: each running case whose stage they lead, with the stage's branches side
    by side (red first, then by the earliest open deadline)."""
    leads = Step.objects.filter(is_lead=True)
    if not user.is_superuser:
        leads = leads.filter(department_id__in=_user_departments(user))
    leads = list(leads)
    if not leads:
        return []
    keys = {_stage_key(s) for s in leads}
    siblings = [s for s in Step.objects.filter(process_id__in={s.process_id for s in leads}) if _stage_key(s) in keys]
    sibling_ids = [s.pk for s in siblings]
    open_cases = CaseStep.objects.filter(step_id__in=sibling_ids, state__in=UNFINISHED).values("case_id")
    lead_rows = list(CaseStep.objects.filter(step_id__in=[s.pk for s in leads], case_id__in=open_cases)
                     .exclude(state=CaseStep.State.WAITING).select_related("case", "step")
                     .order_by(F("case__deadline").asc(nulls_last=True), "case_id")[:limit])  # the most urgent cases first
    branches = defaultdict(list)
    for cs in attach_chases(list(CaseStep.objects.filter(case_id__in=[r.case_id for r in lead_rows], step_id__in=sibling_ids)
                                 .select_related("step", "department", "claimant"))):
        branches[(cs.case_id, _stage_key(cs.step))].append(cs)
    rows = []
    for lead in lead_rows:
        stage = sorted(branches[(lead.case_id, _stage_key(lead.step))], key=lambda b: (b.step.order, b.step_id))
        for b in stage:
            b.chaseable = b.department_id != lead.department_id and b.state in OPEN
        running = [b for b in stage if b.state in OPEN]
        rows.append({"case": lead.case, "lead": lead, "branches": stage,
                     "red": any(b.light == "red" for b in running),
                     "next_deadline": min((b.deadline for b in running if b.deadline), default=None)})
    rows.sort(key=lambda r: (not r["red"], r["next_deadline"] or dt.date.max))
    return rows


def _escalation_scope(user) -> Q:
    """Department heads see their department's steps; supervisors (and system administrators) their region's."""
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for g in RoleGrant.objects.filter(user=user, role__in=[Role.BUREAU_LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN]).select_related("region"):
        if g.department_id:
            q |= Q(department_id=g.department_id)
        else:
            q |= Q(department__region__path__startswith=g.region.path)
    return q


def escalations(user, *, limit: int = 100, on: dt.date | None = None) -> list[CaseStep]:
    """Open steps whose clock is red, in the user's scope, most overdue first (stored, indexed columns)."""
    on = on or timezone.localdate()
    qs = (CaseStep.objects.filter(_escalation_scope(user), light="red", state__in=OPEN)
          .select_related("case", "step", "department", "claimant").order_by("deadline", "id")[:limit])
    steps = attach_chases(list(qs))
    cal = get_calendar()
    for cs in steps:
        cs.overdue_workdays = cal.between(cs.deadline, on).days if cs.deadline and cs.deadline < on else 0
    return steps


def is_escalated_to(user, case_step: CaseStep) -> bool:
    return CaseStep.objects.filter(_escalation_scope(user), pk=case_step.pk, light="red", state__in=OPEN).exists()


def reassign_candidates(steps: list[CaseStep]) -> dict[int, list]:
    """For each step, the staff of its department who hold the step's role (one query)."""
    grants = RoleGrant.objects.filter(department_id__in={cs.department_id for cs in steps},
                                      role__in={cs.step.role for cs in steps}).select_related("user").order_by("user__username")
    by_key = defaultdict(list)
    for g in grants:
        if g.user.is_active and g.user not in by_key[(g.department_id, g.role)]:
            by_key[(g.department_id, g.role)].append(g.user)
    return {cs.pk: [u for u in by_key[(cs.department_id, cs.step.role)] if u.pk != cs.claimant_id] for cs in steps}
