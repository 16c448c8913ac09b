"""The outbox worker as a task (django-tasks: the database backend by default, RQ when configured)."""

from django.utils import timezone
from django_tasks import task


@task()
def deliver_due_task() -> dict:
    """Post what is due; if deliveries wait for a retry, ask to run again when the first one is due."""
    from .models import Delivery
    from .services import deliver_due

    result = deliver_due()
    nxt = (Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__gt=timezone.now())
           .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
    if nxt is not None:
        deliver_due_task.using(run_after=nxt).enqueue()
    return result
