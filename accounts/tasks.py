from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.clear_expired_sessions", ignore_result=True)
def clear_expired_sessions() -> None:
    """Nightly: drop expired login sessions (django.contrib.sessions keeps them otherwise)."""
    call_command("clearsessions")
