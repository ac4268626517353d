"""A change to the working-day calendar moves every schedule: recompute them in the background."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.jobs import request_run

from .models import CalendarDay, CalendarYear


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_changed(sender, **kwargs) -> None:
    from .tasks import recompute_schedules

    request_run(recompute_schedules)
