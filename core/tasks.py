"""Queueing background jobs from the web process."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue ``task(*args)`` once the current transaction commits. When the broker cannot
    take it, run it in-process rather than leave derived data stale or a job waiting."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:
            logger.exception("could not queue %s; running it in-process", task.name)
            task(*args)

    transaction.on_commit(send)
