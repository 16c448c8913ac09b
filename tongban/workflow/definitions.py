"""Validating and publishing process definitions."""

import datetime as dt
from graphlib import CycleError, TopologicalSorter

from django.db import transaction
from django.utils import timezone

from tongban.catalog.models import PubStatus, in_force
from tongban.core.audit import record
from tongban.core.errors import DomainError
from tongban.org.models import Role
from tongban.org.scopes import require

from .models import SUSPEND_REASONS, Process, Step, StepKind


def problems(process: Process) -> list[str]:
    """Everything that stops `process` from being published."""
    steps = list(process.steps.select_related("department__region"))
    out = []
    codes = {s.code: s for s in steps}
    if not steps:
        return ["流程没有环节"]
    for s in steps:
        for a in s.after:
            if a not in codes:
                out.append(f"环节“{s.name}”等待的环节 {a} 不存在")
    starts = [s for s in steps if not s.after]
    if len(starts) != 1:
        out.append(f"流程应恰有一个起始环节(当前{len(starts)}个)")
    decisions = [s for s in steps if s.kind == StepKind.DECISION]
    if len(decisions) != 1:
        out.append(f"流程应恰有一个决定环节(当前{len(decisions)}个)")
    try:
        order = list(TopologicalSorter({s.code: [a for a in s.after if a in codes] for s in steps}).static_order())
    except CycleError as e:
        names = "→".join(codes[c].name for c in e.args[1] if c in codes)
        return out + [f"流程存在循环:{names}"]
    item = process.item
    for s in steps:
        if not item.region.contains(s.department.region) and not s.department.region.contains(item.region):
            out.append(f"环节“{s.name}”的负责部门{s.department}不在本事项的办理区域内")
    # the longest path of budgets must fit in the promised limit
    # (art. 45 steps that suspend the legal clock do not count against it)
    longest = {}
    for c in order:
        s = codes[c]
        own = 0 if s.suspends_clock else s.budget_workdays
        longest[c] = own + max((longest[a] for a in s.after if a in longest), default=0)
    version = item.versions.effective().first() or item.versions.order_by("-number").first()
    critical = max(longest.values())
    if version and critical > version.promised_limit:
        out.append(f"各环节时限沿最长路径合计{critical}个工作日,超过承诺办结时限{version.promised_limit}个工作日")
    # "最多跑一个月": town/village steps ≤ 6, county steps ≤ 24 along the longest path of each level
    from tongban.workcal.models import LevelBudget

    for budget in LevelBudget.objects.exclude(code="total"):
        by_level = {}
        for c in order:
            s = codes[c]
            own = s.budget_workdays if s.department.region.level in budget.levels else 0
            by_level[c] = own + max((by_level[a] for a in s.after if a in by_level), default=0)
        used = max(by_level.values())
        if used > budget.max_days:
            out.append(f"{budget.name}沿最长路径合计{used}个工作日,超过{budget.max_days}个工作日")
    from tongban.workcal.models import ITEM_DEPENDENT_REASONS, SuspendReason

    for s in steps:
        if not s.suspends_clock:
            continue
        reason = SUSPEND_REASONS.get(s.kind)
        if reason is None:
            out.append(f"环节“{s.name}”({s.get_kind_display()})不属于《行政许可法》第四十五条不计入期限的程序,不能暂停法定计时")
        elif reason in ITEM_DEPENDENT_REASONS and version and reason not in (version.uncounted_procedures or []):
            out.append(f"环节“{s.name}”暂停法定计时,但办事指南未将{SuspendReason(reason).label}列为不计入办理时限的程序")
    stages = {}
    for s in steps:
        if s.after:
            stages.setdefault(tuple(sorted(s.after)), []).append(s)
    for stage in stages.values():
        leads = [s for s in stage if s.is_lead]
        if len(leads) > 1:
            out.append(f"同一并联阶段只能有一个牵头部门环节(当前:{'、'.join(s.name for s in leads)})")
    for s in steps:
        if s.kind == StepKind.JOINT_INSPECTION and s.pk and s.joint_departments.count() < 2:
            out.append(f"联合踏勘环节“{s.name}”至少需要两个部门")
    return out


def publish_process(actor, process: Process, valid_from: dt.date | None = None) -> Process:
    require(actor, Role.CATALOG_ADMIN, department=process.item.department, what="发布审批流程")
    valid_from = valid_from or timezone.localdate()
    with transaction.atomic():
        process = Process.objects.select_for_update().get(pk=process.pk)
        if process.status == PubStatus.PUBLISHED:
            raise DomainError("process_published", "该流程版本已发布")
        found = problems(process)
        if found:
            raise DomainError("process_invalid", found[0], details=found)
        current = process.item.processes.filter(status=PubStatus.PUBLISHED).order_by("-valid_from").first()
        if current and valid_from <= current.valid_from:
            raise DomainError("valid_from_overlap", "生效日期须晚于现行流程的生效日期", field="valid_from")
        Process.objects.filter(item=process.item, status=PubStatus.PUBLISHED, valid_to__isnull=True).update(valid_to=valid_from)
        Process.objects.filter(pk=process.pk).update(status=PubStatus.PUBLISHED, valid_from=valid_from,
                                                     published_at=timezone.now(), published_by=actor if getattr(actor, "pk", None) else None)
        process.refresh_from_db()
        record(actor, "workflow.process_published", process.item, data={"process": process.number, "valid_from": valid_from})
    return process


def effective_process(item, on: dt.date | None = None) -> Process | None:
    return item.processes.filter(in_force(on or timezone.localdate()), status=PubStatus.PUBLISHED).first()


def define(actor, item, steps: list[dict]) -> Process:
    """A new draft process for `item` from step dicts (code, name, kind, department, after, budget_workdays …)."""
    require(actor, Role.CATALOG_ADMIN, department=item.department, what="编辑审批流程")
    with transaction.atomic():
        list(type(item).objects.select_for_update().filter(pk=item.pk).values_list("pk"))  # two drafts at once: in turn
        number = (item.processes.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        process = Process.objects.create(item=item, number=number)
        for i, spec in enumerate(steps, start=1):
            joint = spec.pop("joint_departments", [])
            step = Step.objects.create(process=process, order=i, **spec)
            step.joint_departments.set(joint)
        record(actor, "workflow.process_drafted", item, data={"process": number, "steps": len(steps)})
    return process



COPIED_FIELDS = ["code", "name", "kind", "department", "role", "after", "budget_workdays", "suspends_clock", "is_lead",
                 "review_points"]


def copy_as_draft(actor, process: Process) -> Process:
    """The next draft version of `process`'s item, a copy of its steps (joint departments included).
    One open draft per item: a second copy would let two drafts race to publish."""
    require(actor, Role.CATALOG_ADMIN, department=process.item.department, what="编辑审批流程")
    with transaction.atomic():
        item = type(process.item).objects.select_for_update().get(pk=process.item_id)
        existing = item.processes.filter(status=PubStatus.DRAFT).first()
        if existing:
            raise DomainError("draft_exists", f"该事项已有流程草稿第{existing.number}版,请先编辑或删除该草稿")
        spec = [{**{f: getattr(s, f) for f in COPIED_FIELDS}, "after": list(s.after), "review_points": list(s.review_points),
                 "joint_departments": list(s.joint_departments.all())}
                for s in process.steps.select_related("department").prefetch_related("joint_departments")]
        draft = define(actor, item, spec)
        record(actor, "workflow.process_copied", item, data={"process": draft.number, "from": process.number})
    return draft
