"""Running a case through its process: ready steps land in department queues, a reviewer claims one,
answers every review point and gives an opinion; a step starts when all it waits for are done."""

import datetime as dt

from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.common import locked, record_event
from tongban.cases.models import Case, CaseState
from tongban.core import tx
from tongban.core.errors import Conflict, DomainError
from tongban.org.models import Role
from tongban.org.scopes import grants as scoped_grants, has_role, require
from tongban.workcal import clocks

from .definitions import effective_process
from . import transitions
from .models import SUSPEND_REASONS, CaseProcess, CaseStep, JointOpinion, StepKind, light_rank

DONE = CaseStep.State.DONE
VERDICTS = ("符合", "不符合")  # the answer to each review point (审查要点), with a note
INBOX_STATES = [CaseStep.State.READY, CaseStep.State.CLAIMED, CaseStep.State.RETURNED]  # as the inbox index's condition


def _today(on):
    return on or timezone.localdate()


def _history(case, actor, action, reason="", **data):
    record_event(case, actor, action, from_state=case.state, reason=reason, domain="workflow", **data)


def _process_steps(process) -> list:
    """A published process's steps with their departments and regions (read once per server process)."""
    from tongban.core import memo

    def load():
        return list(process.steps.select_related("department__region"))

    if process.published_at is None:
        return load()
    return memo.frozen(("_process_steps", process.pk, process.published_at), load)


def start(case: Case, on: dt.date | None = None, actor=None) -> CaseProcess | None:
    """Called at acceptance, in its transaction: pin the effective process, mark the start step (受理) done
    by the acceptance itself and open the steps that wait for nothing else — in one insert."""
    on = _today(on)
    if case.item_id is None or case.item_version.case_kind != "promised":
        return None
    process = effective_process(case.item, on)
    if process is None:
        return None
    run = CaseProcess.objects.create(case=case, process=process, started_on=on)
    rows, done = [], set()
    for step in _process_steps(process):
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
        transitions.check(cs, "claim")
        cs.state, cs.claimant = CaseStep.State.CLAIMED, actor
        cs.save(update_fields=["state", "claimant"])
        _history(cs.case, actor, "step_claimed", step=cs.step.code)
    return cs


def complete(actor, case_step: CaseStep, *, opinion: str, text: str, answers: list[dict], materials=(),
             on: dt.date | None = None) -> CaseStep:
    """Record the reviewer's answers and opinion. agree/disagree finish the step (a disagreement is carried
    to the decision); return (退回补正) names what the applicant must supply (`materials`: guide materials with
    status missing/defective and a reason) and suspends the case and step clocks until the window receives it."""
    on = _today(on)
    with tx.atomic():
        case = locked(case_step.case)  # lock order everywhere: the case (a bundle's parent first), then its steps
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        cs.case = case
        if opinion not in CaseStep.Opinion.values:
            raise DomainError("opinion", "意见应为同意、不同意或退回补正", field="opinion")
        transitions.check(cs, "return" if opinion == CaseStep.Opinion.RETURN else "complete")
        if cs.claimant_id != getattr(actor, "pk", None) or not has_role(actor, cs.step.role, department=cs.department):
            raise Conflict("step_not_claimed", "只有认领人可以办理该环节")
        points = cs.step.review_points or []
        given = {a.get("point"): a for a in answers}
        missing = [p for p in points if not str(given.get(p, {}).get("answer", "")).strip()]
        if missing and opinion != CaseStep.Opinion.RETURN:  # a return may come before every point is judged
            raise DomainError("review_points", f"请逐项回答审查要点:{'、'.join(missing)}", field="answers")
        wrong = [a.get("point", "") for a in answers if str(a.get("answer", "")).strip() not in ("", *VERDICTS)]
        if wrong:
            raise DomainError("review_answer", f"审查要点应答“符合”或“不符合”:{'、'.join(wrong)}", field="answers")
        unknown = [a.get("point", "") for a in answers if a.get("point") not in points]
        if unknown:
            raise DomainError("review_point_unknown", f"不是本环节的审查要点:{'、'.join(unknown)}", field="answers")
        unexplained = [a["point"] for a in answers if a.get("answer") == "不符合" and not str(a.get("note", "")).strip()]
        if unexplained and opinion == CaseStep.Opinion.AGREE:
            raise DomainError("review_note", f"审查要点不符合却同意,请说明理由:{'、'.join(unexplained)}", field="answers")
        if opinion != CaseStep.Opinion.AGREE and not text.strip():
            raise DomainError("opinion_text", "不同意或退回补正须说明理由", field="text")
        if opinion == CaseStep.Opinion.RETURN and not materials:
            raise DomainError("return_materials", "退回补正须列明需要补交的材料(一次性告知申请人)", field="materials")
        cs.opinion, cs.opinion_text, cs.answers = opinion, text, answers
        if opinion == CaseStep.Opinion.RETURN:
            # the applicant is told exactly what to supply (cases issues the notice and shows 补正中); both clocks pause
            case_services.return_for_correction(actor, case, department=cs.department, step_name=cs.step.name, text=text,
                                                items=list(materials), on=on)
            case.state = CaseState.RETURNED
            cs.clock = clocks.suspend_clock(actor, cs.clock, "correction", on=on, note=text)
            cs.state, cs.deadline = CaseStep.State.RETURNED, None  # no deadline while the clock stands still
            cs.save()
            _settle_case_clock(actor, case, on)
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
    """The window received everything a return asked for (cases announces `case_resumed`): the returned
    steps are back with their claimants and the clocks run again. Runs in the supply's transaction."""
    on = _today(on)
    back = list(CaseStep.objects.select_for_update(of=("self",)).select_related("step", "clock").filter(
        case=case, state=CaseStep.State.RETURNED))
    for cs in back:
        cs.clock = clocks.resume_clock(actor, cs.clock, on=on)
        cs.state, cs.deadline, cs.light = CaseStep.State.CLAIMED, cs.clock.deadline, cs.clock.light
        cs.save(update_fields=["state", "deadline", "light"])
    if back:
        _history(case, actor, "correction_supplied", steps=[cs.step.code for cs in back])
        _settle_case_clock(actor, case, on)
    return back


def joint_member_department(actor, case_step: CaseStep):
    """The member department the actor answers for: one of the joint step's departments where the actor is
    a reviewer and which has not answered yet (None if there is none)."""
    from tongban.org.models import RoleGrant

    members = set(case_step.step.joint_departments.values_list("pk", flat=True))
    answered = set(case_step.joint_opinions.values_list("department_id", flat=True))
    mine = RoleGrant.objects.filter(user=actor, role=Role.REVIEWER, department_id__in=members - answered) \
        .select_related("department").order_by("department_id").first()
    return mine.department if mine else None


def joint_opinion(actor, case_step: CaseStep, department=None, *, opinion: str, text: str = "", inspected_on: dt.date | None = None,
                  place: str = "", participants: str = "", file=None, on: dt.date | None = None) -> CaseStep:
    """联合踏勘/联合验收: each member department records its opinion once (date and place of the inspection,
    who took part, the opinion, an optional file); the step is done when every member has answered, with a
    disagreement if any member disagreed."""
    on = _today(on)
    if department is None:
        department = joint_member_department(actor, case_step)
        if department is None:
            from tongban.org.models import RoleGrant

            members = case_step.step.joint_departments.values("pk")
            if not RoleGrant.objects.filter(user=actor, role=Role.REVIEWER, department__in=members).exists():
                require(actor, Role.REVIEWER, department=case_step.department, what="提交联合踏勘意见")
            raise Conflict("joint_answered", "您所在部门已提交本次联合踏勘意见")
    require(actor, Role.REVIEWER, department=department, what="提交联合踏勘意见")
    if opinion not in (CaseStep.Opinion.AGREE, CaseStep.Opinion.DISAGREE):
        raise DomainError("opinion", "联合踏勘意见应为同意(agree)或不同意(disagree)", field="opinion")
    if opinion != CaseStep.Opinion.AGREE and not text.strip():
        raise DomainError("opinion_text", "不同意须说明理由", field="text")
    inspected_on = inspected_on or on
    if inspected_on > on:
        raise DomainError("inspected_on", "踏勘日期不得晚于今天", field="inspected_on")
    for name, value, size in (("place", place, 200), ("participants", participants, 300), ("text", text, 2000)):
        if len(value) > size:
            raise DomainError("too_long", f"{ {'place': '踏勘地点', 'participants': '参加人员', 'text': '意见'}[name]}不得超过{size}字", field=name)
    with tx.atomic():
        case = locked(case_step.case)
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("case__item_version", "step", "department__region", "claimant").get(pk=case_step.pk)
        cs.case = case
        transitions.check(cs, "joint_opinion")
        members = set(cs.step.joint_departments.values_list("pk", flat=True))
        if department.pk not in members:
            raise DomainError("joint_member", f"{department}不是本次联合踏勘的参加部门", field="department")
        if inspected_on < cs.started_on:
            raise DomainError("inspected_on", f"踏勘日期不得早于环节开始日({cs.started_on:%Y-%m-%d})", field="inspected_on")
        if JointOpinion.objects.filter(case_step=cs, department=department).exists():
            raise Conflict("joint_answered", f"{department}已提交意见")
        jo = JointOpinion(case_step=cs, department=department, actor=actor, opinion=opinion, text=text,
                          inspected_on=inspected_on, place=place, participants=participants)
        if file is not None:
            from tongban.cases.files import check_upload, stored_name

            jo.content_type = check_upload(file)
            jo.file.save(stored_name(jo.content_type), file, save=False)
        jo.save()
        _history(case, actor, "joint_opinion", reason=text, step=cs.step.code, department=department.name, opinion=opinion)
        answered = set(cs.joint_opinions.values_list("department_id", flat=True))
        if answered >= members:
            disagreements = cs.joint_opinions.exclude(opinion=CaseStep.Opinion.AGREE)
            cs.opinion = CaseStep.Opinion.DISAGREE if disagreements.exists() else CaseStep.Opinion.AGREE
            cs.opinion_text = ";".join(f"{o.department}:{o.text}" for o in disagreements)
            _finish(actor, cs, case, on)
    return cs


def opinions_for_decision(case: Case) -> list[CaseStep]:
    """Every finished step's opinion, side by side for the leader (disagreements first)."""
    steps = CaseStep.objects.filter(case=case, state=DONE).exclude(step__kind__in=[StepKind.ACCEPT, StepKind.DECISION])
    return sorted(steps.select_related("step", "department", "claimant"), key=lambda s: (s.opinion == "agree", s.step.order))


def decide(actor, case: Case, *, approve: bool, note: str, on: dt.date | None = None) -> Case:
    """The leader's decision and the sealed document (一枚印章管审批). A case with a process is decided through
    its decision step, only once every branch is done; an accepted promised case without a process by a
    leader of the item's department. Either way cases records the decision and the document is issued."""
    on = _today(on)
    if not approve and not note.strip():
        raise DomainError("denial_reason", "不予许可必须说明理由", field="note")
    step = CaseStep.objects.filter(case=case, step__kind=StepKind.DECISION).select_related("department__region").first()
    if step is None:  # no back-office process: the item's own authority decides (cases checks role and state)
        with tx.atomic():
            case = case_services.record_decision(actor, case, approve=approve, note=note, on=on)
            from .documents import record_decision_document

            record_decision_document(actor, case, case.item.department, on)
        return case
    require(actor, Role.BUREAU_LEADER, department=step.department, what="作出审批决定")
    with tx.atomic():
        case = locked(case)
        cs = CaseStep.objects.select_for_update(of=("self",)).select_related("clock", "step").get(pk=step.pk)
        if cs.state == DONE:
            raise Conflict("already_decided", "该办件已作出决定")
        if cs.state == CaseStep.State.WAITING:
            raise Conflict("decision_not_ready", "审查环节尚未全部完成,不能作出决定")
        transitions.check(cs, "decide")
        cs.claimant, cs.opinion, cs.opinion_text = actor, ("agree" if approve else "disagree"), note
        cs.state, cs.done_on = DONE, on
        cs.light = clocks.stop_clock(actor, cs.clock, on=on).light
        cs.save()
        case = case_services.record_decision(actor, case, approve=approve, note=note, on=on, through_process=True)
        from .documents import record_decision_document

        record_decision_document(actor, case, cs.department, on)  # sealed with the deciding authority's key
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
        transitions.check(cs, "reassign")
        old = cs.claimant_id
        cs.claimant, cs.state = reviewer, CaseStep.State.CLAIMED
        cs.save()
        _history(cs.case, actor, "step_reassigned", reason=reason, step=cs.step.code, old=old, new=reviewer.pk)
    return cs


def inbox(user, *, department=None, state: str | None = None, mine: bool = False, unclaimed: bool = False,
          light: str | None = None, page: int = 1, limit: int = 50) -> list[CaseStep]:
    """The steps this user can act on now, red first then by deadline (stored, indexed columns): unclaimed
    steps of their departments whose role they hold, the steps they claimed, and joint inspections their
    department has still to answer. Decision steps are in the leader's queue, not here; steps back with the
    applicant (退回补正) wait for the window. `mine` / `unclaimed` / `light` filter; `page` pages by `limit`."""
    from collections import defaultdict

    from django.db.models import Q

    by_role = defaultdict(set)
    for role in Role.values:  # the user's grants, read once per request (org.scopes caches them on the user)
        for g in scoped_grants(user, role):
            if g.department_id and (department is None or g.department_id == department.pk):
                by_role[role].add(g.department_id)
    if not by_role:
        return []
    scope = Q(pk__in=[])
    for role, depts in by_role.items():
        scope |= Q(department_id__in=sorted(depts), step__role=role)
    if mine or state == CaseStep.State.CLAIMED:
        wanted = Q(state=CaseStep.State.CLAIMED, claimant=user)
    elif unclaimed or state == CaseStep.State.READY:
        wanted = Q(state=CaseStep.State.READY)
    else:
        wanted = Q(state=CaseStep.State.READY) | Q(state=CaseStep.State.CLAIMED, claimant=user)
    qs = CaseStep.objects.filter(scope, wanted).exclude(step__kind__in=[StepKind.DECISION, StepKind.JOINT_INSPECTION])
    if light:
        qs = qs.filter(light=light)
    related = ("case__item_version", "step", "claimant", "department")
    steps = list(qs.select_related(*related).annotate(rank=light_rank()).order_by("rank", "deadline", "id")
                 [(page - 1) * limit: page * limit])
    if page == 1 and not mine and state != CaseStep.State.CLAIMED:  # joint inspections the departments have still to answer
        reviewing = by_role.get(Role.REVIEWER, set())
        ids = []
        if reviewing:  # the ids first: planning the rows' joins with the anti-join and DISTINCT cost ~20 ms a page
            joint = CaseStep.objects.filter(step__kind=StepKind.JOINT_INSPECTION, state__in=[CaseStep.State.READY, CaseStep.State.CLAIMED],
                                            step__joint_departments__in=sorted(reviewing)).exclude(
                joint_opinions__department_id__in=sorted(reviewing))
            if light:
                joint = joint.filter(light=light)
            ids = list(joint.values_list("pk", flat=True).distinct()[:limit])
        extra = list(CaseStep.objects.filter(pk__in=ids).select_related(*related).annotate(rank=light_rank())) if ids else []
        if extra:
            steps = sorted({cs.pk: cs for cs in [*steps, *extra]}.values(), key=lambda cs: (cs.rank, cs.deadline or dt.date.max, cs.pk))
    return steps
