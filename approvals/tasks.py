from celery import shared_task

from . import services


@shared_task(name="approvals.tasks.refresh_approval_dates")
def refresh_approval_dates() -> int:
    """Recompute promise and target dates after the working-day calendar changed."""
    return services.refresh_dates()
