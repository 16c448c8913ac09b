from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from . import days
from .models import CalendarDay, CalendarYear, LevelBudget, WarningPolicy


@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_year_changed(sender, **kwargs):
    days.invalidate()


@receiver([post_save, post_delete], sender=CalendarDay)
def calendar_day_changed(sender, instance, **kwargs):
    """An edit of one day (admin): bump its year so every process reloads, and recompute what depends on it."""
    from .services import publishing, schedule_recompute

    if publishing.get():
        return  # publish_year replaces the year's rows and schedules one recompute itself
    CalendarYear.objects.filter(year=instance.date.year).update(changed_at=timezone.now())
    days.invalidate()
    schedule_recompute([instance.date.year])


@receiver([post_save, post_delete], sender=WarningPolicy)
@receiver([post_save, post_delete], sender=LevelBudget)
def settings_changed(sender, **kwargs):
    from django.db import transaction

    from tongban.core import memo

    key = "warning_policy" if sender is WarningPolicy else "level_budget"
    memo.forget(key)
    transaction.on_commit(lambda: memo.forget(key))  # and again once committed: no request caches the old row meanwhile
