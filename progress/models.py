"""Monthly progress (月度调度, SPEC §8): one form per active project and month, filed by the
county, reviewed by the city or province office; and the Excel imports that fill many at once."""

import datetime
import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Concat, Left
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region
from accounts.scope import ScopedQuerySet
from core.models import ImmutableQuerySet, Job, WorkflowEvent
from issues.models import Category as IssueCategory
from projects.models import Admission, Project, ProjectPartQuerySet, Stage

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
validate_period = RegexValidator(PERIOD_RE, _("月份格式应为 YYYY-MM，例如 2026-11。"))

#: stages a project may report reaching in a month (the project's stage service moves it)
REPORTABLE_STAGES = (Stage.STARTED, Stage.COMPLETED, Stage.PRODUCING, Stage.AT_CAPACITY)
#: stages in which a project files a monthly form (admitted, past planning, not yet at capacity)
ACTIVE_STAGES = (Stage.SIGNED, Stage.FILED, Stage.STARTED, Stage.COMPLETED, Stage.PRODUCING)


def period_of(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a ``YYYY-MM`` month."""
    year, month = (int(part) for part in period.split("-"))
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def previous_period(period: str) -> str:
    first, _last = period_bounds(period)
    return period_of(first - datetime.timedelta(days=1))


def month_label(period: str) -> str:
    """``2026-11`` → ``2026年11月``."""
    year, month = period.split("-")
    return _("%(year)s年%(month)s月") % {"year": year, "month": int(month)}


def deadline_of(period: str) -> datetime.date:
    """The filing deadline of a month: ``PROGRESS_DEADLINE_DAY`` of that month (每月20日前)."""
    first, last = period_bounds(period)
    return first.replace(day=min(settings.PROGRESS_DEADLINE_DAY, last.day))


def active_projects():
    """Projects that file a monthly form: admitted to the library, signed and not at capacity."""
    return Project.objects.filter(admission=Admission.ADMITTED, stage__in=ACTIVE_STAGES)


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报送")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("已退回")


#: a form the county may still change
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
#: a form counted as filed for the month
FILED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


class MonthlyReportQuerySet(ProjectPartQuerySet):
    def with_related(self) -> "MonthlyReportQuerySet":
        return self.select_related(
            "project",
            "project__region",
            "submitted_by",
            "approved_by",
            "returned_by",
            "issue",
        )

    def filed(self) -> "MonthlyReportQuerySet":
        return self.filter(status__in=FILED)

    def with_earlier_pending(self) -> "MonthlyReportQuerySet":
        """Each form with ``earlier_pending`` and ``earlier_pending_status``: the first month
        of the same project and year before it that is not approved (None: there is none),
        which must be approved first (``progress.services`` asks it before 审核通过)."""
        earlier = (
            MonthlyReport.objects.filter(
                project_id=models.OuterRef("project_id"),
                period__lt=models.OuterRef("period"),
                period__gte=Concat(Left(models.OuterRef("period"), 4), models.Value("-01")),
            )
            .exclude(status=ReportStatus.APPROVED)
            .order_by("period")
        )
        return self.annotate(
            earlier_pending=models.Subquery(earlier.values("period")[:1]),
            earlier_pending_status=models.Subquery(earlier.values("status")[:1]),
        )


class MonthlyReport(models.Model):
    """One project's monthly form. ``investment_ytd`` is derived: this month plus the earlier
    months of the same year. The status moves only through ``progress.services``."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    period = models.CharField(_("月份"), max_length=7, validators=[validate_period])
    investment_this_month = models.DecimalField(
        _("本月完成投资（万元）"), max_digits=14, decimal_places=2, default=0
    )
    investment_ytd = models.DecimalField(
        _("本年累计完成投资（万元）"), max_digits=14, decimal_places=2, default=0, editable=False
    )
    physical_progress = models.TextField(_("形象进度"), blank=True)
    percent_complete = models.DecimalField(
        _("工程完成百分比"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    new_stage = models.CharField(
        _("本月进入阶段"),
        max_length=12,
        choices=[(stage.value, stage.label) for stage in REPORTABLE_STAGES],
        blank=True,
    )
    stage_date = models.DateField(_("阶段日期"), null=True, blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    problem_category = models.CharField(
        _("问题类别"), max_length=16, choices=IssueCategory.choices, blank=True
    )
    issue = models.ForeignKey(
        "issues.Issue",
        verbose_name=_("转办的困难问题"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("退回人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "project__region_id", "project_id"]
        verbose_name = _("月度进展")
        verbose_name_plural = _("月度进展")
        indexes = [models.Index(fields=["period", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="progress_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(investment_this_month__gte=0) & models.Q(investment_ytd__gte=0),
                name="progress_money_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(percent_complete__isnull=True)
                | models.Q(percent_complete__gte=0, percent_complete__lte=100),
                name="progress_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(new_stage="", stage_date__isnull=True)
                | (~models.Q(new_stage="") & models.Q(stage_date__isnull=False)),
                name="progress_stage_with_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.period}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def deadline(self) -> datetime.date:
        return deadline_of(self.period)

    @property
    def late(self) -> bool:
        """Filed after the month's deadline (逾期报送)."""
        if self.submitted_at is None:
            return False
        return timezone.localdate(self.submitted_at) > self.deadline


class ProgressAction(models.TextChoices):
    CREATE = "create", _("填报")
    UPDATE = "update", _("修改")
    IMPORT = "import", _("导入")
    SUBMIT = "submit", _("报送")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开")


class ProgressEventQuerySet(ImmutableQuerySet):
    pass


class ProgressEvent(WorkflowEvent):
    """One step of a monthly form, kept for good (the audit of reopening, SPEC §8)."""

    kind_field = "action"
    from_field = "from_status"
    to_field = "to_status"

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("月度进展"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=10, choices=ProgressAction.choices)
    from_status = models.CharField(
        _("原状态"), max_length=10, choices=ReportStatus.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=10, choices=ReportStatus.choices)

    objects = ProgressEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("月度进展记录")
        verbose_name_plural = _("月度进展记录")

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


class FilingReminderQuerySet(ScopedQuerySet):
    scope_region_path = "region"


class FilingReminder(models.Model):
    """A reminder that a county has forms missing for a month (sent on the configured days)."""

    region = models.ForeignKey(
        Region, verbose_name=_("县区"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("月份"), max_length=7, validators=[validate_period])
    sent_on = models.DateField(_("提醒日期"))
    missing = models.PositiveIntegerField(_("未报送项目数"))
    deadline = models.DateField(_("报送截止日"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    objects = FilingReminderQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "region_id"]
        verbose_name = _("报送提醒")
        verbose_name_plural = _("报送提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period", "sent_on"], name="progress_one_reminder_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period} {self.sent_on}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("校验中")
    WRITING = "writing", _("写入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未导入")


class ProgressImportQuerySet(ScopedQuerySet):
    scope_region_path = "region"

    def narrow(self, queryset, user):
        """An import is seen by who uploaded it and by the offices over its region."""
        if user.is_office_staff:
            return queryset
        return queryset.filter(created_by=user)


class ProgressImport(Job):
    """An uploaded workbook and what became of it. Large files are imported by a background
    job that reports its progress here; the import is all or nothing."""

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(_("月份"), max_length=7, blank=True)
    file = models.FileField(_("文件"), upload_to="progress-imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    message = models.TextField(_("结果说明"), blank=True)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ProgressImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("进展导入")
        verbose_name_plural = _("进展导入")

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        """How far the job has got: validation is the first 80 %, the write the rest."""
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        share = 80 * self.processed_rows // self.total_rows
        return share + (10 if self.status == ImportStatus.WRITING else 0)

    @property
    def step_text(self) -> str:
        return _("已处理 %(done)s / %(total)s 行") % {
            "done": self.processed_rows,
            "total": self.total_rows,
        }
