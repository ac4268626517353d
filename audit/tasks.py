from celery import shared_task

from . import services


@shared_task
def purge() -> int:
    """The nightly purge of audit rows past the retention period (recorded itself)."""
    return services.purge()
