"""Celery wrappers: take ids, return quietly when there is nothing to do."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils.dateparse import parse_date

from . import schedule, services


@shared_task(
    name="reports.tasks.generate_report",
    autoretry_for=(OperationalError,),
    # acknowledged when the run ends: a worker that dies holding the message before it took the
    # report returns it to the broker (a second delivery finds the report taken and stops)
    acks_late=True,
    # not redelivered at once when the pool process dies mid-run: the report stays running and
    # the reaper re-queues it, counting the interruption (core.jobs), instead of looping
    reject_on_worker_lost=False,
    retry_backoff=True,
    max_retries=3,
    # a large document may take minutes; the soft limit leaves the report failed with a message
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def generate_report(report_id: int, today: str | None = None) -> str | None:
    """Build one queued report. Safe to run twice: a finished report is left alone."""
    report = services.report_run(report_id, parse_date(today) if today else None)
    return report.status if report is not None else None


@shared_task(name="reports.tasks.scheduled_reports")
def scheduled_reports(kind: str, today: str | None = None) -> list[int]:
    """The beat's run for one kind: a report for each office in REPORT_SCHEDULE_REGIONS."""
    return schedule.run(kind, parse_date(today) if today else None)
