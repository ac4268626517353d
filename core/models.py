"""Abstract bases every app builds on: rows that record what happened and can never change.

An app's event table (an issue's timeline, an approval's status changes, a form's review steps
…) subclasses :class:`WorkflowEvent`; :mod:`core.workflow` writes one row per step. On
PostgreSQL the database itself refuses to change or remove a row as well (see
:func:`core.db.append_only`).
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImmutableQuerySet(models.QuerySet):
    """Rows that record what happened: they may be added, never changed or removed."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows cannot be changed")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows cannot be deleted")


class ImmutableModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows cannot be deleted")


class WorkflowEvent(ImmutableModel):
    """One step of a workflow: what was done (``kind``), from which state to which, by whom
    (empty for the platform's own jobs), when, and why; a workflow adds its own fields.

    Tables older than this base keep their column names; they say which columns hold the kind
    and the two states (``kind_field``, ``from_field``, ``to_field``) and the workflow reads
    and writes through those names."""

    kind_field = "kind"
    from_field = "from_state"
    to_field = "to_state"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    comment = models.TextField(_("说明"), blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    @property
    def event_kind(self) -> str:
        return getattr(self, self.kind_field)

    @property
    def from_value(self) -> str:
        return getattr(self, self.from_field)

    @property
    def to_value(self) -> str:
        return getattr(self, self.to_field)

    @property
    def actor_label(self) -> str:
        return str(self.actor) if self.actor_id else str(_("系统"))


def stale_before():
    """A job under way whose last heartbeat is older than this has lost its worker or message."""
    return timezone.now() - datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)


class Job(models.Model):
    """A background job a page follows while it runs (a generated document, a large Excel
    import): whether it has finished, how far it has got, what it is doing, and the one status
    answer every progress page polls (``static/js/job-progress.js``).

    A job model has a ``status`` field whose choices include ``queued``, ``running``, ``done``
    and ``failed`` (it may add running states of its own, such as an import's ``writing``) and a
    ``finished_at`` time; the columns stay on each model, under the names its table has always
    had. It says how far it has got (:attr:`percent`, 0–100) and, in one line, what it is doing
    (:attr:`step_text`).

    ``heartbeat_at`` is its last sign of life: when it was queued or sent again, and, while it
    runs, every ``JOB_HEARTBEAT_SECONDS`` (:func:`core.jobs.heartbeat`) and at every progress
    update. A job under way whose heartbeat is older than ``JOB_HEARTBEAT_TIMEOUT`` is stale: its
    worker died (running) or its message never reached one (queued); the reaper
    (:func:`core.jobs.reap`) sends it again or marks it failed."""

    #: the states in which the job will not change again by itself
    finished_states = frozenset({"done", "failed"})

    heartbeat_at = models.DateTimeField(
        _("最近心跳"),
        default=timezone.now,
        help_text=_("排队、重新发送时和运行期间定时更新；长时间未更新说明后台服务已中断。"),
    )

    class Meta:
        abstract = True

    @classmethod
    def stale_q(cls) -> models.Q:
        """Under way with no sign of life for ``JOB_HEARTBEAT_TIMEOUT`` seconds."""
        return ~models.Q(status__in=cls.finished_states) & models.Q(heartbeat_at__lt=stale_before())

    @property
    def is_stale(self) -> bool:
        return self.is_active and self.heartbeat_at < stale_before()

    @property
    def finished(self) -> bool:
        return self.status in self.finished_states

    @property
    def is_active(self) -> bool:
        """Queued or under way: a page showing it follows it."""
        return not self.finished

    @property
    def percent(self) -> int:
        raise NotImplementedError

    @property
    def step_text(self) -> str:
        return ""

    def progress_payload(self, **extra) -> dict:
        """What a progress page needs, in the shape ``job-progress.js`` reads, followed by what
        the job's own status answer adds (``extra``)."""
        return {
            "id": self.pk,
            "status": self.status,
            "status_label": self.get_status_display(),
            "finished": self.finished,
            "percent": self.percent,
            "step": str(self.step_text),
            **extra,
        }


class PendingRun(models.Model):
    """A task that recomputes derived data and has no job row of its own (every project's
    schedule, the approvals' promise dates after a calendar change), asked for and not yet run to
    the end. Written in the transaction that asks for it and when a run starts, removed when a
    run that began after the last request finishes: a run lost with its worker, or a message the
    broker never took, leaves the row, and the reaper sends the task again (``core.jobs``).

    Simpler than a job row per request: the task is idempotent and recomputes everything, so one
    row per task is enough, however many changes asked for it."""

    task = models.CharField(_("任务"), max_length=200, unique=True)
    #: counted up by each request: a run removes the marker only if none came after it began
    requests = models.PositiveIntegerField(_("请求次数"), default=0)
    requested_at = models.DateTimeField(_("最近请求时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("失败或中断次数"), default=0)

    class Meta:
        verbose_name = _("待完成的后台任务")
        verbose_name_plural = _("待完成的后台任务")

    def __str__(self) -> str:
        return self.task


class ExportStatus(models.TextChoices):
    """queued → running → done | failed; a running job whose worker died goes back to queued
    (the reaper, up to ``JOB_MAX_ATTEMPTS`` runs)."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


def export_upload_to(job: "ExportJob", filename: str) -> str:
    """``exports/2026/11/<random>/项目库-20261105-0930.xlsx``: a random folder per file."""
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class ExportJobQuerySet(models.QuerySet):
    def for_user(self, user) -> "ExportJobQuerySet":
        """A user's own exports: the file holds what their scope showed them, so nobody else
        (not even an office above) follows or downloads it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(requested_by=user)


class ExportJob(Job):
    """A large Excel export written in the background (``core.exports``): which export
    (``kind``, a name in the registry each app fills) with which filters and order (the
    request's ``query`` string), for whom; then the file, kept ``EXPORT_RETENTION_HOURS``."""

    kind = models.CharField(_("导出类型"), max_length=50)
    title = models.CharField(_("名称"), max_length=100)
    query = models.TextField(_("筛选条件"), blank=True, help_text=_("导出请求的查询字符串。"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    written_rows = models.PositiveIntegerField(_("已写入行数"), default=0)
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    file = models.FileField(_("文件"), upload_to=export_upload_to, blank=True, max_length=200)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("后台导出")
        verbose_name_plural = _("后台导出")
        indexes = [models.Index(fields=["finished_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, 100 * self.written_rows // self.total_rows)

    @property
    def step_text(self) -> str:
        if self.status == ExportStatus.RUNNING:
            return _("已写入%(done)s / %(total)s行") % {
                "done": self.written_rows,
                "total": self.total_rows,
            }
        return ""
