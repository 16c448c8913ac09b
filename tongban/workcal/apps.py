from django.apps import AppConfig


class WorkcalConfig(AppConfig):
    name = "tongban.workcal"
    label = "workcal"
    verbose_name = "工作日历与计时"

    def ready(self):
        from . import signals  # noqa: F401
