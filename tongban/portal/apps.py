from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tongban.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self):
        from . import signals  # noqa: F401
