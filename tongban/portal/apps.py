from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tongban.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self):
        from . import signals  # noqa: F401
        from .selectors import LICENCE_SOURCES

        LICENCE_SOURCES.append(_wallet_licences)


def _wallet_licences(applicant) -> list[dict]:
    """The enterprise page's licences: the valid ones of the holder's wallet (licence library)."""
    from tongban.licences.models import Licence

    return [{"name": lic.licence_type.name, "number": lic.number, "valid_until": lic.valid_until, "identifier": lic.identifier}
            for lic in Licence.objects.filter(holder_id=applicant.id_number, status="valid").select_related("licence_type")
            .order_by("valid_until")[:50]]
