from celery import shared_task
from django.utils.dateparse import parse_date

from . import imports, reminders


@shared_task(name="progress.tasks.run_import")
def run_import(import_id: int) -> str:
    """A large Excel import, validated and written in the background (see progress.imports)."""
    return imports.run_import(import_id)


@shared_task(name="progress.tasks.remind_filers")
def remind_filers(today: str | None = None) -> int:
    """Daily: on the days of PROGRESS_REMIND_DAYS, a reminder for each county with forms
    missing for the month. ``today`` (ISO date) replays a given day."""
    return reminders.remind_filers(parse_date(today) if today else None)
