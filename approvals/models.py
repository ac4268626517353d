"""Approval tracks (要素保障审批, SPEC §7): each project's approvals against the time limit the
department promised, and the target the province set on top of it (seed 000 measures 7–11).

Working days are counted on the platform's calendar from the day the application was accepted
(受理): a decision on that same day took 0 working days ("当日办结"). When an approval is
accepted its promise and target dates are fixed (``promise_due_on``, ``target_on``); when it is
decided its working days are stored (``actual_days``), so the department figures are computed
in the database.

Promise and target are judged in working days, never by calendar dates: a decision on the
weekend after a Friday due date used no working day more than one on the Friday, so it is on
time. Each date therefore comes with the first working day after it (``promise_late_on``,
``target_late_on``): an approval is late when it is decided on or after that day, or is still
running on it — the same comparison for lists, pages, figures and lights.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Unit
from accounts.scope import AssignmentScopedQuerySet
from core.models import ImmutableQuerySet, WorkflowEvent
from projects.models import Project
from schedule.models import Handler, MilestoneKind


class TargetRule(models.TextChoices):
    SHARE = "share", _("承诺时限的一定比例")
    SAME_DAY = "same_day", _("即来即办、当日办结")
    FIXED_DATE = "fixed_date", _("限定批复日期")


class ApprovalKind(models.Model):
    """A kind of approval with its usual handler, promised time limit and target rule."""

    code = models.SlugField(_("代码"), max_length=30, primary_key=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    handler = models.CharField(_("通常办理部门"), max_length=20, choices=Handler.choices)
    promised_days = models.PositiveSmallIntegerField(
        _("默认承诺时限（工作日）"), validators=[MaxValueValidator(365)]
    )
    target_rule = models.CharField(_("目标规则"), max_length=12, choices=TargetRule.choices)
    target_share = models.DecimalField(
        _("目标占承诺时限比例"),
        max_digits=3,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("如环评“比承诺时限提前30%”填0.70；仅对“承诺时限的一定比例”规则有效。"),
    )
    milestone_kind = models.CharField(
        _("完成的关键节点"), max_length=24, choices=MilestoneKind.choices, blank=True
    )
    same_day_with_specialist = models.BooleanField(
        _("有服务专员时当日办结"),
        default=False,
        help_text=_(
            "“一项目一策、一项目一专员”的项目随到随审、当日办结（如用地用海，措施7）："
            "登记了服务专员的事项，目标为受理当日办结。"
        ),
    )
    note = models.CharField(_("依据"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("审批类型")
        verbose_name_plural = _("审批类型")

    def __str__(self) -> str:
        return self.name


class AuthorityLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class ApprovalStatus(models.TextChoices):
    """An approval's state. Allowed moves (the table is ``services.TRANSITIONS``):

    not_started → preparing | submitted
    preparing → submitted
    submitted → accepted | returned
    accepted → under_review | approved | refused | returned
    under_review → approved | refused | returned
    returned → preparing | submitted
    refused → preparing
    """

    NOT_STARTED = "not_started", _("未启动")
    PREPARING = "preparing", _("编制材料")
    SUBMITTED = "submitted", _("已申报")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("审查中")
    APPROVED = "approved", _("已批复")
    REFUSED = "refused", _("不予批复")
    RETURNED = "returned", _("退回补正")


#: statuses in which the department's clock runs
RUNNING_STATUSES = (ApprovalStatus.ACCEPTED, ApprovalStatus.UNDER_REVIEW)
DECIDED_STATUSES = (ApprovalStatus.APPROVED, ApprovalStatus.REFUSED)


def late_q(today) -> Q:
    """Running on or after the first working day past the promise, or decided on or after it:
    more working days than promised (the one definition of overdue)."""
    return Q(status__in=RUNNING_STATUSES, promise_late_on__lte=today) | Q(
        status__in=DECIDED_STATUSES, decided_on__gte=models.F("promise_late_on")
    )


class ApprovalQuerySet(AssignmentScopedQuerySet):
    scope_region_path = "project__region"
    scope_unit_path = "project__unit"

    def overdue(self, today=None):
        """Running past the promise today, or decided after it (in working days)."""
        today = today or timezone.localdate()
        return self.filter(late_q(today))

    def with_related(self):
        return self.select_related("project", "project__region", "kind", "unit", "specialist")


class Approval(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="approvals"
    )
    kind = models.ForeignKey(
        ApprovalKind, verbose_name=_("审批类型"), on_delete=models.PROTECT, related_name="+"
    )
    authority_level = models.CharField(_("审批层级"), max_length=10, choices=AuthorityLevel.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("办理单位"), on_delete=models.PROTECT, related_name="approvals"
    )
    status = models.CharField(
        _("状态"), max_length=14, choices=ApprovalStatus.choices, default=ApprovalStatus.NOT_STARTED
    )
    planned_submission_on = models.DateField(_("计划申报日期"), null=True, blank=True)
    submitted_on = models.DateField(_("申报日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    decided_on = models.DateField(_("批复（办结）日期"), null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField(
        _("承诺时限（工作日）"), validators=[MaxValueValidator(365)]
    )
    fixed_target_on = models.DateField(
        _("限定批复日期"), null=True, blank=True, help_text=_("“限定批复日期”规则的目标日期。")
    )
    promise_due_on = models.DateField(_("承诺办结日"), null=True, blank=True, editable=False)
    target_on = models.DateField(_("目标办结日"), null=True, blank=True, editable=False)
    #: the first working day after the promised and the target day: a decision on it or later
    #: (or still running on it) took more working days than allowed
    promise_late_on = models.DateField(
        _("承诺时限后首个工作日"), null=True, blank=True, editable=False
    )
    target_late_on = models.DateField(
        _("目标时限后首个工作日"), null=True, blank=True, editable=False
    )
    actual_days = models.PositiveSmallIntegerField(
        _("实际用时（工作日）"), null=True, blank=True, editable=False
    )
    # The promise dates the daily job has announced (approval.due / approval.overdue) for, so
    # each is told once per approval and promise date.
    due_told_for = models.DateField(
        _("已提示临近的承诺办结日"), null=True, blank=True, editable=False
    )
    overdue_told_for = models.DateField(
        _("已提示超期的承诺办结日"), null=True, blank=True, editable=False
    )
    document_no = models.CharField(_("批复文号"), max_length=100, blank=True)
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务专员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("一项目一专员"),
    )
    note = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "kind__position"]
        verbose_name = _("审批事项")
        verbose_name_plural = _("审批事项")
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="approval_once_per_kind"),
            models.CheckConstraint(
                condition=Q(accepted_on__isnull=True)
                | Q(submitted_on__isnull=False, accepted_on__gte=models.F("submitted_on")),
                name="approval_accepted_after_submitted",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(accepted_on__isnull=False, decided_on__gte=models.F("accepted_on")),
                name="approval_decided_after_accepted",
            ),
        ]
        indexes = [models.Index(fields=["unit", "kind", "status"], name="approval_unit_kind")]

    def __str__(self) -> str:
        return f"{self.project} · {self.kind}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.pk])

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES


class ApprovalEventQuerySet(ImmutableQuerySet):
    pass


class ApprovalEvent(WorkflowEvent):
    """One status change of an approval, kept for good."""

    kind_field = None
    from_field = "from_status"
    to_field = "to_status"

    approval = models.ForeignKey(
        Approval, verbose_name=_("审批事项"), on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(_("原状态"), max_length=14, choices=ApprovalStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=14, choices=ApprovalStatus.choices)
    date = models.DateField(_("发生日期"), null=True, blank=True)
    synced = models.BooleanField(_("来自审批平台同步"), default=False)

    objects = ApprovalEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("审批状态记录")
        verbose_name_plural = _("审批状态记录")

    def __str__(self) -> str:
        return f"{self.approval_id} {self.from_status}→{self.to_status}"
