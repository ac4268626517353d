"""Celery tasks: one delivery sent, the beat's sweep of due deliveries, the daily purge."""

from celery import shared_task

from . import delivery


@shared_task(name="webhooks.tasks.send_delivery", ignore_result=True)
def send_delivery(delivery_id: int) -> str | None:
    """Send one delivery if it is still due; safe to run twice or for a delivery gone."""
    return delivery.attempt(delivery_id)


@shared_task(name="webhooks.tasks.send_due")
def send_due() -> int:
    """Queue every delivery whose next try is due (the beat, every minute)."""
    return delivery.send_due()


@shared_task(name="webhooks.tasks.purge")
def purge() -> int:
    """Remove finished deliveries older than WEBHOOK_KEEP_DAYS."""
    return delivery.purge()
