"""Running a case through its process: ready steps land in department queues, a reviewer claims one,
answers every review point and gives an opinion; a step starts when all it waits for are done."""

import datetime as dt

from django.utils import timezone

from tongban.cases.common import record_event
from tongban.cases.models import Case
from tongban.core import tx
from tongban.core.errors import Conflict, DomainError
from tongban.org.models import Role
from tongban.org.scopes import has_role, require
from tongban.workcal import clocks

from .definitions import effective_process
from .models import SUSPEND_REASONS, CaseProcess, CaseStep, JointOpinion, StepKind, light_rank

DONE = CaseStep.State.DONE
INBOX_STATES = [CaseStep.State.READY, CaseStep.State.CLAIMED, CaseStep.State.RETURNED]  # as the inbox index's condition


def _today(on):
    return on or timezone.localdate()


def _history(case, actor, action, reason="", **data):
    record_event(case, actor, action, from_state=case.state, reason=reason, domain="workflow", **data)


def process_steps(process) -> list:
    """A published process's steps with their departments and regions (read once per server process)."""
    from tongban.core import memo

    def load():
        return list(process.steps.select_related("department__region"))

    if process.published_at is None:
        return load()
    return memo.frozen(("process_steps", process.pk, process.published_at), load)


def start(case: Case, on: dt.date | None = None, actor=None) -> CaseProcess | None:
    """Called at acceptance, in its transaction: pin the effective process, mark the start step (受理) done
    by the acceptance itself and open the steps that wait for nothing else — in one insert."""
    on = _today(on)
    process = effective_process(case.item, on)
    if process is None:
        return None
    run = CaseProcess.objects.create(case=case, process=process, started_on=on)
    rows, done = [], set()
    for step in process_steps(process):
        cs = CaseStep(case=case, step=step, department_id=step.department_id)
        if not step.after:
            cs.state, cs.done_on, cs.started_on = DONE, on, on
            done.add(step.code)
        rows.append(cs)
    for cs in rows:
        if cs.state == CaseStep.State.WAITING and set(cs.step.after) <= done:
            _open(case, cs, on, parent_locked=True)  # the case clock was started in this very transaction
    CaseStep.objects.bulk_create(rows)
    if any(cs.state == CaseStep.State.READY and cs.step.suspends_clock for cs in rows):
        _settle_case_clock(actor, case, on)
    return run


def _settle_case_clock(actor, case: Case, on: dt.date) -> None:
    """The case's legal clock stands still while a step is back with the applicant for correction (补齐补正)
    or a step of a kind 行政许可法 art. 45 leaves uncounted (听证、专家评审、公示、现场踏勘…) is open and marked
    so; otherwise it runs. Called after every change of the steps' states; the ledger records each pause."""
    from tongban.workcal.models import ClockState, SuspendReason

    clock = case.clock
    if clock is None or clock.state == ClockState.STOPPED:
        return
    reason, note = None, ""
    for cs in CaseStep.objects.filter(case=case, state__in=[CaseStep.State.READY, CaseStep.State.CLAIMED, CaseStep.State.RETURNED]) \
            .select_related("step").order_by("step__order", "id"):
        if cs.state == CaseStep.State.RETURNED:
            reason, note = SuspendReason.CORRECTION, f"{cs.step.name}退回补正"
            break
        wanted = SUSPEND_REASONS.get(cs.step.kind) if cs.step.suspends_clock else None
        if reason is None and wanted in clock.allowed_suspensions:
            reason, note = wanted, f"{cs.step.name}(《行政许可法》第四十五条,所需时间不计入期限)"
    current = clock.suspensions.filter(end__isnull=True).first() if clock.state == ClockState.PAUSED else None
    if (current.reason if current else None) == reason:
        return
    if current is not None:
        clock = clocks.resume_clock(actor, clock, on=on)
    if reason is not None:
        clock = clocks.suspend_clock(actor, clock, reason, on=on, note=note)
    case.clock, case.deadline, case.light = clock, clock.deadline, clock.light
    Case.objects.filter(pk=case.pk).update(deadline=clock.deadline, light=clock.light)
    _history(case, actor, "clock_paused" if reason else "clock_resumed", reason=note, clock_reason=reason or "")


def _open(case: Case, cs: CaseStep, on: dt.date, parent_locked: bool = False) -> None:
    """A step whose predecessors are done lands in its department's queue with its own clock (unsaved)."""
    step = cs.step
    cs.state, cs.started_on = CaseStep.State.READY, on
    cs.clock = clocks.start_clock(None, subject_type="case_step", subject_id=f"{case.number}:{step.code}",
                                  start_date=on, limit_days=step.budget_workdays, legal_limit_days=step.budget_workdays,
                                  parent=case.clock, level=step.department.region.level, label=f"{case.number} {step.name}",
                                  on=on, parent_locked=parent_locked, check_budget=False)
    # (the level budgets were checked along the longest path when the process was published; parallel branches
    # and art. 45 steps do not add up at run time)
    cs.deadline, cs.light = cs.clock.deadline, cs.clock.light


def _open_ready(case: Case, on: dt.date) -> list[CaseStep]:
    steps = list(CaseStep.objects.filter(case=case).select_related("step__department__region"))
    done = {cs.step.code for cs in steps if cs.state == DONE}
    opened = []
    for cs in steps:
        if cs.state == CaseStep.State.WAITING and set(cs.step.after) <= done:
            _open(case, cs, on)
            cs.save(update_fields=["state", "started_on", "clock", "deadline", "light"])
            opened.append(cs)
    return opened


def cancel_open_steps(actor, case: Case, on: dt.date, reason: str) -> list[CaseStep]:
    """The application was withdrawn: its open steps leave the queues and their clocks stop."""
    steps = list(CaseStep.objects.select_for_update(of=("self",)).select_related("step", "clock").filter(
        case=case, state__in=[CaseStep.State.WAITING, *INBOX_STATES]))
    for cs in steps:
        if cs.clock_id and cs.clock.state != "stopped":
            clocks.stop_clock(actor, cs.clock, on=on)
        cs.state, cs.done_on = CaseStep.State.CANCELLED, on
        cs.save(update_fields=["state", "done_on"])
    if steps:
        _history(case, actor, "steps_cancelled", reason=reason, steps=[cs.step.code for cs in steps])
    return steps


def claim(actor, case_step: CaseStep) -> CaseStep:
    """One claimant per step: a second, concurrent claim gets a 409."""
    require(actor, case_step.step.role, department=case_step.department, what="认领环节")
    with tx.atomic():
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        if cs.state != CaseStep.State.READY:
            raise Conflict("step_not_ready", f"该环节当前为“{cs.get_state_display()}”,不能认领")
        cs.state, cs.claimant = CaseStep.State.CLAIMED, actor
        cs.save()
        _history(cs.case, actor, "step_claimed", step=cs.step.code)
    return cs


def complete(actor, case_step: CaseStep, *, opinion: str, text: str, answers: list[dict], on: dt.date | None = None) -> CaseStep:
    """Record the reviewer's answers and opinion. agree/disagree finish the step (a disagreement is carried
    to the decision); return suspends the case clock and the step clock until the applicant supplies."""
    on = _today(on)
    with tx.atomic():
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        if cs.state != CaseStep.State.CLAIMED or cs.claimant_id != getattr(actor, "pk", None):
            raise Conflict("step_not_claimed", "只有认领人可以办理该环节")
        points = cs.step.review_points or []
        given = {a.get("point"): a for a in answers}
        missing = [p for p in points if not str(given.get(p, {}).get("answer", "")).strip()]
        if missing and opinion != CaseStep.Opinion.RETURN:  # a return may come before every point is judged
            raise DomainError("review_points", f"请逐项回答审查要点:{'、'.join(missing)}", field="answers")
        if opinion not in CaseStep.Opinion.values:
            raise DomainError("opinion", "意见应为同意、不同意或退回补正", field="opinion")
        if opinion != CaseStep.Opinion.AGREE and not text.strip():
            raise DomainError("opinion_text", "不同意或退回补正须说明理由", field="text")
        if cs.step.kind == StepKind.JOINT_INSPECTION:
            raise DomainError("joint_step", "联合踏勘由各部门分别提交意见", field="opinion")
        cs.opinion, cs.opinion_text, cs.answers = opinion, text, answers
        case = Case.objects.select_for_update().get(pk=cs.case_id)
        if opinion == CaseStep.Opinion.RETURN:
            cs.state = CaseStep.State.RETURNED
            cs.save()
            clocks.suspend_clock(actor, cs.clock, "correction", on=on, note=text)
            _settle_case_clock(actor, case, on)
            from tongban.cases.models import Notice

            rounds = case.notices.filter(kind=Notice.Kind.MISSING).count()
            Notice.objects.create(case=case, kind=Notice.Kind.MISSING, round=rounds + 1, issued_on=on,
                                  data={"material_ids": [], "items": [{"name": f"{cs.step.name}:补正要求", "status": "defective", "reason": text}]})
            _history(case, actor, "step_returned", reason=text, step=cs.step.code)
            return cs
        _finish(actor, cs, case, on)
    return cs


def _finish(actor, cs: CaseStep, case: Case, on: dt.date):
    stopped = clocks.stop_clock(actor, cs.clock, on=on)
    cs.state, cs.done_on, cs.light = DONE, on, stopped.light  # the light it finished with: in time or late
    cs.save()
    _history(case, actor, "step_done", step=cs.step.code, opinion=cs.opinion)
    _open_ready(case, on)
    _settle_case_clock(actor, case, on)


def resume_after_correction(actor, case: Case, on: dt.date | None = None) -> list[CaseStep]:
    """The applicant supplied what a returned step asked for: the clocks run again and the step is back
    with its claimant."""
    on = _today(on)
    with tx.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        back = list(CaseStep.objects.select_for_update().filter(case=case, state=CaseStep.State.RETURNED))
        if not back:
            raise Conflict("nothing_returned", "本办件没有退回补正的环节")
        for cs in back:
            clocks.resume_clock(actor, cs.clock, on=on)
            cs.state = CaseStep.State.CLAIMED
            cs.save()
        _history(case, actor, "correction_supplied", steps=[cs.step.code for cs in back])
        _settle_case_clock(actor, case, on)
    return back


def joint_opinion(actor, case_step: CaseStep, department, *, opinion: str, text: str = "", on: dt.date | None = None) -> CaseStep:
    """联合踏勘: each department answers once; the step is done when all have."""
    on = _today(on)
    require(actor, Role.REVIEWER, department=department, what="提交联合踏勘意见")
    with tx.atomic():
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        if cs.step.kind != StepKind.JOINT_INSPECTION or cs.state not in (CaseStep.State.READY, CaseStep.State.CLAIMED):
            raise Conflict("not_joint", "该环节不是进行中的联合踏勘")
        members = set(cs.step.joint_departments.values_list("pk", flat=True))
        if department.pk not in members:
            raise DomainError("joint_member", f"{department}不是本次联合踏勘的参加部门", field="department")
        if opinion != CaseStep.Opinion.AGREE and not text.strip():
            raise DomainError("opinion_text", "不同意须说明理由", field="text")
        if JointOpinion.objects.filter(case_step=cs, department=department).exists():
            raise Conflict("joint_answered", f"{department}已提交意见")
        JointOpinion.objects.create(case_step=cs, department=department, actor=actor, opinion=opinion, text=text)
        answered = set(cs.joint_opinions.values_list("department_id", flat=True))
        if answered >= members:
            disagreements = cs.joint_opinions.exclude(opinion=CaseStep.Opinion.AGREE)
            cs.opinion = CaseStep.Opinion.DISAGREE if disagreements.exists() else CaseStep.Opinion.AGREE
            cs.opinion_text = ";".join(f"{o.department}:{o.text}" for o in disagreements)
            _finish(actor, cs, Case.objects.select_for_update().get(pk=cs.case_id), on)
    return cs


def opinions_for_decision(case: Case) -> list[CaseStep]:
    """Every finished step's opinion, side by side for the leader (disagreements first)."""
    steps = CaseStep.objects.filter(case=case, state=DONE).exclude(step__kind__in=[StepKind.ACCEPT, StepKind.DECISION])
    return sorted(steps.select_related("step", "department", "claimant"), key=lambda s: (s.opinion == "agree", s.step.order))


def decision_step_ready(case: Case) -> CaseStep | None:
    return CaseStep.objects.filter(case=case, step__kind=StepKind.DECISION, state__in=[CaseStep.State.READY, CaseStep.State.CLAIMED]).first()


def decide(actor, case: Case, *, approve: bool, note: str, on: dt.date | None = None) -> Case:
    """The leader's decision, only once every branch is done; ends the process and the case clock."""
    from tongban.cases import services as case_services

    on = _today(on)
    step = decision_step_ready(case)
    if step is None:
        if CaseStep.objects.filter(case=case, step__kind=StepKind.DECISION, state=DONE).exists():
            raise Conflict("already_decided", "该办件已作出决定")
        raise Conflict("decision_not_ready", "审查环节尚未全部完成,不能作出决定")
    require(actor, Role.BUREAU_LEADER, department=step.department, what="作出审批决定")
    with tx.atomic():
        cs = CaseStep.objects.select_for_update().get(pk=step.pk)
        if cs.state not in (CaseStep.State.READY, CaseStep.State.CLAIMED):  # another leader decided meanwhile
            raise Conflict("already_decided", "该办件已作出决定")
        cs.claimant, cs.opinion, cs.opinion_text = actor, ("agree" if approve else "disagree"), note
        cs.state, cs.done_on = DONE, on
        cs.save()
        cs.light = clocks.stop_clock(actor, cs.clock, on=on).light
        cs.save(update_fields=["light"])
        case = case_services.record_decision(actor, case, approve=approve, note=note, on=on)
        from .documents import issue_decision

        issue_decision(actor, case, cs.department, on)  # sealed with the deciding authority's key
    return case


def reassign(actor, case_step: CaseStep, reviewer, *, reason: str) -> CaseStep:
    """The department head (or a supervisor) hands a step to another reviewer; recorded."""
    if not (has_role(actor, Role.BUREAU_LEADER, department=case_step.department)
            or has_role(actor, Role.SUPERVISOR, region=case_step.department.region)):
        require(actor, Role.BUREAU_LEADER, department=case_step.department, what="改派环节")
    if not reason.strip():
        raise DomainError("reassign_reason", "请说明改派原因", field="reason")
    if not has_role(reviewer, case_step.step.role, department=case_step.department):
        raise DomainError("reassign_target", f"改派对象须为{case_step.department}的办理人员", field="reviewer")
    with tx.atomic():
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        if cs.state not in (CaseStep.State.READY, CaseStep.State.CLAIMED):
            raise Conflict("step_not_open", f"该环节当前为“{cs.get_state_display()}”,不能改派")
        old = cs.claimant_id
        cs.claimant, cs.state = reviewer, CaseStep.State.CLAIMED
        cs.save()
        _history(cs.case, actor, "step_reassigned", reason=reason, step=cs.step.code, old=old, new=reviewer.pk)
    return cs


def inbox(user, *, department=None, state: str | None = None, limit: int = 50):
    """A department's open steps, red first then by deadline (the columns are stored and indexed)."""
    from tongban.org.models import RoleGrant

    departments = [department.pk] if department else list(
        RoleGrant.objects.filter(user=user, department__isnull=False).values_list("department_id", flat=True))
    qs = CaseStep.objects.filter(department_id__in=departments, state__in=INBOX_STATES)
    if state:
        qs = qs.filter(state=state)
    return list(qs.select_related("case__item_version", "step", "claimant", "department").annotate(rank=light_rank()).order_by("rank", "deadline", "id")[:limit])
