"""Background work that survives a dead worker and an absent broker.

Every piece of background work leaves a row in the database before its message goes to the
broker, and the row, not the message, is what counts:

- a job the user follows (:class:`core.models.Job`: a document, a large import) has a status and
  a heartbeat. While it runs, :func:`heartbeat` touches ``heartbeat_at`` from a small thread;
  a job queued or running whose heartbeat is older than ``JOB_HEARTBEAT_TIMEOUT`` has lost its
  message (the broker was down, or the worker that took it died before starting it) or its
  worker (killed, out of memory, the machine gone);
- a recompute without a row of its own (every schedule, the approvals' dates) is asked for with
  :func:`request_run`, which writes a :class:`core.models.PendingRun` marker in the asking
  transaction; :func:`run_pending` removes it when a run that saw the request finishes.

:func:`reap` (the beat, every minute, and each worker as it starts) sends a stale queued job or
marker again, and hands a stale running job to its app (:func:`register`), which knows whether
running it again is safe: a document is rebuilt, an import is marked failed. A task claims its
row with a conditional update, so a second delivery of the same message does nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import Job, PendingRun, stale_before
from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)
T = TypeVar("T")


# --- the heartbeat -----------------------------------------------------------------------------


@contextmanager
def heartbeat(rows: QuerySet):
    """While the block runs, set ``heartbeat_at`` of ``rows`` to now every
    ``JOB_HEARTBEAT_SECONDS``, from a daemon thread with its own connection: a long step that
    reports no progress (laying out a PDF, one big write) still shows the job alive, and when
    the process dies the heartbeat stops with it."""
    if transaction.get_connection(rows.db).in_atomic_block:
        # Run inside a caller's transaction (a test, a command wrapping the job): another
        # connection would not see the caller's rows, and could wait on their locks while the
        # caller waits for it here. Nothing outside that transaction follows the job anyway.
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    rows.update(heartbeat_at=timezone.now())
                except DatabaseError as error:  # a busy database: the next beat tries again
                    logger.warning("heartbeat of %s not written: %s", rows.model.__name__, error)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{rows.model.__name__}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(settings.JOB_HEARTBEAT_SECONDS + 30)


# --- job models and the reaper -----------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """How the reaper treats one job model: ``task`` (its name) runs a job given its id;
    ``interrupted(job_id)`` deals with a job whose run lost its worker and answers what it did
    (``"requeued"``, ``"failed"``, or ``""`` when the job turned out to be alive)."""

    model: type[Job]
    task: str
    interrupted: Callable[[int], str]


_KINDS: dict[str, JobKind] = {}


def fresh_connection(using: str = "default") -> None:
    """Before recording a job's failure: the exception may have struck in the middle of a
    statement (a soft time limit's signal arrives wherever the job is), leaving the connection
    mid-query, where nothing more can be written on it. Close it; the next query opens a new
    one. Not inside a caller's transaction (a test's, a command's), whose connection must stay."""
    connection = connections[using]
    if not connection.in_atomic_block:
        connection.close()


def register(model: type[Job], *, task: str, interrupted: Callable[[int], str]) -> None:
    """Put a job model under the reaper (each app does it in its ``AppConfig.ready``)."""
    _KINDS[model._meta.label_lower] = JobKind(model, task, interrupted)


def send(task_name: str, *args) -> bool:
    """Hand ``task_name(*args)`` to the broker now; False (and a warning) when it is
    unreachable — the caller's row stays as it was, and the next sweep tries again."""
    try:
        current_app.tasks[task_name].apply_async(args=args)
    except Exception as error:
        logger.warning(
            "could not queue %s%s, the broker is unreachable: %s", task_name, args, error
        )
        return False
    return True


def resend_queued(kind: JobKind, job_id: int) -> bool:
    """Send a queued job whose message got lost again, at most once per heartbeat timeout (a
    job merely waiting its turn gets a duplicate message, which finds it taken and does
    nothing)."""
    touched = kind.model.objects.filter(
        pk=job_id, status="queued", heartbeat_at__lt=stale_before()
    ).update(heartbeat_at=timezone.now())
    return bool(touched) and send(kind.task, job_id)


def reap() -> dict[str, int]:
    """Recover background work that lost its message or its worker (the beat, every minute,
    and every worker as it starts). Answers how many rows it did what to."""
    done: Counter[str] = Counter()
    for kind in _KINDS.values():
        stale = kind.model.objects.filter(kind.model.stale_q()).order_by("pk")
        for job_id, status in stale.values_list("pk", "status"):
            if status == "queued":
                done["resent"] += resend_queued(kind, job_id)
            elif outcome := kind.interrupted(job_id):
                done[outcome] += 1
    done["recomputes"] = _reap_pending()
    return {name: count for name, count in done.items() if count}


# --- recomputes without a job row --------------------------------------------------------------


def request_run(task) -> None:
    """Ask for ``task`` (no arguments, idempotent) to run: its marker is written in the current
    transaction, so the request is recorded exactly when the change that asked for it is; the
    message goes once it commits. If the message is lost, or the worker dies in the run, the
    reaper sends it again."""
    now = timezone.now()
    PendingRun.objects.update_or_create(
        task=task.name,
        defaults={"requests": F("requests") + 1, "requested_at": now, "failures": 0},
        create_defaults={"requests": 1, "requested_at": now, "heartbeat_at": now},
    )
    enqueue_on_commit(task)


def run_pending(task_name: str, work: Callable[[], T]) -> T | None:
    """Run ``work`` as the run of ``task_name`` its marker waits for, and remove the marker
    when no request came in meanwhile. None, without running, when another worker's run of the
    same task is alive (it serves the requests it saw; a later one keeps the marker). A run
    started by the beat writes a marker as well, so the nightly run is recovered too."""
    now = timezone.now()
    PendingRun.objects.get_or_create(task=task_name, defaults={"requested_at": now})
    alive = Q(started_at__isnull=False, heartbeat_at__gte=stale_before())
    claimed = (
        PendingRun.objects.filter(task=task_name)
        .exclude(alive)
        .update(started_at=now, heartbeat_at=now)
    )
    if not claimed:
        return None
    # The requests this run serves: those committed before it read anything.
    seen = PendingRun.objects.filter(task=task_name).values_list("requests", flat=True).first()
    mine = PendingRun.objects.filter(task=task_name, started_at=now)
    try:
        with heartbeat(mine):
            result = work()
    except Exception:
        mine.update(started_at=None, heartbeat_at=None, failures=F("failures") + 1)
        raise
    if not mine.filter(requests=seen).delete()[0]:
        # asked again while it ran: once more, for what changed since it began
        mine.update(started_at=None, heartbeat_at=timezone.now(), failures=0)
        send(task_name)
    return result


def _reap_pending() -> int:
    """Send again each marker whose run died (no heartbeat) or whose message was lost or failed;
    a task that failed or was cut off ``JOB_MAX_ATTEMPTS`` times waits for its next request or
    its nightly run."""
    now = timezone.now()
    sent = 0
    stale = PendingRun.objects.filter(failures__lt=settings.JOB_MAX_ATTEMPTS).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before())
    )
    for marker in stale:
        cut_off = int(marker.started_at is not None)
        touched = PendingRun.objects.filter(pk=marker.pk, heartbeat_at=marker.heartbeat_at).update(
            started_at=None, heartbeat_at=now, failures=F("failures") + cut_off
        )
        if touched and send(marker.task):
            sent += 1
    return sent
