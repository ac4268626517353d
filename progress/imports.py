"""Importing a filled template: checked at once, then validated row by row and written all
or nothing — inline for a small file, by a background job (with progress) for a large one."""

import gc
import hashlib
import logging
from array import array
from bisect import bisect_left
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import events
from core.exceptions import DomainError
from core.jobs import fresh_connection, heartbeat
from core.tasks import enqueue_on_commit
from projects.models import Project

from . import services, xlsx
from .models import ImportStatus, ProgressAction, ProgressImport
from .upload import UploadRefused, _mb, check_upload

logger = logging.getLogger(__name__)
#: how often (in rows) a running job writes how far it has got, at the least and the most
PROGRESS_EVERY = 50
STRETCH_ROWS = 2000
SYSTEM_ERROR = gettext_lazy("导入时发生系统错误，未导入任何数据，请稍后重试或联系管理员。")
INTERRUPTED = gettext_lazy("导入中断：后台服务在导入过程中停止，未导入任何数据。请重新上传该文件。")
TIMED_OUT = gettext_lazy(
    "导入超时：超过了%(minutes)s分钟的时限，已停止，未导入任何数据。请分批导入或联系管理员。"
)


@contextmanager
def _collector_paused():
    """Reading and writing tens of thousands of rows makes objects faster than Python's cycle
    collector would free any: each of its runs walks them all, a tenth of an import's time.
    Nothing an import makes refers to itself in a cycle; the collector runs again after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@_collector_paused()
def start_import(*, by, uploaded, period: str | None = None) -> ProgressImport:
    """Check an uploaded ``.xlsx`` and import it. Refuses a bad file at once (UploadRefused);
    otherwise answers the job — finished when the file is small, queued when it is large."""
    if not by.has_role(*services.FILER_ROLES):
        raise DomainError(_("您没有填报月度进展的权限。"), code="not_permitted")
    limit = settings.PROGRESS_IMPORT_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise UploadRefused(
            _("文件大小为%(size)sMB，超过上限%(limit)sMB，请分县区或分批导入。")
            % {"size": _mb(uploaded.size), "limit": _mb(limit)}
        )
    data = uploaded.read(limit + 1)
    check_upload(data)
    with xlsx.read_workbook(data) as parsed:  # the rows read: a queued job has its own copy
        try:
            services.check_period(parsed.period)
        except DomainError as error:
            raise UploadRefused(
                _("模板第2行的填报月份“%(value)s”有误：%(why)s")
                % {"value": parsed.period, "why": error.messages[0]}
            ) from error
        if period and period != parsed.period:
            raise UploadRefused(
                _("文件中的填报月份（%(file)s）与所选月份（%(chosen)s）不一致。")
                % {"file": parsed.period, "chosen": period}
            )
        if not len(parsed):
            raise UploadRefused(_("文件中没有数据行。"))
        job = ProgressImport(
            region=by.region,
            period=parsed.period,
            file_name=(getattr(uploaded, "name", "") or "upload.xlsx")[-200:],
            sha256=hashlib.sha256(data).hexdigest(),
            total_rows=len(parsed),
            created_by=by,
        )
        if job.region is None:
            raise DomainError(_("您的账号未设置所属地区，不能导入。"), code="no_region")
        job.file.save(f"{job.sha256[:16]}.xlsx", ContentFile(data), save=False)
        job.save()
        del data  # stored: the rows read are all the import needs now
        if len(parsed) <= settings.PROGRESS_IMPORT_SYNC_ROWS:
            run_import(job.pk, parsed=parsed)
            job.refresh_from_db()
        else:
            # The rows as read here go with the job, so the worker does not parse the workbook a
            # second time (the file itself is kept as the record of what was uploaded).
            _store_rows(job, parsed)
            from .tasks import run_import as task

            enqueue_on_commit(task, job.pk)
        return job


def _rows_name(job: ProgressImport) -> str:
    """Where the rows read go with a queued job (JSON lines now, one JSON document for jobs
    queued by an earlier version: :meth:`xlsx.Parsed.load` reads both)."""
    return f"{job.file.name}.rows.json"


def _store_rows(job: ProgressImport, parsed: xlsx.Parsed) -> None:
    storage, name = job.file.storage, _rows_name(job)
    if storage.exists(name):  # left by an upload that failed half way
        storage.delete(name)
    storage.save(name, parsed.stored())


def _stored_rows(job: ProgressImport) -> xlsx.Parsed | None:
    """The rows the upload read, copied to a local temporary file a line at a time, or None
    (a job queued before they were kept)."""
    storage, name = job.file.storage, _rows_name(job)
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        return xlsx.Parsed.load(handle)


def _drop_stored_rows(job: ProgressImport) -> None:
    if job.file:
        job.file.storage.delete(_rows_name(job))


def _save(job: ProgressImport, *fields: str) -> int:
    """Write ``fields`` of a job still under way (each write is also a heartbeat); a job already
    finished — marked failed by the reaper while this run was cut off from the database — is
    left as it is. Answers whether it was written."""
    return (
        ProgressImport.objects.filter(pk=job.pk)
        .exclude(status__in=ProgressImport.finished_states)
        .update(heartbeat_at=timezone.now(), **{name: getattr(job, name) for name in fields})
    )


def _fail(job: ProgressImport, message: str, errors: list[dict]) -> None:
    job.status = ImportStatus.FAILED
    job.message = message
    job.errors = errors
    job.finished_at = timezone.now()
    if _save(job, "status", "message", "errors", "finished_at"):
        _tell(job)


def _tell(job: ProgressImport) -> None:
    """The uploader hears that the import finished, done or not."""
    events.publish(
        "progress.import_finished",
        job,
        region=job.region_id,
        actor=job.created_by,
        payload={"status": job.status, "message": str(job.message)},
    )


def _error(row: int | None, key: str, message: str) -> dict:
    return {"row": row, "column": xlsx.column_header(key) if row else "", "message": str(message)}


@_collector_paused()
def run_import(import_id: int, parsed: xlsx.Parsed | None = None) -> str:
    """Validate every row, then write them in one transaction. Only a queued job is taken
    (atomically: a second delivery of the message does nothing); one finished, or under way in
    another worker, is left alone. A run cut off half way is marked failed by the reaper
    (:func:`import_interrupted`). ``parsed``: the rows the upload read (an inline import), else
    those it stored with the job."""
    job = ProgressImport.objects.select_related("created_by", "created_by__region").get(
        pk=import_id
    )
    now = timezone.now()
    claimed = ProgressImport.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, processed_rows=0, heartbeat_at=now
    )
    if not claimed:
        job.refresh_from_db(fields=["status"])
        return job.status
    job.status, job.processed_rows, job.heartbeat_at = ImportStatus.RUNNING, 0, now
    running = ProgressImport.objects.filter(
        pk=job.pk, status__in=(ImportStatus.RUNNING, ImportStatus.WRITING)
    )
    try:
        with heartbeat(running):
            return _run(job, parsed)
    except SoftTimeLimitExceeded:
        logger.exception("progress import %s ran out of time", job.pk)
        fresh_connection()
        _fail(
            job, str(TIMED_OUT) % {"minutes": max(1, round(settings.JOB_SOFT_TIME_LIMIT / 60))}, []
        )
        return job.status
    except Exception:
        # Whatever went wrong, the job must not be left "running" for ever: the page polling
        # it shows the failure, and nothing was written (the write is one transaction).
        logger.exception("progress import %s failed", job.pk)
        fresh_connection()
        _fail(job, str(SYSTEM_ERROR), [])
        return job.status


def import_interrupted(import_id: int) -> str:
    """The reaper's step for an import running without a heartbeat: its worker died. It is
    marked failed, not run again. Nothing was written (the write, with the job's "done", is one
    transaction), so the uploader can simply upload the file again; but running it by itself
    later could overwrite what people have filed in the form since, or apply a month that has
    closed meanwhile, without the uploader looking — the same file sent again is a decision for
    them. Answers ``"failed"``, or ``""`` when the job is not stale."""
    failed = (
        ProgressImport.objects.filter(ProgressImport.stale_q(), pk=import_id)
        .exclude(status=ImportStatus.QUEUED)
        .update(
            status=ImportStatus.FAILED,
            message=str(INTERRUPTED),
            errors=[],
            finished_at=timezone.now(),
        )
    )
    if not failed:
        return ""
    _tell(ProgressImport.objects.select_related("created_by").get(pk=import_id))
    return "failed"


def _run(job: ProgressImport, parsed: xlsx.Parsed | None) -> str:
    if parsed is not None:  # read by the upload, which closes it
        return _check_and_write(job, parsed)
    try:
        parsed = _stored_rows(job)
        if parsed is None:
            with job.file.open("rb") as handle:
                parsed = xlsx.read_workbook(handle.read())
    except DomainError as error:
        _fail(job, error.messages[0], [])
        return job.status
    with parsed:
        return _check_and_write(job, parsed)


def _check_and_write(job: ProgressImport, parsed: xlsx.Parsed) -> str:
    try:
        order = parsed.in_project_order()
        errors = _check_rows(job, parsed, order)
        if errors:
            _fail(job, _rows_failed(errors), errors)
            return job.status
        return _write(job, parsed, order)
    finally:
        _drop_stored_rows(job)


def _rows_failed(errors: list[dict]) -> str:
    return _("共%(n)s处错误，未导入任何数据。请按行列提示修改后重新上传。") % {"n": len(errors)}


def _check_rows(job: ProgressImport, parsed: xlsx.Parsed, order: array) -> list[dict]:
    """Every row's errors, by row and then column: what each row says (found as it was read)
    and its project (in the uploader's scope, once in the file). The projects are checked in
    ``order`` (:meth:`xlsx.Parsed.in_project_order`: a project's rows side by side, the first
    one met first) in stretches (:func:`_stretch`), the job's count of rows checked following;
    no row is read back from the file for it, only those with errors already. The forms
    themselves are checked where they are written, under lock (``services.sheet_save``, which
    names every bad row); here only when other rows are refused already, so that the refusal
    names every error of the file at once."""
    errors: list[dict] = []
    for row in parsed.rows(parsed.flawed):
        for key, messages in row.errors.items():
            errors += [_error(row.number, key, message) for message in messages]
    in_scope = Project.objects.for_user(job.created_by)
    project_ids, numbers = parsed.project_ids, parsed.numbers
    firsts = array("i")  # the rows whose project is in scope, met there first: in project order
    first_number = 0  # the row of the project of the last of them
    every = _stretch(len(order))
    for start in range(0, len(order), every):
        stretch = order[start : start + every]
        wanted = {project_ids[index] for index in stretch} - {0}
        found = set(in_scope.filter(pk__in=wanted).values_list("pk", flat=True))
        for index in stretch:
            project_id = project_ids[index]
            if not project_id:  # the row's 平台编号 is missing or wrong: an error already
                continue
            again = firsts and project_ids[firsts[-1]] == project_id
            problem = _project_problem(project_id, found, first_number if again else 0)
            if problem:
                errors.append(_error(numbers[index], "project_id", problem))
            else:
                firsts.append(index)
                first_number = numbers[index]
        job.processed_rows = start + len(stretch)
        _save(job, "processed_rows")
    if errors:
        errors += _form_errors(parsed, firsts)
    errors.sort(key=lambda error: error["row"] or 0)  # by row, each row's in column order
    return errors


def _form_errors(parsed: xlsx.Parsed, firsts: array) -> list[dict]:
    """The errors of the forms of the rows read well, checked by the services a stretch at a
    time (a file refused for other rows already): ``firsts``, the rows whose project is in
    scope and met there first, less those with errors already."""
    errors: list[dict] = []
    every = _stretch(len(parsed))
    for start in range(0, len(firsts), every):
        stretch = [row for row in parsed.rows(firsts[start : start + every]) if not row.errors]
        projects = services.project_facts(
            Project.objects.filter(pk__in=[row.project_id for row in stretch])
        )
        months = services.year_months(list(projects), parsed.period)
        forms = {row.project_id: (projects[row.project_id], row.values) for row in stretch}
        number = {row.project_id: row.number for row in stretch}
        for project_id, fields in services.clean_many(parsed.period, forms, months).items():
            for key, messages in fields.items():
                errors.extend(_error(number[project_id], key, m) for m in messages)
    return errors


def _stretch(total: int) -> int:
    """Rows checked at once, between two progress writes: at least :data:`PROGRESS_EVERY`,
    at most :data:`STRETCH_ROWS`, and about twenty-five writes for a large file."""
    return max(PROGRESS_EVERY, min(STRETCH_ROWS, total // 25))


def _project_problem(project_id: int, in_scope: set[int], first_number: int) -> str:
    """What is wrong with a row's project: out of scope, or met in row ``first_number``
    already (0: not met before)."""
    if project_id not in in_scope:
        return _("平台编号%(id)s对应的项目不存在或不在您的管辖范围内。") % {"id": project_id}
    if first_number:
        return _("与第%(row)s行是同一个项目，请合并为一行。") % {"row": first_number}
    return ""


def _write(job: ProgressImport, parsed: xlsx.Parsed, order: array) -> str:
    """All rows in one transaction, or none: the services decide and write them in batches,
    in project id order (``order``: every row has its own project by now), each row read back
    from the file and its values made as its batch is read."""
    job.status = ImportStatus.WRITING
    _save(job, "status")
    try:
        with transaction.atomic():
            result = services.sheet_save(
                rows=((row.project_id, row.values) for row in parsed.rows(order)),
                period=parsed.period,
                by=job.created_by,
                action=ProgressAction.IMPORT,
            )
            # "done" in the same transaction as the rows: a job the reaper has marked failed
            # meanwhile stays failed and nothing is written, so its message stays true
            _done(job, result)
    except _GivenUp:
        job.refresh_from_db()
        return job.status
    except services.SheetErrors as refused:
        found = []
        for project_id, fields in refused.rows.items():
            number = _row_of(parsed, order, project_id)
            for key, messages in fields.items():
                found += [_error(number, key, m) for m in messages]
        found.sort(key=lambda error: error["row"] or 0)
        _fail(job, _rows_failed(found), found)
        return job.status
    except DomainError as error:
        _fail(job, error.messages[0], [])
        return job.status
    return job.status


def _row_of(parsed: xlsx.Parsed, order: array, project_id: int) -> int:
    """The Excel row of a project's row (one a project by the time rows are written)."""
    return parsed.numbers[order[bisect_left(order, project_id, key=parsed.project_ids.__getitem__)]]


class _GivenUp(Exception):
    """The job was marked failed while this run was writing: its write is rolled back."""


def _done(job: ProgressImport, result) -> None:
    job.status = ImportStatus.DONE
    job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
    job.message = _("导入完成：新增%(c)s条，更新%(u)s条，未变化%(n)s条，空行跳过%(s)s条。") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
        "s": result.skipped,
    }
    job.finished_at = timezone.now()
    if not _save(job, "status", "created", "updated", "unchanged", "message", "finished_at"):
        raise _GivenUp
    _tell(job)  # told once the transaction commits
