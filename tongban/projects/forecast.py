"""The forecast (预测): the earliest day the whole project can be through its four stages, on the working-day
calendar, from the stage processes' budgets and where each case really is.

Stages follow each other; inside a stage the items run in parallel, and inside an item's case the steps of
its process run as the process says (a step starts when every step it waits for is done). A finished step
counts with its real dates, an open step with its deadline (or today, when late), a step back with the
applicant for correction with the working days it had left, counted from the day the applicant is expected
back (`CORRECTION_ALLOWANCE` working days after the return, or today when later): so a correction pause moves
the forecast at once, and further each day it lasts. The acceptance step takes no time: the engine marks it
done with the acceptance. The plan (计划) is the same computation from the project's first application with
no case yet: the baseline the actual (实际) is drawn against. The critical path is the chain of the latest
step of the latest item of each stage."""

import datetime as dt
import re

from django.utils import timezone

from tongban.workcal.days import add_working_days

from .models import ForecastPoint, Project, Stage

CORRECTION_ALLOWANCE = 5  # working days the applicant is expected to take to supply a correction


def _add(day: dt.date, n: int) -> dt.date:
    return add_working_days(day, n).date if n > 0 else day


def _steps_of(item, on: dt.date) -> list[dict]:
    """The item's process as plannable steps; an item without a process is one step of its promised limit."""
    from tongban.workflow.definitions import effective_process

    process = effective_process(item, on)
    if process is not None:
        return [{"code": s.code, "name": s.name, "after": list(s.after), "budget": 0 if not s.after else s.budget_workdays,
                 "department": s.department.name, "kind": s.kind,
                 "departments": [d.name for d in s.joint_departments.all()] or [s.department.name]}  # a joint step: each member
                for s in process.steps.select_related("department").prefetch_related("joint_departments").order_by("order", "id")]
    version = item.versions.effective(on).first() or item.versions.order_by("-number").first()
    return [{"code": "handle", "name": "办理", "after": [], "budget": version.promised_limit if version else 0,
             "department": item.department.name, "kind": "review", "departments": [item.department.name]}]


def _schedule(steps: list[dict], start: dt.date, fixed: dict, floor: dt.date | None = None) -> dict:
    """code → (start, end, done): fixed steps as given, the others as soon as what they wait for is done."""
    out, pending = {}, list(steps)
    while pending:
        progressed = False
        for s in list(pending):
            if not set(s["after"]) <= out.keys():
                continue
            if s["code"] in fixed:
                out[s["code"]] = fixed[s["code"]]
            else:
                begin = max([out[a][1] for a in s["after"]] or [start])
                if floor is not None:
                    begin = max(begin, floor)
                out[s["code"]] = (begin, _add(begin, s["budget"]), False)
            pending.remove(s)
            progressed = True
        if not progressed:  # a cycle cannot be published; be safe
            break
    return out


def _paused_end(clock, on: dt.date) -> dt.date:
    back = max(on, _add(clock.paused_since or on, CORRECTION_ALLOWANCE))
    return _add(back, max(clock.remaining_at_pause or 0, 0))


def _case_schedule(case, steps: list[dict], on: dt.date) -> dict:
    from tongban.workflow.models import CaseStep

    St = CaseStep.State
    run = {cs.step.code: cs for cs in CaseStep.objects.filter(case=case).select_related("step", "clock")}
    if case.decided_on and not run:
        begin = case.accepted_on or case.received_on
        return {s["code"]: (begin, case.decided_on, True) for s in steps}
    if not run:
        if case.state == "accepted" and case.clock_id:  # a promised item without a process: its own clock
            end = _paused_end(case.clock, on) if case.clock.state == "paused" else max(case.deadline or on, on)
            return {s["code"]: (case.accepted_on, end, False) for s in steps}
        return _schedule(steps, on, {})  # not accepted yet: from today
    fixed = {}
    for code, cs in run.items():
        if cs.state == St.DONE:
            fixed[code] = (cs.started_on or cs.done_on, cs.done_on, True)
        elif cs.state in (St.READY, St.CLAIMED):
            fixed[code] = (cs.started_on, max(cs.deadline or on, on), False)
        elif cs.state == St.RETURNED and cs.clock_id:
            fixed[code] = (cs.started_on, _paused_end(cs.clock, on), False)
        elif cs.state == St.CANCELLED:
            fixed[code] = (cs.started_on or on, cs.done_on or on, True)
    steps = [{**s, "name": run[s["code"]].step.name} if s["code"] in run else s for s in steps]
    return _schedule(steps, case.accepted_on or on, fixed, floor=on)


def _latest(schedule: dict) -> tuple[str, dt.date] | None:
    if not schedule:
        return None
    code = max(schedule, key=lambda c: (schedule[c][1], c))
    return code, schedule[code][1]


def _chain(steps: list[dict], schedule: dict) -> list[str]:
    """Back from the latest step through the predecessor that finished last: the item's critical steps."""
    by_code = {s["code"]: s for s in steps}
    latest = _latest(schedule)
    chain = []
    code = latest[0] if latest else None
    while code:
        chain.append(code)
        afters = [a for a in by_code[code]["after"] if a in schedule]
        code = max(afters, key=lambda a: schedule[a][1]) if afters else None
    return list(reversed(chain))


def compute(project: Project, on: dt.date | None = None) -> dict:
    """Plan and forecast of every stage, item and step; the project's earliest completion; the critical path."""
    from tongban.cases.models import CaseState

    from .services import ENDED_UNDECIDED, stage_items

    on = on or timezone.localdate()
    runs = {r.stage: r for r in project.stage_runs.all()}
    links = {}
    for link in project.links.select_related("case__item", "case__clock").order_by("case_id"):
        if link.case.state not in ENDED_UNDECIDED:
            links[(link.stage, link.case.item_id)] = link.case
    first = min([r.applied_on for r in runs.values()] or [project.created_on])
    plan_start, prev_end = first, None
    stages, critical, rows = [], [], []
    for stage in Stage:
        run = runs.get(stage.value)
        items = stage_items(project, stage.value)
        plan_items, actual_items = [], []
        plan_end = plan_start
        start = run.applied_on if run else max(on, prev_end or on)
        for item in items:
            steps = _steps_of(item, on)
            plan = _schedule(steps, plan_start, {})
            case = links.get((stage.value, item.pk))
            if case is not None:
                actual = _case_schedule(case, steps, on)
            else:
                actual = _schedule(steps, max(start, on, prev_end or on), {})
            pe, ae = _latest(plan), _latest(actual)
            plan_end = max(plan_end, pe[1] if pe else plan_start)
            name = (item.versions.effective(on).first() or item.versions.order_by("-number").first()).name
            entry = {"item": name, "department": item.department.name, "case": case.number if case else None,
                     "state": case.get_state_display() if case else "未申报", "decided": bool(case and case.decided_on),
                     "approved": bool(case and case.state in (CaseState.APPROVED, CaseState.COMPLETED)),
                     "plan_end": pe[1] if pe else plan_start, "end": ae[1] if ae else start,
                     "steps": [{"code": s["code"], "name": s["name"], "department": s["department"], "departments": s["departments"],
                                "plan": plan.get(s["code"]), "actual": actual.get(s["code"])} for s in steps],
                     "chain": _chain(steps, actual)}
            plan_items.append(plan)
            actual_items.append(entry)
        end = max([e["end"] for e in actual_items] or [start])
        if run and run.completed_on:
            end = run.completed_on
        if prev_end and end < prev_end and not (run and run.completed_on):
            end = prev_end
        crit = max(actual_items, key=lambda e: e["end"], default=None)
        if crit:
            steps_by_code = {s["code"]: s for s in crit["steps"]}
            for code in crit["chain"]:
                s = steps_by_code[code]
                if s["actual"] and s["actual"][0] != s["actual"][1]:
                    critical.append({"stage": stage.label, "item": crit["item"], "step": s["name"], "department": s["department"],
                                     "start": s["actual"][0], "end": s["actual"][1], "done": s["actual"][2]})
        stages.append({"stage": stage.value, "name": stage.label, "state": run.get_state_display() if run else "未申报",
                       "plan_start": plan_start, "plan_end": plan_end, "start": run.applied_on if run else None,
                       "end": end, "done": bool(run and run.completed_on), "items": actual_items})
        rows.extend(_department_rows(stage, actual_items, crit))
        plan_start, prev_end = plan_end, end
    return {"on": on, "end": prev_end, "plan_end": plan_start, "stages": stages, "critical_path": critical, "rows": rows,
            "correction_allowance": CORRECTION_ALLOWANCE}


def _department_rows(stage, items: list[dict], crit: dict | None) -> list[dict]:
    """The Gantt's rows: one per stage and department, plan span against actual (done part and forecast part)."""
    rows: dict[str, dict] = {}
    for entry in items:
        for s in entry["steps"]:
            if s["plan"] and s["plan"][0] == s["plan"][1] and (not s["actual"] or s["actual"][0] == s["actual"][1]):
                continue  # the acceptance: no time
            for dept in s["departments"]:
                row = rows.setdefault(dept, {"stage": stage.value, "label": f"{stage.label} · {dept}",
                                             "short": f"{stage.value}·{re.sub(r'^.{2,4}?[市县区]', '', dept)}",
                                             "plan": None, "actual": None, "done_until": None, "critical": False})
                if s["plan"]:
                    row["plan"] = _span(row["plan"], s["plan"][0], s["plan"][1])
                if s["actual"]:
                    row["actual"] = _span(row["actual"], s["actual"][0], s["actual"][1])
                    if s["actual"][2]:
                        row["done_until"] = max(row["done_until"] or s["actual"][1], s["actual"][1])
                if crit is entry and s["code"] in entry["chain"]:
                    row["critical"] = True
    return list(rows.values())


def _span(span, a, b):
    return (a, b) if span is None else (min(span[0], a), max(span[1], b))


def gantt_data(result: dict) -> dict:
    """What static/js/projects-gantt.js draws (dates as ISO strings)."""
    def iso(d):
        return d.isoformat() if d else None

    return {
        "today": iso(result["on"]), "end": iso(result["end"]), "plan_end": iso(result["plan_end"]),
        "rows": [{"label": r["label"], "short": r["short"], "stage": r["stage"], "critical": r["critical"],
                  "plan": [iso(r["plan"][0]), iso(r["plan"][1])] if r["plan"] else None,
                  "actual": [iso(r["actual"][0]), iso(r["actual"][1])] if r["actual"] else None,
                  "done_until": iso(r["done_until"])} for r in result["rows"]],
    }


def refresh(project: Project, cause: str, on: dt.date | None = None) -> dt.date | None:
    """Recompute and store the forecast; a move is recorded with its cause (the forecast's history)."""
    on = on or timezone.localdate()
    end = compute(project, on)["end"]
    moved = end != project.forecast_end
    Project.objects.filter(pk=project.pk).update(forecast_end=end, forecast_on=on)
    if moved:
        ForecastPoint.objects.create(project=project, on=on, end=end, cause=cause[:120])
    project.forecast_end, project.forecast_on = end, on
    return end


def refresh_open(day: dt.date | None = None) -> dict:
    """Daily: every unfinished project's forecast on the day (late steps and long pauses move it)."""
    n = 0
    for project in Project.objects.filter(completed_on__isnull=True).order_by("id"):
        refresh(project, "每日重新计算", day)
        n += 1
    return {"projects": n}
