"""Issue tickets (困难问题, SPEC §5), their immutable timeline, 通报/约谈 records and the
weekly coordination meeting (碰头会, SPEC §6).

An issue is owned by the office at its level (事权): that office accepts it, dispatches it with
"五到位" to a handling unit, escalates it or rejects it; the unit's liaisons work it; the project
unit confirms the result before the office closes it (清单式管理、销号式办结). Every step goes
through :mod:`issues.services` and leaves an :class:`IssueEvent` that can never be changed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region, Unit
from accounts.scope import AssignmentScopedQuerySet, ScopedQuerySet
from core.models import ImmutableModel, ImmutableQuerySet, WorkflowEvent


class Category(models.TextChoices):
    LAND_SEA = "land_sea", _("用地用海")
    FORESTRY = "forestry", _("用林")
    EIA = "eia", _("环评")
    ENERGY = "energy", _("能评")
    SOIL_WATER = "soil_water", _("水土保持")
    PLANNING = "planning", _("规划")
    FUNDING = "funding", _("资金")
    FINANCING = "financing", _("融资")
    UTILITIES = "utilities", _("水电气配套")
    RELOCATION = "relocation", _("征地拆迁")
    PROCEDURES = "procedures", _("手续办理")
    OTHER = "other", _("其他")


class Source(models.TextChoices):
    COUNTY = "county", _("县区上报")
    ENTERPRISE = "enterprise", _("企业反映")
    HOTLINE_12345 = "hotline_12345", _("12345热线")
    FIELD_SERVICE = "field_service", _("协调服务组")
    MEETING = "meeting", _("会议交办")


class Level(models.TextChoices):
    """事权层级, lowest first. ``government`` is the provincial government (更高层面协调),
    reached through the province office, which keeps acting for it."""

    COUNTY = "county", _("县级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    GOVERNMENT = "government", _("省政府")

    @classmethod
    def above(cls, level: str) -> "Level | None":
        order = list(cls)
        index = order.index(cls(level))
        return order[index + 1] if index + 1 < len(order) else None

    @classmethod
    def of_region(cls, region: Region) -> "Level":
        return cls(region.level)


class Status(models.TextChoices):
    """The ticket's state. Allowed moves (the table is ``services.TRANSITIONS``):

    reported → accepted (accept) | rejected (reject) | reported one level up (escalate)
    accepted → assigned (assign, 五到位) | rejected | escalated
    assigned → in_progress (start) | escalated
    in_progress → in_progress (note) | resolved (resolve) | escalated
    resolved → confirmed (confirm) | in_progress (return)
    confirmed → closed (close)
    """

    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    CONFIRMED = "confirmed", _("企业满意")
    CLOSED = "closed", _("已销号")
    REJECTED = "rejected", _("不予受理")


#: statuses in which a handling unit is working against a deadline
HANDLING_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
#: statuses of a ticket whose task is not done (一通报、两约谈 keep counting): waiting to be
#: accepted or dispatched (also after an escalation), or being handled
UNDONE_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS)
#: statuses that are finished: nothing more happens to the ticket
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED)
#: statuses of a ticket still on the close-out list (清单)
OPEN_STATUSES = tuple(s for s in Status if s not in FINAL_STATUSES)


class IssueQuerySet(AssignmentScopedQuerySet):
    scope_region_path = "region"
    scope_unit_path = "project__unit"

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status__in=HANDLING_STATUSES, deadline__lt=today)

    def with_related(self):
        return self.select_related(
            "project", "project__unit", "region", "unit", "milestone", "reported_by"
        )


class Issue(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        help_text=_("热线推送的问题可能暂未匹配到项目，由重大办甄别。"),
    )
    milestone = models.ForeignKey(
        "schedule.Milestone",
        verbose_name=_("关键节点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="issues"
    )
    title = models.CharField(_("问题标题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    category = models.CharField(_("问题类别"), max_length=16, choices=Category.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    external_id = models.CharField(
        _("来源系统编号"), max_length=64, blank=True, help_text=_("如12345工单号，同一来源内唯一。")
    )
    project_hint = models.CharField(
        _("上报的项目名称或代码"), max_length=200, blank=True, help_text=_("来源系统提供的原文。")
    )
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("反映人电话"), max_length=30, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    level = models.CharField(_("事权层级"), max_length=12, choices=Level.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    # 五到位: responsible unit, leader, person, solution, deadline
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    responsible_leader = models.CharField(_("责任领导"), max_length=50, blank=True)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    solution = models.TextField(_("解决方案"), blank=True)
    deadline = models.DateField(_("办结时限"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)

    overdue_since = models.DateField(
        _("逾期起始日"), null=True, blank=True, help_text=_("由每日巡检标记；办结或上提后清除。")
    )
    reminded_for = models.DateField(
        _("已提醒的时限"), null=True, blank=True, help_text=_("到期提醒针对的办结时限。")
    )
    accept_overdue_since = models.DateField(
        _("受理超时起始日"),
        null=True,
        blank=True,
        help_text=_(
            "上报或上提后超过受理时限仍未受理，由每日巡检标记；受理、上提或不予受理后清除。"
        ),
    )

    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不予受理时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("最近上提时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("困难问题")
        verbose_name_plural = _("困难问题")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="issue_unique_external_id_per_source",
            ),
            # 五到位: a ticket past dispatch always names all five
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "in_progress", "resolved"])
                | (
                    Q(unit__isnull=False, deadline__isnull=False)
                    & ~Q(responsible_leader="")
                    & ~Q(responsible_person="")
                    & ~Q(solution="")
                ),
                name="issue_assigned_has_five",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="issue_status_deadline"),
            models.Index(fields=["unit", "status"], name="issue_unit_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("issues:detail", args=[self.pk])

    @property
    def unmatched(self) -> bool:
        """Pushed from another system for a project the library does not know (yet)."""
        return self.project_id is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def accept_late(self) -> bool:
        """Marked by the sweep as not accepted within its level's time limit (受理超时)."""
        return self.status == Status.REPORTED and self.accept_overdue_since is not None

    @property
    def waiting_since(self):
        """When the ticket reached its current level (reported, or escalated to it)."""
        return self.escalated_at or self.reported_at

    def accept_due_on(self, calendar):
        """The last day the office at the ticket's level has for accepting it (即时响应):
        ISSUE_ACCEPT_WORKDAYS working days after it reached the level; None for a level
        without a limit. ``calendar`` is a :class:`schedule.workdays.WorkdayCalendar`."""
        days = settings.ISSUE_ACCEPT_WORKDAYS.get(self.level)
        if days is None:
            return None
        return calendar.add_workdays(timezone.localdate(self.waiting_since), days)

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status in HANDLING_STATUSES and self.deadline is not None and self.deadline < today
        )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.reporter_phone)

    def level_region_code(self) -> str:
        """The region whose office owns this ticket at its level (the province for both
        ``province`` and ``government``)."""
        wanted = {Level.GOVERNMENT: Region.Level.PROVINCE}.get(self.level, self.level)
        region = self.region
        while region is not None and region.level != wanted:
            region = region.parent
        return region.code if region is not None else ""


def mask_phone(phone: str) -> str:
    """138****5678: enough for a person to recognise a number, not enough to call it."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


class EventKind(models.TextChoices):
    REPORT = "report", _("上报")
    ACCEPT = "accept", _("受理")
    ASSIGN = "assign", _("交办")
    START = "start", _("开始办理")
    NOTE = "note", _("进展反馈")
    RESOLVE = "resolve", _("办结")
    CONFIRM = "confirm", _("确认满意")
    CLOSE = "close", _("销号")
    RETURN = "return", _("退回重办")
    ESCALATE = "escalate", _("上提")
    REJECT = "reject", _("不予受理")
    REMIND = "remind", _("到期提醒")
    OVERDUE = "overdue", _("逾期")
    ACCEPT_OVERDUE = "accept_overdue", _("受理超时")
    NOTICE = "notice", _("通报")
    DECISION = "decision", _("会商意见")
    MATCH = "match", _("匹配项目")


class IssueEventQuerySet(ImmutableQuerySet):
    pass


class IssueEvent(WorkflowEvent):
    """One step on an issue's timeline. ``actor`` is empty for the platform's own jobs."""

    from_field = "from_status"
    to_field = "to_status"

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("事项"), max_length=16, choices=EventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices, blank=True)
    from_level = models.CharField(_("原层级"), max_length=12, choices=Level.choices, blank=True)
    to_level = models.CharField(_("新层级"), max_length=12, choices=Level.choices, blank=True)
    meeting = models.ForeignKey(
        "Meeting",
        verbose_name=_("会议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = IssueEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("问题办理记录")
        verbose_name_plural = _("问题办理记录")

    def __str__(self) -> str:
        return f"{self.issue_id} {self.get_kind_display()}"


class NoticeQuerySet(ImmutableQuerySet, AssignmentScopedQuerySet):
    scope_region_path = "issue__region"
    scope_unit_path = None


class Notice(ImmutableModel):
    """通报: a ticket not done by its deadline recorded against its handling unit (seed 003
    "一通报"). The first comes the day after the deadline; while the task stays undone another
    follows every ISSUE_RENOTICE_WORKDAYS working days, whatever its level (an escalation does
    not start the count again). ``sequence`` numbers a ticket's notices 1, 2, 3 …"""

    issue = models.ForeignKey(
        Issue, verbose_name=_("问题"), on_delete=models.PROTECT, related_name="notices"
    )
    sequence = models.PositiveSmallIntegerField(
        _("第几次通报"), default=1, help_text=_("同一问题的通报依次编号，上提后接着计数。")
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("被通报单位"), on_delete=models.PROTECT, related_name="notices"
    )
    overdue_since = models.DateField(_("逾期起始日"))
    issued_on = models.DateField(_("通报日期"))
    deadline = models.DateField(_("办结时限"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        constraints = [
            models.UniqueConstraint(fields=["issue", "sequence"], name="notice_sequence_once"),
        ]
        indexes = [models.Index(fields=["unit", "issued_on"], name="notice_unit_issued")]

    def __str__(self) -> str:
        return f"{self.unit} · {self.issue}"


class InterviewQuerySet(ImmutableQuerySet, AssignmentScopedQuerySet):
    scope_region_path = "unit__region"
    scope_unit_path = None


class Interview(ImmutableModel):
    """约谈 (seed 003 "两约谈"), by one of two rules (settings, README "困难问题"):

    - per task (``task``): a ticket notified the second time → its handling unit is
      interviewed by the deputy leader, the third time → by the principal leader; once each
      per ticket (``issue`` is set);
    - per unit (``unit_window``): a unit notified about 2 (3) different tickets within
      ISSUE_NOTICE_WINDOW_DAYS → deputy (principal) leader's interview, once per window.
    """

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("分管领导约谈")
        PRINCIPAL = "principal", _("主要领导约谈")

    class Rule(models.TextChoices):
        TASK = "task", _("同一任务多次通报未完成")
        UNIT_WINDOW = "unit_window", _("单位一定时期内多次被通报")

    unit = models.ForeignKey(
        Unit, verbose_name=_("被约谈单位"), on_delete=models.PROTECT, related_name="interviews"
    )
    kind = models.CharField(_("约谈类型"), max_length=12, choices=Kind.choices)
    rule = models.CharField(
        _("约谈依据"), max_length=12, choices=Rule.choices, default=Rule.UNIT_WINDOW
    )
    issue = models.ForeignKey(
        Issue,
        verbose_name=_("所涉问题"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
        help_text=_("按同一任务通报次数约谈时的问题。"),
    )
    triggered_on = models.DateField(_("触发日期"))
    notice_count = models.PositiveSmallIntegerField(_("通报次数"))
    notices = models.ManyToManyField(Notice, verbose_name=_("所涉通报"), related_name="interviews")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = InterviewQuerySet.as_manager()

    class Meta:
        ordering = ["-triggered_on", "-pk"]
        verbose_name = _("约谈")
        verbose_name_plural = _("约谈")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind"],
                condition=Q(issue__isnull=False),
                name="interview_once_per_task_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(rule="task", issue__isnull=False)
                | Q(rule="unit_window", issue__isnull=True),
                name="interview_task_rule_names_its_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_kind_display()}"


class MeetingQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_unit_path = None


class Meeting(models.Model):
    """A weekly coordination meeting (碰头会) held by an office for its region."""

    date = models.DateField(_("会议日期"))
    title = models.CharField(_("会议名称"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("范围"), on_delete=models.PROTECT, related_name="meetings"
    )
    attending_units = models.ManyToManyField(
        Unit, verbose_name=_("参会单位"), blank=True, related_name="meetings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[attending_units])
    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("碰头会")
        verbose_name_plural = _("碰头会")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("issues:meeting-detail", args=[self.pk])


class AgendaItem(models.Model):
    """One project on the agenda: heard one by one (逐个过堂) or within its city's batch
    (逐批过堂). The open issues at the time the agenda was built are linked; a decision
    (会商意见) recorded here becomes an event on each of them."""

    class Mode(models.TextChoices):
        ONE_BY_ONE = "one_by_one", _("逐个过堂")
        BATCH = "batch", _("逐批过堂")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(_("顺序"))
    mode = models.CharField(_("过堂方式"), max_length=12, choices=Mode.choices)
    batch_region = models.ForeignKey(
        Region,
        verbose_name=_("批次（设区市）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+"
    )
    issues = models.ManyToManyField(Issue, verbose_name=_("问题"), blank=True, related_name="+")
    decision = models.TextField(_("会商意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[issues])

    class Meta:
        ordering = ["meeting", "position"]
        verbose_name = _("议程项")
        verbose_name_plural = _("议程项")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "project"], name="agenda_project_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.position}"
