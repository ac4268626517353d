"""Excel exports, small ones at once and large ones in the background.

Each app registers its exports (:func:`register`, in its ``AppConfig.ready``): a name, the sheet's
title, its columns (``core.xlsx.Column``) and the rows of a request — scoped, filtered and
ordered as the page shows them. Every export view then answers through :func:`respond`:

- up to ``EXPORT_SYNC_ROWS`` rows, the workbook at once;
- above it, an :class:`core.models.ExportJob`: a worker (:func:`run`) asks the same export for
  the same rows as the same user (the request's query string is kept with the job), writes the
  workbook into a temporary file — streamed from a server-side cursor, no row held in memory —
  with progress and a heartbeat, and stores it through Django's storage API. The
  user follows it on the shared progress page and downloads it there; nobody else sees it
  (404). A job whose worker died is run again (:func:`interrupted`); the file and the job are
  removed ``EXPORT_RETENTION_HOURS`` after it finished (:func:`purge`, the beat).
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import xlsx
from .jobs import fresh_connection, heartbeat
from .models import ExportJob, ExportStatus
from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    """One export: ``rows(request)`` answers the rows (a queryset, or ``core.xlsx.Chunks`` of
    one, is streamed; it needs no query per row), ``columns()`` the columns; ``rows`` may be
    given as a dotted path, imported when first used (an app's views are not loaded while
    apps are)."""

    name: str
    title: Callable[[], str] | str
    columns: Callable[[], Sequence[xlsx.Column]]
    rows: Callable[[HttpRequest], Iterable] | str
    freeze: str = "A2"

    def rows_of(self, request: HttpRequest) -> Iterable:
        rows = import_string(self.rows) if isinstance(self.rows, str) else self.rows
        return rows(request)

    @property
    def sheet_title(self) -> str:
        return str(self.title() if callable(self.title) else self.title)

    def filename(self) -> str:
        return f"{self.sheet_title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


_EXPORTS: dict[str, Export] = {}


def register(export: Export) -> None:
    _EXPORTS[export.name] = export


def get(name: str) -> Export:
    return _EXPORTS[name]


def names() -> list[str]:
    return sorted(_EXPORTS)


def count(rows: Iterable) -> int:
    """How many rows an export has (a queryset counts in the database)."""
    if isinstance(rows, xlsx.Chunks):
        rows = rows.queryset
    if isinstance(rows, QuerySet):
        return rows.order_by().count()
    return len(rows)  # a selector's list


# --- the request ---------------------------------------------------------------------------------


@dataclass
class Answer:
    """What an export request got: the file at once (``response``) or a queued ``job``."""

    response: HttpResponse | None = None
    job: ExportJob | None = None


def request_export(request, name: str) -> Answer:
    """The export ``name`` of ``request``'s rows: the workbook when it has at most
    ``EXPORT_SYNC_ROWS`` rows, else a queued job (sent to a worker once the request commits)."""
    export = get(name)
    rows = export.rows_of(request)
    total = count(rows)
    if total <= settings.EXPORT_SYNC_ROWS:
        return Answer(response=_file_response(export, rows))
    job = ExportJob.objects.create(
        kind=name,
        title=export.sheet_title,
        query=request.GET.urlencode(),
        requested_by=request.user,
        total_rows=total,
    )
    from .tasks import run_export

    enqueue_on_commit(run_export, job.pk)
    return Answer(job=job)


def _file_response(export: Export, rows: Iterable) -> HttpResponse:
    # at most EXPORT_SYNC_ROWS rows: a workbook of a few hundred KB, written in one go
    content = xlsx.workbook(export.sheet_title, export.columns(), rows, freeze=export.freeze)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export.filename()
    )
    return response


def download(job: ExportJob) -> FileResponse:
    """The stored file of a finished job (read through the storage API)."""
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX
    )


def as_request(user, query: str) -> HttpRequest:
    """A page's export request made of a user and a query string — all an app's rows function
    reads (``request.user``, ``request.GET``): the API's export, and the job's run in the
    worker (the same user, whose scope is read anew, and the same filters and order)."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    request.user = user
    return request


# --- the worker ----------------------------------------------------------------------------------


def run(job_id: int) -> str | None:
    """Write a queued export and store its file. Only a queued job is taken (a conditional
    update: a second delivery of the message does nothing); a failure is recorded on the job."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        written_rows=0,
        attempts=F("attempts") + 1,
    )
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if not claimed or job is None:
        return job.status if job else None
    # this run's own row: a run the reaper gave up on must not write over the one after it
    mine = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING, attempts=job.attempts)

    def progress(written: int) -> None:
        mine.update(written_rows=written, heartbeat_at=timezone.now())

    try:
        with heartbeat(mine), tempfile.TemporaryFile(suffix=".xlsx") as handle:
            export = get(job.kind)
            rows = export.rows_of(as_request(job.requested_by, job.query))
            written = xlsx.write(
                handle,
                export.sheet_title,
                export.columns(),
                rows,
                freeze=export.freeze,
                progress=progress,
            )
            handle.seek(0)
            job.file.save(export.filename(), File(handle), save=False)
    except Exception as error:
        logger.error("export %s failed\n%s", job.pk, traceback.format_exc())
        fresh_connection()
        _fail(mine, error)
        return ExportStatus.FAILED
    stored = mine.update(
        status=ExportStatus.DONE,
        file=job.file.name,
        written_rows=written,
        total_rows=written,
        finished_at=timezone.now(),
        error="",
    )
    if not stored:  # given up on meanwhile: the file belongs to no job
        job.file.storage.delete(job.file.name)
        return None
    return ExportStatus.DONE


def _fail(mine: QuerySet, error: Exception) -> None:
    if isinstance(error, SoftTimeLimitExceeded):
        message = _("导出超时：超过了%(minutes)s分钟的时限，已停止。请缩小筛选范围后重试。") % {
            "minutes": max(1, round(settings.JOB_SOFT_TIME_LIMIT / 60))
        }
    else:
        message = _("导出失败：%(error)s") % {"error": f"{type(error).__name__}: {error}"}
    mine.update(status=ExportStatus.FAILED, error=message, finished_at=timezone.now())


def interrupted(job_id: int) -> str:
    """The reaper's step for an export running without a heartbeat: its worker died. Writing
    a workbook changes nothing, so it is queued again, up to ``JOB_MAX_ATTEMPTS`` runs; then it
    fails with a message. Answers ``"requeued"``, ``"failed"`` or ``""`` (not stale)."""
    from .jobs import send

    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update()
            .filter(ExportJob.stale_q(), pk=job_id, status=ExportStatus.RUNNING)
            .first()
        )
        if job is None:
            return ""
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.FAILED,
                error=_("导出中断：后台服务在导出过程中停止，已自动重试%(n)s次仍未完成。")
                % {"n": job.attempts},
                finished_at=timezone.now(),
            )
            return "failed"
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.QUEUED, written_rows=0, heartbeat_at=timezone.now()
        )
    send("core.tasks.run_export", job_id)
    return "requeued"


def purge(now: datetime.datetime | None = None) -> int:
    """Remove the exports finished more than ``EXPORT_RETENTION_HOURS`` ago, files first
    (the beat, hourly). Answers how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.EXPORT_RETENTION_HOURS)
    removed = 0
    for job in ExportJob.objects.filter(finished_at__lt=cutoff).order_by("pk").iterator():
        if job.file:
            job.file.storage.delete(job.file.name)
        job.delete()
        removed += 1
    return removed


def respond(request, name: str):
    """An export page's answer: the file, or the progress page of the job writing it."""
    from django.contrib import messages
    from django.shortcuts import redirect

    answer = request_export(request, name)
    if answer.response is not None:
        return answer.response
    messages.info(
        request,
        _("共%(n)s行，数据较多，已转入后台生成；完成后可在本页下载。")
        % {"n": answer.job.total_rows},
    )
    return redirect("exports:detail", answer.job.pk)
