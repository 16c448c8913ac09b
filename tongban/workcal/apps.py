import datetime as dt

from django.apps import AppConfig


class WorkcalConfig(AppConfig):
    name = "tongban.workcal"
    label = "workcal"
    verbose_name = "工作日历与计时"

    def ready(self):
        from tongban.core import schedule

        from . import signals  # noqa: F401
        from .scan import scan_lights

        schedule.register("scan_clocks", scan_lights, at=dt.time(6, 30))  # 电子监察: the day's lights, each working morning
