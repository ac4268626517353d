"""Writing reports: request, run, publish, retry (SPEC §10). Pages, the API, the management
command and the beat schedule all go through these functions."""

from __future__ import annotations

import datetime
import logging
import traceback

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Unit
from core.exceptions import DomainError, NotPermitted
from core.jobs import fresh_connection, heartbeat
from core.tasks import enqueue_on_commit
from core.workflow import Action, Workflow

from .models import Kind, Report, ReportEvent, Status
from .periods import Period, month_of, parse_period, week_of

logger = logging.getLogger(__name__)


# --- who may do what ---------------------------------------------------------------------------


def issuing_office(user) -> Unit | None:
    """The office a user issues documents for: their own unit when it is an office."""
    if user is None or not user.is_authenticated or not user.is_office_staff:
        return None
    unit = user.unit
    if unit is not None and unit.kind == Unit.Kind.OFFICE:
        return unit
    return None


def may_manage(user, report: Report) -> bool:
    """Publish, retry and regenerate: the staff of the issuing office's region (or a system
    administrator)."""
    if user is None or not user.is_authenticated:
        return False
    if user.sees_everything:
        return True
    office = issuing_office(user)
    return office is not None and office.region_id == report.unit.region_id


def may_request(user) -> bool:
    return user is not None and (user.sees_everything or issuing_office(user) is not None)


def _managed(report: Report, user) -> bool:
    return may_manage(user, report)


def _retriable(report: Report, user) -> None:
    if report.is_published or not (report.status == Status.FAILED or report.is_stale):
        raise DomainError(_("只有生成失败或长时间没有完成的文档可以重试。"), code="not_failed")


def _publishable(report: Report, user) -> None:
    if report.is_published:
        raise DomainError(_("该文档已印发，不能再次印发。"), code="already_published")
    if not report.file:
        raise DomainError(_("文档尚未生成完成，不能印发。"), code="not_done")


def _refusal(report: Report, action: Action) -> DomainError:
    if action.name == "publish":
        return DomainError(_("文档尚未生成完成，不能印发。"), code="not_done")
    return DomainError(_("只有生成失败或长时间没有完成的文档可以重试。"), code="not_failed")


#: a document's steps that people take; the job's own marks (done, failed) are recorded on it
WORKFLOW = Workflow(
    name="report",
    model=Report,
    states=Status,
    event_model=ReportEvent,
    event_subject="report",
    who_first=True,
    refusal=_refusal,
    lock=lambda report: (
        Report.objects.select_for_update(of=("self",))
        .select_related("unit__region")
        .get(pk=report.pk)
    ),
    context=lambda report: {"region": report.unit.region_id, "units": (report.unit_id,)},
    actions=[
        Action(
            "retry",
            gettext_lazy("重新生成"),
            frozenset({Status.FAILED, Status.QUEUED, Status.RUNNING}),
            Status.QUEUED,
            who=_managed,
            denied=gettext_lazy("只有编发单位可以重新生成。"),
            check=_retriable,
        ),
        Action(
            "publish",
            gettext_lazy("印发"),
            frozenset({Status.DONE}),
            None,
            who=_managed,
            denied=gettext_lazy("只有编发单位可以印发。"),
            check=_publishable,
        ),
    ],
)


def allowed_actions(report: Report, user) -> list[str]:
    """The steps ``user`` may take on ``report`` now (the page's buttons, the API's links)."""
    return WORKFLOW.allowed_actions(report, user)


def _requeue(report: Report, by) -> None:
    report.progress = 0
    report.step = ""
    report.error = ""
    report.requested_by = by
    report.queued_at = report.heartbeat_at = timezone.now()
    report.interruptions = 0


def office_for(region: Region) -> Unit | None:
    """The major-project office of a region, for scheduled runs."""
    return Unit.objects.filter(region=region, kind=Unit.Kind.OFFICE).order_by("pk").first()


# --- requesting --------------------------------------------------------------------------------


def _check_period(kind: str, period: Period, today: datetime.date) -> None:
    """A document covers time that has begun: this month or before; for the agenda, up to
    next week (it is prepared before the meeting)."""
    if period.weekly:
        latest = week_of(today + datetime.timedelta(days=7))
        if period.code > latest:
            raise DomainError(
                _("只能生成本周或下周及以前的会议议程。"), code="period_future", field="period"
            )
    elif period.code > month_of(today):
        raise DomainError(_("不能为尚未开始的月份生成文档。"), code="period_future", field="period")


def _title(kind: str, unit: Unit, period: Period, number: int, year: int) -> str:
    return _("%(kind)s（%(period)s）%(year)s年第%(number)s期") % {
        "kind": Kind(kind).label,
        "period": period.label,
        "year": year,
        "number": number,
    }


def _issuer(by, unit: Unit | None) -> Unit:
    """The office a document is issued by: the one named, or the requesting user's own; a
    user issues only for their own office."""
    if by is not None:
        if not may_request(by):
            raise NotPermitted(_("只有重大办工作人员可以编发文档。"), code="not_permitted")
        unit = unit or issuing_office(by)
        if unit is None:
            raise DomainError(
                _("请指定编发单位（重大项目办）。"), code="unit_required", field="unit"
            )
        if not by.sees_everything and unit.region_id != by.region_id:
            raise NotPermitted(_("只能以本单位名义编发文档。"), code="not_permitted")
    if unit is None or unit.kind != Unit.Kind.OFFICE:
        raise DomainError(_("编发单位须为重大项目办。"), code="unit_invalid", field="unit")
    return unit


@transaction.atomic
def report_request(
    *,
    kind: str,
    period: str,
    by=None,
    unit: Unit | None = None,
    today: datetime.date | None = None,
    enqueue: bool = True,
    correction: bool = False,
) -> tuple[Report, bool]:
    """Queue a document of ``kind`` for ``period``, issued by ``unit`` (by default the
    requesting user's office). Returns the report and whether a job was queued.

    Idempotent per office, kind and period: while the draft is queued or running the same
    report comes back untouched; a finished or failed draft is regenerated under its number;
    once published, a request with ``correction=True`` makes a correction (更正) with the next
    number, and without it is refused. A job whose heartbeat stopped (``Job.is_stale``: a lost
    message, a killed worker) counts as failed and is queued again. With ``enqueue=False`` the
    caller runs the job itself (the management command)."""
    today = today or timezone.localdate()
    if kind not in Kind.values:
        raise DomainError(_("未知的文档类型。"), code="kind_invalid", field="kind")
    unit = _issuer(by, unit)
    parsed = parse_period(kind, period)
    _check_period(kind, parsed, today)

    # One office's numbering is a queue: lock the office row so two requests never take the
    # same number (PostgreSQL; SQLite serialises writers anyway).
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    draft = (
        Report.objects.select_for_update()
        .filter(unit=unit, kind=kind, period=parsed.code, published_at__isnull=True)
        .first()
    )
    if draft is not None:
        if draft.is_active and not draft.is_stale:
            return draft, False
        before = {"status": draft.status}
        draft.status = Status.QUEUED
        _requeue(draft, by)
        draft.save()
        WORKFLOW.record(draft, "request", by, before=before)
        if enqueue:
            _enqueue(draft)
        return draft, True

    year = parsed.start.isocalendar()[0] if parsed.weekly else parsed.year
    last = Report.objects.filter(unit=unit, kind=kind, year=year).aggregate(n=Max("number"))["n"]
    number = (last or 0) + 1
    corrects = (
        Report.objects.filter(unit=unit, kind=kind, period=parsed.code, published_at__isnull=False)
        .order_by("-published_at")
        .first()
    )
    if corrects is not None and not correction:
        raise DomainError(
            _("%(number)s已印发。如需更正，请选择“更正已印发的文档”后重新生成，将编为新的一期。")
            % {"number": corrects.number_label},
            code="already_published",
            field="period",
        )
    report = Report.objects.create(
        kind=kind,
        period=parsed.code,
        year=year,
        number=number,
        unit=unit,
        title=_title(kind, unit, parsed, number, year),
        corrects=corrects,
        requested_by=by,
        queued_at=timezone.now(),
    )
    WORKFLOW.record(report, "request", by, before={"status": ""})
    if enqueue:
        _enqueue(report)
    return report, True


def _enqueue(report: Report) -> None:
    from .tasks import generate_report

    enqueue_on_commit(generate_report, report.pk)


def report_retry(*, report: Report, by) -> Report:
    """A failed job queued again, under the same number."""
    report = WORKFLOW.perform(
        report, "retry", by, change=lambda report, values: _requeue(report, by)
    )
    _enqueue(report)
    return report


def report_regenerate(*, report: Report, by) -> Report:
    """A draft built again from today's data, under the same number. A published report is
    never rebuilt: its correction is a new request for the same period."""
    if not may_manage(by, report):
        raise NotPermitted(_("只有编发单位可以重新生成。"), code="not_permitted")
    if report.is_published:
        raise DomainError(
            _("已印发的文档不能重新生成；如需更正，请在报告简报页重新生成同一期间的文档。"),
            code="already_published",
        )
    regenerated, _queued = report_request(
        kind=report.kind, period=report.period, by=by, unit=report.unit
    )
    return regenerated


def report_publish(*, report: Report, by) -> Report:
    """印发: a finished draft becomes the record leaders read, and never changes again."""

    def change(report: Report, values: dict) -> None:
        report.published_at = timezone.now()
        report.published_by = by

    return WORKFLOW.perform(report, "publish", by, change=change)


# --- running -----------------------------------------------------------------------------------


def _progress(run):
    def tell(percent: int, step: str) -> None:
        run.update(progress=min(max(percent, 0), 99), step=step[:100], heartbeat_at=timezone.now())

    return tell


def _failure(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.messages[0]
    if isinstance(error, SoftTimeLimitExceeded):
        return _("生成超时：超过了%(minutes)s分钟的时限，已停止。请稍后重试，或联系管理员。") % {
            "minutes": max(1, round(settings.JOB_SOFT_TIME_LIMIT / 60))
        }
    return _("生成失败：%(error)s") % {"error": f"{type(error).__name__}: {error}"}


def report_run(report_id: int, today: datetime.date | None = None) -> Report | None:
    """Build the document of a queued report and store its file.

    Idempotent: only a queued report is taken (atomically, so a second delivery of the same
    message does nothing); one done, failed, published, gone or being built by another worker
    is left alone — a run whose worker died is queued again by the reaper
    (:func:`report_interrupted`). A failure is recorded with its message and the report can be
    retried; nothing half-written is kept."""
    from .documents import build  # before the claim: nothing between it and the try below

    with transaction.atomic():
        report = (
            Report.objects.select_for_update().select_related("unit__region").filter(pk=report_id)
        ).first()
        if report is None or report.is_published or report.status != Status.QUEUED:
            return report
        today = today or timezone.localdate()
        now = timezone.now()
        attempt = report.attempts + 1
        Report.objects.filter(pk=report.pk).update(
            status=Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=1,
            step=_("正在汇总数据"),
            attempts=attempt,
        )
    # This run's own row: a run the reaper gave up on (its heartbeat had stopped) must not write
    # over the run that replaced it.
    run = Report.objects.filter(pk=report.pk, status=Status.RUNNING, attempts=attempt)
    with heartbeat(run):
        try:
            built = build(report, today=today, progress=_progress(run))
        except Exception as error:  # recorded for the office to see, and retried by hand
            logger.error("report %s failed\n%s", report.pk, traceback.format_exc())
            fresh_connection()
            _fail(report.pk, _failure(error), attempt=attempt)
            report.refresh_from_db()
            return report

        try:
            return _store(report.pk, built, today, attempt)
        except Exception as error:  # e.g. the disk is full: the report must not stay "running"
            logger.error("report %s could not be stored\n%s", report.pk, traceback.format_exc())
            fresh_connection()
            _fail(report.pk, _failure(error), attempt=attempt)
            return Report.objects.filter(pk=report.pk).first()


def report_interrupted(report_id: int) -> str:
    """The reaper's step for a report running without a heartbeat: its worker died. Building a
    document is idempotent (nothing is kept until the file is stored, in one transaction), so
    it is queued again — up to ``JOB_MAX_ATTEMPTS`` runs for one request, so that a document
    that brings its worker down every time ends failed, to be retried by hand, rather than
    looping. Answers ``"requeued"``, ``"failed"``, or ``""`` when the report is not stale."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(Report.stale_q(), pk=report_id, status=Status.RUNNING)
            .filter(published_at__isnull=True)
            .first()
        )
        if report is None:
            return ""
        if report.interruptions + 1 >= settings.JOB_MAX_ATTEMPTS:
            _fail(
                report.pk,
                _(
                    "生成中断：后台服务在生成过程中停止，已自动重新生成%(n)s次仍未完成。"
                    "请稍后重试，或联系管理员。"
                )
                % {"n": report.interruptions},
            )
            return "failed"
        before = {"status": report.status}
        report.status = Status.QUEUED
        report.progress, report.step = 0, ""
        report.heartbeat_at = timezone.now()
        report.interruptions += 1
        Report.objects.filter(pk=report.pk).update(
            status=report.status,
            progress=0,
            step="",
            heartbeat_at=report.heartbeat_at,
            interruptions=report.interruptions,
        )
        WORKFLOW.record(
            report, "requeue", None, before=before, comment=_("后台服务中断，已自动重新排队生成。")
        )
        _enqueue(report)
    return "requeued"


def _fail(report_id: int, message: str, attempt: int | None = None) -> None:
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .select_related("unit")
            .filter(pk=report_id, published_at__isnull=True)
            .filter(**({"attempts": attempt} if attempt is not None else {}))
            .first()
        )
        if report is None:
            return
        before = {"status": report.status}
        Report.objects.filter(pk=report_id).update(
            status=Status.FAILED, error=message, step="", finished_at=timezone.now()
        )
        report.status = Status.FAILED
        WORKFLOW.record(report, "fail", None, before=before, comment=message)


@transaction.atomic
def _store(report_id: int, built, today: datetime.date, attempt: int) -> Report:
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.is_published or report.status != Status.RUNNING or report.attempts != attempt:
        return report
    old = report.file.name if report.file else ""
    report.file.save(built.filename, ContentFile(built.content), save=False)
    report.status = Status.DONE
    report.progress = 100
    report.step = ""
    report.error = ""
    report.page_count = built.pages
    report.as_of = today
    report.finished_at = timezone.now()
    report.save()
    WORKFLOW.record(report, "done", None, before={"status": Status.RUNNING})
    if old and old != report.file.name:
        transaction.on_commit(lambda: report.file.storage.delete(old))
    return report
