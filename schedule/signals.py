"""A change to the working-day calendar moves every schedule: recompute them in the background."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)


def _recompute_later() -> None:
    from .tasks import recompute_schedules

    try:
        recompute_schedules.delay()
    except Exception:  # the broker is down: do it now rather than leave schedules stale
        logger.exception("could not queue recompute_schedules; recomputing in-process")
        recompute_schedules()


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_changed(sender, **kwargs) -> None:
    transaction.on_commit(_recompute_later)
