from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tongban.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self):
        from . import signals  # noqa: F401
        from .tasks import register_jobs

        register_jobs()
