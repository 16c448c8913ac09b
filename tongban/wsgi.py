import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
application = get_wsgi_application()


def _refuse_to_start_without_keys():
    """gunicorn runs no system checks: the security ones (tongban.E001: keys not set) stop it here."""
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    errors = [e for e in checks.run_checks(tags=[checks.Tags.security]) if e.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(e) for e in errors))


_refuse_to_start_without_keys()
