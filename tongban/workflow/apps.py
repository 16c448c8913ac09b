from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "tongban.workflow"
    label = "workflow"
    verbose_name = "审批流程"

    def ready(self):
        from django.db.models import Q

        from tongban.cases.selectors import SCOPE_EXTENSIONS

        from tongban.core import schedule

        from . import signals  # noqa: F401
        from .issuing import requeue_stalled

        schedule.every_tick("requeue_documents", requeue_stalled)  # documents whose worker died mid-task

        # a department reviewing a step of a case (or taking part in its joint inspection) sees that case
        SCOPE_EXTENSIONS.append(lambda g: Q(steps__department_id=g.department_id)
                                | Q(steps__step__joint_departments=g.department_id))
