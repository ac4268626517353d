from celery import shared_task
from django.utils.dateparse import parse_date

from . import services


@shared_task(name="issues.tasks.sweep_issues")
def sweep_issues(today: str | None = None) -> dict:
    """The daily sweep: reminders, overdue marks, 通报/约谈, 受理超时, automatic escalation.
    ``today`` (ISO date) replays a given day; by default the local date in Asia/Shanghai."""
    return dict(services.sweep(parse_date(today) if today else None))
