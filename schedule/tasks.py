from celery import shared_task

from .recompute import recompute_all


@shared_task(name="schedule.tasks.recompute_schedules")
def recompute_schedules() -> int:
    """Recompute every project's schedule: nightly, because "today" moves, and after calendar
    changes. Returns the number of projects computed."""
    return recompute_all()
