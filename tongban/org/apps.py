from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tongban.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self):
        from tongban.core import auth as core_auth

        from .auth import TokenAuth

        core_auth.register_bearer(TokenAuth())  # routers that still import tongban.core.auth.STAFF_AUTH
