from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tongban.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self):
        from tongban.core.regions import register_lookup

        from .regions import lookup

        register_lookup(lookup)  # validators ask the database, not the shipped file
