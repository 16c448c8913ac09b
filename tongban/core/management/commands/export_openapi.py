import json
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the OpenAPI document of /api/v1/ (committed as docs/openapi.json)."

    def handle(self, *args, **options):
        # The API that the project's URLconf serves (core imports no app, and the project's api.py imports them all).
        api = import_module(settings.ROOT_URLCONF).api
        self.stdout.write(json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2, sort_keys=True))
