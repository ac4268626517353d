"""The monthly OC4IDS file (CELERY_BEAT_SCHEDULE "publish-open-data")."""

from celery import shared_task

from . import services


@shared_task(name="opendata.tasks.publish_monthly", ignore_result=True)
def publish_monthly() -> None:
    """Publish this month's file; run again in the same month, it replaces it."""
    services.publish_month()
