"""Projects listen to the case lifecycle (cases announces; projects never changes a case itself).

A decision completes stages, converts pre-approvals and reaches roadmap nodes in the decision's transaction;
a return, a resumption or an extension moves the forecast, recomputed after the commit (the back office
settles its steps' clocks after cases has sent the event, so the forecast reads the committed state)."""

from django.dispatch import receiver

from tongban.cases.events import case_accepted, case_decided, case_extended, case_resumed, case_returned


def _project_of(case):
    from .models import ProjectCase

    link = ProjectCase.objects.filter(case=case).select_related("project").first()
    return link.project if link else None


@receiver(case_decided)
def stage_and_pre_approvals_on_decision(sender, case, actor, on, approve=True, **kwargs):
    from .services import on_case_decided

    on_case_decided(case, actor, on, approve)


def _move(case, cause: str, on):
    project = _project_of(case)
    if project is not None:
        from .services import schedule_forecast

        schedule_forecast(project, f"{case.title}{cause}", on)


@receiver(case_returned)
def forecast_on_return(sender, case, on=None, **kwargs):
    _move(case, "退回补正,计时暂停", on)


@receiver(case_resumed)
def forecast_on_resume(sender, case, on=None, **kwargs):
    _move(case, "补正完成,恢复审查", on)


@receiver(case_extended)
def forecast_on_extension(sender, case, days=0, on=None, **kwargs):
    _move(case, f"延长审批期限{days}个工作日", on)


@receiver(case_accepted)
def forecast_on_acceptance(sender, case, on=None, **kwargs):
    _move(case, "已受理", on)
