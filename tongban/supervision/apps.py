from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "tongban.supervision"
    label = "supervision"
    verbose_name = "电子监察"

    def ready(self):
        from . import signals  # noqa: F401 - connects the summary's refresh to the case lifecycle
