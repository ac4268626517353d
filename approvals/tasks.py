from celery import shared_task
from django.utils.dateparse import parse_date

from core.jobs import run_pending

from . import services
from .services.deadlines import announce_due


@shared_task(name="approvals.tasks.refresh_approval_dates")
def refresh_approval_dates() -> int | None:
    """Recompute promise and target dates after the working-day calendar changed. Idempotent,
    run under the marker the change left (``core.jobs.request_run``), so that a lost message or
    a dead worker does not leave the dates on the old calendar; None when a run was already
    under way."""
    return run_pending(refresh_approval_dates.name, services.refresh_dates)


@shared_task(name="approvals.tasks.announce_due_approvals")
def announce_due_approvals(today: str | None = None) -> dict:
    """The daily job: approval.due / approval.overdue for running approvals near or past their
    promised date, once per approval and promise date. ``today`` (ISO date) replays a day."""
    return announce_due(parse_date(today) if today else None)
