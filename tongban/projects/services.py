"""Every change to a project is one function here: one transaction, the permission first, an audit entry.

A stage's application submits one case per item through the intake (cases.services.submit_case) and links
each to the project; the workflow engine reviews them in parallel; `signals.py` listens to the case events
and completes stages, converts pre-approvals and moves the forecast."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from tongban.cases import services as intake
from tongban.cases.models import Applicant, Case, CaseState, Channel
from tongban.catalog.models import Item
from tongban.core import tx
from tongban.core.audit import record
from tongban.core.errors import Conflict, DomainError, NotAllowed
from tongban.org.models import Region, Role
from tongban.org.scopes import has_role

from .codes import PATTERN, validate_project_code
from .models import PreApproval, Project, ProjectCase, ProjectKind, Stage, StageItem, StageRun

ENDED_UNDECIDED = (CaseState.REFUSED, CaseState.WITHDRAWN)
MAX_AMOUNT = Decimal("9999999999.99")


def _today(on):
    return on or timezone.localdate()


def may_register(user, region: Region) -> bool:
    return has_role(user, Role.WINDOW_CLERK, region=region) or has_role(user, Role.AGENT, region=region)


def _require_handler(actor, project_or_region, what: str):
    region = getattr(project_or_region, "region", project_or_region)
    if not may_register(actor, region):
        raise NotAllowed(f"您没有{region.name}综合受理窗口人员或帮代办员的权限,不能{what}")


def _amount(value, field: str, label: str, *, positive: bool = False) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError("amount", f"{label}应为数字", field=field) from None
    if not d.is_finite() or d < 0 or d > MAX_AMOUNT or (positive and d == 0):
        raise DomainError("amount", f"{label}应为{'大于0' if positive else '不小于0'}且不超过99亿的数字", field=field)
    return d.quantize(Decimal("0.01"))


def clean_text(value: str, field: str, label: str, size: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise DomainError("text_nul", f"{label}含有非法字符", field=field)
    if required and not value:
        raise DomainError("required", f"请填写{label}", field=field)
    if len(value) > size:
        raise DomainError("too_long", f"{label}不得超过{size}个字", field=field)
    return value


def register_project(actor, *, code: str, name: str, owner: Applicant, site: str, kind: str, investment, land_area,
                     floor_area, major: bool = False, on: dt.date | None = None) -> Project:
    """Register a project under the code the investment-project platform gave it. The region is the code's."""
    on = _today(on)
    code = validate_project_code(code, today=on)
    region = Region.objects.filter(code=PATTERN.match(code).group(2)).first()
    if region is None:
        raise DomainError("project_code_region", "投资项目代码中的行政区划不在本平台的区划内", field="code")
    _require_handler(actor, region, "登记投资项目")
    if kind not in ProjectKind.values:
        raise DomainError("project_kind", "项目类别无效", field="kind")
    if owner.kind != Applicant.Kind.ORG:
        raise DomainError("project_owner", "项目单位应为法人(统一社会信用代码)", field="owner")
    values = dict(
        name=clean_text(name, "name", "项目名称", 120), site=clean_text(site, "site", "建设地点", 200), kind=kind,
        investment=_amount(investment, "investment", "总投资(万元)", positive=True),
        land_area=_amount(land_area, "land_area", "用地面积"), floor_area=_amount(floor_area, "floor_area", "总建筑面积"),
        major=bool(major),
    )
    with tx.atomic():
        if Project.objects.select_for_update().filter(code=code).exists():
            raise Conflict("project_exists", f"投资项目代码{code}已登记", field="code")
        project = Project.objects.create(code=code, owner=owner, region=region, created_by=actor, created_on=on, **values)
        record(actor, "project.registered", project, data={"code": code, "name": project.name}, new=True)
    return project


def stage_items(project: Project, stage: int) -> list[Item]:
    """The items the stage needs where the project is built (the most local item of each name)."""
    chosen = {}
    for si in StageItem.objects.filter(stage=stage).select_related("item__region", "item__department").order_by("order", "id"):
        item = si.item
        if not item.region.contains(project.region) and not project.region.contains(item.region):
            continue
        current = chosen.get(item.basic_code)
        if current is None or item.region.level > current.region.level:
            chosen[item.basic_code] = item
    return list(chosen.values())


def _version(item: Item, on: dt.date):
    version = item.versions.effective(on).first() or item.versions.effective().first()  # as the intake: data taken over from paper
    if version is None:
        raise DomainError("item_unpublished", f"事项“{item}”没有已发布的办事指南", field="stage")
    return version


def merged_materials(project: Project, stage: int, on: dt.date | None = None) -> list[dict]:
    """一张表单: the stage's materials across its items, each asked once (merged by the material's key)."""
    on = _today(on)
    merged: dict[str, dict] = {}
    for item in stage_items(project, stage):
        version = _version(item, on)
        for m in version.materials.order_by("order", "id"):
            row = merged.setdefault(m.merge_key, {"id": m.pk, "key": m.merge_key, "name": m.name, "role": m.get_role_display(),
                                                  "form": m.get_form_display(), "items": []})
            row["items"].append(version.name)
    return list(merged.values())


def _covered(run: StageRun) -> set[int]:
    """Items of the run with a case that can still be (or was) decided."""
    return set(run.links.exclude(case__state__in=ENDED_UNDECIDED).values_list("case__item_id", flat=True))


def _channel_for(actor, project: Project, item: Item):
    """The clerk receives at the window; a 帮代办员 submits on the agent channel under the agreement's mandate."""
    if has_role(actor, Role.WINDOW_CLERK, region=item.region):
        return Channel.WINDOW, None
    if has_role(actor, Role.AGENT, region=project.region):
        agreement = getattr(getattr(project, "agency", None), "agreement", None)
        if agreement is None or agreement.mandate_id is None:
            raise DomainError("mandate_required", "帮代办员代为申报须先签订帮代办协议(含企业的授权委托)", field="stage")
        return Channel.AGENT, agreement.mandate
    raise NotAllowed(f"您没有{item.region.name}的收件权限,不能申报")


def _materials_for(version, given: dict[str, dict]) -> list[dict]:
    return [{**given[m.merge_key], "material": m.pk} for m in version.materials.all() if m.merge_key in given]


def _given(materials) -> dict[str, dict]:
    from tongban.catalog.models import Material

    out = {}
    for entry in materials:
        m = Material.objects.filter(pk=entry.get("material")).first()
        if m is None:
            raise DomainError("material_not_in_form", "材料不在本阶段一张表单的材料清单内", field="materials")
        out[m.merge_key] = {k: v for k, v in entry.items() if k != "material"}
    return out


def _submit(actor, project, run, item, given, form_data, on, accept) -> Case:
    channel, mandate = _channel_for(actor, project, item)
    version = _version(item, on)
    case = intake.submit_case(actor, applicant=project.owner, item=item, channel=channel, mandate=mandate,
                              materials=_materials_for(version, given),
                              form_data={**form_data, "投资项目代码": project.code, "项目名称": project.name}, on=on)
    ProjectCase.objects.create(project=project, run=run, case=case, stage=run.stage)
    if accept:
        if channel != Channel.WINDOW:
            raise NotAllowed("帮代办员只能代为申报,受理由综合受理窗口办理")
        case = intake.accept_case(actor, case, on=on)
    return case


def _form(form_data) -> dict:
    import json

    form_data = dict(form_data or {})
    if len(json.dumps(form_data, ensure_ascii=False)) > 32 * 1024 or "\x00" in json.dumps(form_data):
        raise DomainError("form_data", "一张表单内容过多或含有非法字符", field="form_data")
    return form_data


def _run(actor, project, stage, form_data, on) -> StageRun:
    run, created = StageRun.objects.select_for_update().get_or_create(
        project=project, stage=stage, defaults={"applied_on": on, "applied_by": actor, "form_data": form_data})
    if not created and run.state == StageRun.State.DONE:
        raise Conflict("stage_done", f"{Stage(stage).label}阶段已完成", field="stage")
    return run


def apply_stage(actor, project: Project, stage: int, *, materials=(), form_data: dict | None = None, accept: bool = False,
                on: dt.date | None = None) -> StageRun:
    """Apply for a stage with its one merged form: one case per item not yet applied for (items applied early by
    pre-approval are already in), reviewed in parallel. `accept`: the window accepts them at once."""
    on = _today(on)
    _require_handler(actor, project, "申报项目阶段")
    if accept and not has_role(actor, Role.WINDOW_CLERK, region=project.region):
        raise NotAllowed("帮代办员只能代为申报,受理由综合受理窗口办理")
    if stage not in Stage.values:
        raise DomainError("stage", "阶段应为1至4", field="stage")
    form_data = _form(form_data)
    given = _given(materials)
    with tx.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.completed_on:
            raise Conflict("project_done", "该项目四个阶段均已完成")
        if stage != project.stage:
            raise Conflict("stage_order", f"项目当前处于{Stage(project.stage).label}阶段,不能申报{Stage(stage).label}阶段"
                           "(提前介入请申请预审批)", field="stage")
        items = stage_items(project, stage)
        if not items:
            raise DomainError("stage_items", f"{Stage(stage).label}阶段没有配置事项", field="stage")
        run = _run(actor, project, stage, form_data, on)
        covered = _covered(run)
        todo = [i for i in items if i.pk not in covered]
        if not todo:
            raise Conflict("stage_applied", f"{Stage(stage).label}阶段的事项均已申报", field="stage")
        cases = [_submit(actor, project, run, item, given, form_data, on, accept) for item in todo]
        record(actor, "project.stage_applied", project, data={"stage": stage, "cases": [c.number for c in cases]})
        schedule_forecast(project, f"申报{Stage(stage).label}阶段", on)
    return run


def request_pre_approval(actor, project: Project, *, item: Item, prerequisite: Case, missing: str, materials=(),
                         form_data: dict | None = None, accept: bool = False, on: dt.date | None = None) -> PreApproval:
    """预审批 (提前介入): apply for an item of the current or the next stage while a prerequisite case is still open.
    The prerequisite must be a case of this project that is under review, or one holding an issued pre-approval
    itself (上一环节预审批文件作为本环节预审批的申报材料)."""
    on = _today(on)
    _require_handler(actor, project, "申请预审批")
    missing = clean_text(missing, "missing", "缺失条件", 200)
    form_data = _form(form_data)
    given = _given(materials)
    with tx.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        stage = next((s for s in (project.stage, project.stage + 1) if s in Stage.values
                      and item.pk in {i.pk for i in stage_items(project, s)}), None)
        if stage is None:
            raise DomainError("pre_item", "预审批事项须为本项目当前阶段或下一阶段的事项", field="item")
        prerequisite = Case.objects.select_for_update().get(pk=prerequisite.pk)  # its state as of now, not as handed in
        link = ProjectCase.objects.filter(case=prerequisite, project=project).first()
        if link is None:
            raise DomainError("pre_prerequisite", "前置办件不是本项目的办件", field="prerequisite")
        basis = PreApproval.objects.filter(case=prerequisite).first()
        if prerequisite.state in (*ENDED_UNDECIDED, CaseState.DENIED):
            raise Conflict("pre_prerequisite_ended", "前置办件已终止或不予许可,不能据此申请预审批", field="prerequisite")
        if basis is not None and basis.state in (PreApproval.State.REVIEWING, PreApproval.State.VOID):
            raise Conflict("pre_basis_not_issued", "前置办件的预审批文件尚未出具(或已失效),不能作为本环节预审批的申报材料",
                           field="prerequisite")
        if prerequisite.decided_on and (basis is None or basis.state == PreApproval.State.FORMAL):
            raise Conflict("pre_not_needed", "前置办件已准予许可,请直接申报,无需预审批", field="prerequisite")
        if prerequisite.state != CaseState.ACCEPTED and not (basis and basis.state == PreApproval.State.ISSUED) \
                and prerequisite.state != CaseState.RETURNED:
            raise Conflict("pre_prerequisite_state", "前置办件须已受理并处于审查中,或已出具预审批文件", field="prerequisite")
        run = _run(actor, project, stage, form_data, on)
        if item.pk in _covered(run):
            raise Conflict("pre_applied", f"“{item}”已申报", field="item")
        case = _submit(actor, project, run, item, given, {**form_data, "预审批": f"缺失条件:{missing}"}, on, accept)
        pre = PreApproval.objects.create(project=project, case=case, prerequisite=prerequisite, missing=missing,
                                         basis=basis if basis and basis.state == PreApproval.State.ISSUED else None)
        record(actor, "project.pre_approval_requested", project,
               data={"case": case.number, "prerequisite": prerequisite.number, "basis": basis.case.number if basis else ""})
        schedule_forecast(project, f"申请预审批:{item}", on)
    return pre


# ---- what the case events do (called by signals.py inside the act's transaction) ----

def on_case_decided(case: Case, actor, on: dt.date, approve: bool) -> None:
    link = ProjectCase.objects.select_related("run", "project").filter(case=case).first()
    if link is None:
        return
    project = Project.objects.select_for_update().get(pk=link.project_id)
    _settle_pre_approvals(actor, project, case, on, approve)
    _complete_stage_if_done(actor, project, link.run, on)
    from . import agency

    agency.node_reached(actor, project, case, on)
    schedule_forecast(project, f"{case.title}已作出决定", on)


def _settle_pre_approvals(actor, project, case, on, approve):
    own = PreApproval.objects.filter(case=case).first()
    if own is not None:
        if not approve:
            own.state = PreApproval.State.VOID
        elif _formal(own.prerequisite):
            own.state, own.issued_on, own.formal_on = PreApproval.State.FORMAL, on, on
        else:
            own.state, own.issued_on = PreApproval.State.ISSUED, on
        own.save()
        record(actor, f"project.pre_approval_{own.state}", project, data={"case": case.number})
    if not approve:
        for pre in PreApproval.objects.filter(prerequisite=case).exclude(state=PreApproval.State.FORMAL):
            pre.state = PreApproval.State.VOID
            pre.save()
            record(actor, "project.pre_approval_void", project, data={"case": pre.case.number, "prerequisite": case.number})
        return
    _convert_waiting(actor, project, case, on)


def _formal(case: Case) -> bool:
    """A case approved outright, or whose own pre-approval has become formal."""
    if case.state not in (CaseState.APPROVED, CaseState.COMPLETED) or not case.decided_on:
        return False
    pre = PreApproval.objects.filter(case=case).first()
    return pre is None or pre.state == PreApproval.State.FORMAL


def _convert_waiting(actor, project, case, on):
    """The prerequisite is formally approved: every issued pre-approval resting on it becomes formal (换发正式
    审批文件), and so on down the chain of pre-approvals that used them as their input."""
    if not _formal(case):
        return
    for pre in PreApproval.objects.filter(prerequisite=case, state=PreApproval.State.ISSUED).select_related("case"):
        pre.state, pre.formal_on = PreApproval.State.FORMAL, on
        pre.save()
        record(actor, "project.pre_approval_formal", project, data={"case": pre.case.number, "prerequisite": case.number})
        _convert_waiting(actor, project, pre.case, on)


def _complete_stage_if_done(actor, project, run, on):
    run = StageRun.objects.select_for_update().get(pk=run.pk)
    if run.state == StageRun.State.DONE:
        return
    items = {i.pk for i in stage_items(project, run.stage)}
    links = list(run.links.select_related("case"))
    live = [lk.case for lk in links if lk.case.state not in ENDED_UNDECIDED]
    if not items <= {c.item_id for c in live} or any(c.decided_on is None for c in live):
        return
    run.state, run.completed_on = StageRun.State.DONE, on
    run.save(update_fields=["state", "completed_on"])
    if run.stage == Stage.ACCEPTANCE:
        project.completed_on = on
    else:
        project.stage = max(project.stage, run.stage + 1)
    project.save(update_fields=["stage", "completed_on"])
    record(actor, "project.stage_completed", project, data={"stage": run.stage, "on": on.isoformat()})


def schedule_forecast(project: Project, cause: str, on: dt.date | None = None) -> None:
    """Recompute the forecast after the commit, as of the act's day (the back office settles its steps after
    cases announces the act, so the forecast must read the committed state)."""
    from .forecast import refresh

    pk = project.pk
    transaction.on_commit(lambda: refresh(Project.objects.get(pk=pk), cause, on))
