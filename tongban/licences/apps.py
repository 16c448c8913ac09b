from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "tongban.licences"
    label = "licences"
    verbose_name = "电子证照库"

    def ready(self):
        from tongban.cases import document_details, reuse

        from . import signals  # noqa: F401
        from .providers import decision_details, earlier_case_offers, wallet_offers
        from .tasks import register_jobs

        reuse.register(wallet_offers)
        reuse.register(earlier_case_offers)
        document_details.register(decision_details)
        register_jobs()
