import datetime as dt

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from . import schedule
        from .audit import seal_yesterday

        checks.register(secret_keys_check, checks.Tags.security)
        checks.register(demo_mode_check, checks.Tags.security, deploy=True)
        schedule.register("seal_audit", seal_yesterday, at=dt.time(6, 0), every_day=True)


def secret_keys_check(app_configs, **kwargs):
    """Outside the demo the platform refuses to start without its own secret keys (manage.py runs this check;
    tongban/wsgi.py runs it before gunicorn serves a request). Each key has one purpose, so no two may be equal."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    def value(name):
        try:
            return getattr(settings, name, "") or ""
        except ImproperlyConfigured:  # Django refuses to read an empty SECRET_KEY
            return ""

    names = getattr(settings, "SECRET_KEY_SETTINGS", [])
    values = {name: value(name) for name in names}
    published = set(getattr(settings, "DEMO_KEYS", {}).values())
    errors = []
    if not getattr(settings, "DEMO", False):
        for name, key in values.items():
            if not key or key in published or "tongban-demo-only-" in key:
                errors.append(checks.Error(
                    f"{name} 未设置:非演示环境不得使用演示密钥启动({name} is not set: outside the demo the platform "
                    f"refuses to start without its own key)",
                    hint=f"设置环境变量 {name} 为至少 50 个字符的随机值,例如 python -c 'import secrets; print(secrets.token_urlsafe(50))';"
                         "仅本机演示可设置 TONGBAN_DEMO=1", id="tongban.E001"))
    seen = {}
    for name, key in values.items():
        if key and key in seen:
            errors.append(checks.Error(f"{name} 与 {seen[key]} 相同:每个密钥只能有一个用途({name} equals {seen[key]})",
                                       hint=f"为 {name} 另设一个随机值", id="tongban.E002"))
        seen.setdefault(key, name)
    return errors


def demo_mode_check(app_configs, **kwargs):
    """`manage.py check --deploy`: the demo mode (published keys, plain HTTP cookies, no HSTS) is not for production."""
    from django.conf import settings

    if getattr(settings, "DEMO", False):
        return [checks.Warning("演示模式已开启(TONGBAN_DEMO 或 DEBUG):使用公开的演示密钥,Cookie 不限 HTTPS,无 HSTS",
                               hint="生产环境不设置 TONGBAN_DEMO 与 DEBUG,并设置 README“安全”一节列出的环境变量",
                               id="tongban.W002")]
    return []
