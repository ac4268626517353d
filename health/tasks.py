"""The heartbeat: the beat sends ``heartbeat`` every minute (CELERY_BEAT_SCHEDULE
"health-heartbeat") and records that it did, from the beat process itself, as it publishes the
message; the worker that runs the task records that it ran. /healthz/ reads both records."""

import logging

from celery import shared_task
from celery.signals import after_task_publish
from django import db

from .models import Heartbeat

logger = logging.getLogger(__name__)

HEARTBEAT = "health.tasks.heartbeat"


@shared_task(name=HEARTBEAT, ignore_result=True)
def heartbeat() -> None:
    """A worker is alive: it took this message from the broker and reached the database."""
    Heartbeat.stamp(Heartbeat.Process.WORKER)


@after_task_publish.connect(sender=HEARTBEAT, dispatch_uid="health.beat-sent")
def beat_sent(sender=None, **kwargs) -> None:
    """The beat is alive: it just handed its heartbeat to the broker. (Only the beat sends
    this task; anyone else doing so would only claim what a run of the beat claims.)"""
    try:
        if not db.connection.in_atomic_block:
            db.close_old_connections()  # the beat holds its connection for as long as it runs
        Heartbeat.stamp(Heartbeat.Process.BEAT)
    except db.Error:
        logger.warning("the beat could not record its heartbeat", exc_info=True)
