from celery import shared_task
from django.conf import settings
from django.utils.dateparse import parse_date

from . import imports, reminders


@shared_task(
    name="progress.tasks.run_import",
    # acknowledged on receipt: an import cut off half way is marked failed by the reaper, not
    # run again behind the uploader's back (progress.imports.import_interrupted); one whose
    # message was lost is still queued, and the reaper sends it again
    acks_late=False,
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def run_import(import_id: int) -> str:
    """A large Excel import, validated and written in the background (see progress.imports)."""
    return imports.run_import(import_id)


@shared_task(name="progress.tasks.remind_filers")
def remind_filers(today: str | None = None) -> int:
    """Daily: on the days of PROGRESS_REMIND_DAYS, a reminder for each county with forms
    missing for the month. ``today`` (ISO date) replays a given day."""
    return reminders.remind_filers(parse_date(today) if today else None)
