from celery import shared_task

from core.jobs import run_pending

from .recompute import recompute_all


@shared_task(name="schedule.tasks.recompute_schedules")
def recompute_schedules() -> int | None:
    """Recompute every project's schedule: nightly, because "today" moves, and after calendar
    changes. Returns the number of projects computed (None when a run of it was already under
    way in another worker). Idempotent and without a job row: a calendar change leaves a marker
    (``core.jobs.request_run``) that only a finished run removes, so a run lost with its worker
    or a message the broker never took is sent again by the reaper."""
    return run_pending(recompute_schedules.name, recompute_all)
