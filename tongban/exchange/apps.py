from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "tongban.exchange"
    label = "exchange"
    verbose_name = "数据上报(电子监察、好差评平台)"

    def ready(self):
        from . import signals  # noqa: F401
