import datetime as dt

from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "tongban.ratings"
    label = "ratings"
    verbose_name = "好差评"

    def ready(self):
        from tongban.core import schedule

        from . import signals  # noqa: F401
        from .services import remind_unrated

        schedule.register("rating_reminders", remind_unrated, at=dt.time(8, 30), every_day=True)
