import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the OpenAPI document of /api/v1/ (committed as docs/openapi.json)."

    def handle(self, *args, **options):
        from tongban.api import api

        self.stdout.write(json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2, sort_keys=True))
