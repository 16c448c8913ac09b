from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "tongban.projects"
    label = "projects"
    verbose_name = "投资项目与帮代办"

    def ready(self):
        import datetime as dt

        from tongban.cases import panels
        from tongban.core import schedule

        from . import signals  # noqa: F401
        from .panels import enterprise_projects

        panels.register("projects", "投资项目", enterprise_projects)

        schedule.register("project_forecasts", "tongban.projects.forecast.refresh_open", at=dt.time(6, 45))
