from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "tongban.workflow"
    label = "workflow"
    verbose_name = "审批流程"

    def ready(self):
        from . import signals  # noqa: F401
