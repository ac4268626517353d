"""A change to the working-day calendar moves the promise and target dates of approvals."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from schedule.models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)


def _refresh_later() -> None:
    from .tasks import refresh_approval_dates

    try:
        refresh_approval_dates.delay()
    except Exception:  # the broker is down: do it now rather than leave dates stale
        logger.exception("could not queue refresh_approval_dates; refreshing in-process")
        refresh_approval_dates()


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_changed(sender, **kwargs) -> None:
    transaction.on_commit(_refresh_later)
