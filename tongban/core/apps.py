import datetime as dt
import os

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "tongban.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from . import schedule
        from .audit import seal_yesterday

        checks.register(audit_seal_key_check, checks.Tags.security, deploy=True)
        schedule.register("seal_audit", seal_yesterday, at=dt.time(6, 0), every_day=True)


def audit_seal_key_check(app_configs, **kwargs):
    """`manage.py check --deploy`: the audit seals' key should be its own, kept outside the database and apart
    from SECRET_KEY (rotating SECRET_KEY would otherwise make every earlier seal fail its signature check)."""
    if os.environ.get("AUDIT_SEAL_KEY"):
        return []
    return [checks.Warning("AUDIT_SEAL_KEY 未单独设置:审计日封的签名密钥目前由 SECRET_KEY 派生,更换 SECRET_KEY 将使此前全部日封验签失败",
                           hint="在生产环境设置环境变量 AUDIT_SEAL_KEY(与数据库分开保管),并将 AUDIT_SEAL_JOURNAL 指向库外的只追加存储",
                           id="tongban.W001")]
