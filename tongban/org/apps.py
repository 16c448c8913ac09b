from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class OrgConfig(AppConfig):
    default = True  # this module holds two configs; "tongban.org" means this one
    name = "tongban.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self):
        from tongban.core.regions import register_lookup

        from .regions import lookup

        register_lookup(lookup)  # validators ask the database, not the shipped file


class AxesConfig(AxesAppConfig):
    """django-axes (login throttling) under Chinese names in the admin: axes ships no Chinese translation."""

    default = False

    verbose_name = "登录安全"

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model, name in ((AccessAttempt, "登录锁定"), (AccessLog, "登录记录"), (AccessFailureLog, "登录失败记录")):
            model._meta.verbose_name = model._meta.verbose_name_plural = name
