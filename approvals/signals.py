"""A change to the working-day calendar moves the promise and target dates of approvals."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.jobs import request_run
from schedule.models import CalendarDay, CalendarYear


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_changed(sender, **kwargs) -> None:
    from .tasks import refresh_approval_dates

    request_run(refresh_approval_dates)
