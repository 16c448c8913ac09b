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
        # TEMPORARY (issue #9): the cases app's jobs, named by path so that workcal imports nothing of cases.
        # docs/patches/cases-tasks.patch moves them to tongban/cases/tasks.py, registered in CasesConfig.ready,
        # and deletes these two lines.
        schedule.register("auto_accept", "tongban.cases.services.auto_accept_due", at=dt.time(6, 15))  # 行政许可法 art. 32
        schedule.register("sweep_uploads", "tongban.cases.files.sweep_orphans", at=dt.time(3, 0), every_day=True, pass_day=False)
