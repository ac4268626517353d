"""Queueing background jobs from the web process, and the reaper that recovers lost ones."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue ``task(*args)`` once the current transaction commits.

    When the broker cannot take it the work waits; it never runs here, inside a web request.
    Nothing is lost, because whoever asks for background work records it first: a job row stays
    queued and a recompute's marker stays (the reaper, ``core.jobs``, sends them when the broker
    is back), a webhook or notification delivery stays due (their ``send_due`` sweeps)."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as error:
            logger.warning(
                "could not queue %s%s, the broker is unreachable (%s): it will be sent again "
                "when the broker is back",
                task.name,
                args,
                error,
            )

    transaction.on_commit(send)


@shared_task(name="core.tasks.reap_jobs", ignore_result=True)
def reap_jobs() -> dict:
    """Every minute (the beat) and as each worker starts: send again the jobs whose message got
    lost, re-run or fail those whose worker died (``core.jobs.reap``)."""
    from .jobs import reap

    return reap()


@worker_ready.connect
def reap_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A worker starting after a crash or an outage picks up what waited for it at once,
    without waiting for the beat."""
    try:
        reap_jobs.delay()
    except Exception as error:
        logger.warning("could not queue the reaper at worker start: %s", error)


@shared_task(
    name="core.tasks.run_export",
    # acknowledged on receipt: a run that lost its worker is queued again by the reaper
    # (core.exports.interrupted), a lost message sent again (core.jobs.reap)
    acks_late=False,
    soft_time_limit=settings.JOB_SOFT_TIME_LIMIT,
    time_limit=settings.JOB_TIME_LIMIT,
)
def run_export(job_id: int) -> str | None:
    """A large Excel export, written in the background (``core.exports``)."""
    from .exports import run

    return run(job_id)


@shared_task(name="core.tasks.purge_exports", ignore_result=True)
def purge_exports() -> int:
    """Hourly: remove the exports kept longer than EXPORT_RETENTION_HOURS, files included."""
    from .exports import purge

    return purge()
