"""Celery wrappers: take ids, return quietly when there is nothing to do."""

from celery import shared_task
from django.db import OperationalError
from django.utils.dateparse import parse_date

from . import schedule, services


@shared_task(
    name="reports.tasks.generate_report",
    autoretry_for=(OperationalError,),
    # acknowledged when done: a worker killed mid-render leaves the message for another
    acks_late=True,
    reject_on_worker_lost=True,
    retry_backoff=True,
    max_retries=3,
)
def generate_report(report_id: int, today: str | None = None) -> str | None:
    """Build one queued report. Safe to run twice: a finished report is left alone."""
    report = services.report_run(report_id, parse_date(today) if today else None)
    return report.status if report is not None else None


@shared_task(name="reports.tasks.scheduled_reports")
def scheduled_reports(kind: str, today: str | None = None) -> list[int]:
    """The beat's run for one kind: a report for each office in REPORT_SCHEDULE_REGIONS."""
    return schedule.run(kind, parse_date(today) if today else None)
