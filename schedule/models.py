"""Working-day calendar overrides, schedule templates and key milestones (SPEC §4)."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Unit
from projects.models import Category, Project, ProjectPartQuerySet

from .workdays import FIRST_DAY, LAST_DAY


def validate_calendar_day(value) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            _("工作日历只覆盖%(first)s年至%(last)s年。"),
            params={"first": FIRST_DAY.year, "last": LAST_DAY.year},
            code="calendar_range",
        )


def validate_calendar_year(value) -> None:
    validate_calendar_day(datetime.date(value, 1, 1))


# --- the calendar --------------------------------------------------------------------------


class CalendarDay(models.Model):
    """A day whose status differs from, or is missing in, the ``chinese-calendar`` package.

    Holidays and 调休 working weekends of a year the package does not know yet are entered here
    from the State Council's arrangement; an entry always wins over the package.
    """

    date = models.DateField(_("日期"), unique=True, validators=[validate_calendar_day])
    is_workday = models.BooleanField(
        _("工作日"), help_text=_("勾选表示当天上班（含调休上班的周末）；不勾选表示放假。")
    )
    note = models.CharField(
        _("说明"), max_length=100, blank=True, help_text=_("如：春节、调休上班。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")

    def __str__(self) -> str:
        state = _("上班") if self.is_workday else _("放假")
        return f"{self.date:%Y-%m-%d} {state} {self.note}".strip()


class CalendarYear(models.Model):
    """A year whose holiday arrangement has been entered in full: it is no longer provisional."""

    year = models.PositiveSmallIntegerField(
        _("年份"), unique=True, validators=[validate_calendar_year]
    )
    complete = models.BooleanField(
        _("已完整录入"),
        default=True,
        help_text=_("该年全部节假日和调休上班日期均已录入后勾选；未勾选的年份按仅周末休息暂算。"),
    )
    source = models.CharField(
        _("依据"),
        max_length=200,
        blank=True,
        help_text=_("如：国务院办公厅关于某年部分节假日安排的通知。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["year"]
        verbose_name = _("节假日安排年份")
        verbose_name_plural = _("节假日安排年份")

    def __str__(self) -> str:
        return str(self.year)


# --- templates -----------------------------------------------------------------------------


class MilestoneKind(models.TextChoices):
    """Kinds of key milestone before construction starts (SPEC §4)."""

    PROJECT_PROPOSAL = "proposal", _("项目建议书/可研")
    APPROVAL_FILING = "approval_filing", _("立项/备案")
    LAND_PRE_REVIEW = "land_pre_review", _("用地预审与选址")
    LAND_SUPPLY = "land_supply", _("用地报批/土地供应")
    RELOCATION = "relocation", _("征地拆迁")
    PLANNING_PERMIT = "planning_permit", _("规划许可")
    EIA = "eia", _("环评批复")
    ENERGY = "energy", _("能评/节能审查")
    FORESTRY = "forestry", _("林地审核")
    SOIL_WATER = "soil_water", _("水保批复")
    STABILITY = "stability", _("社会稳定风险评估")
    DESIGN = "design", _("初步设计/方案设计")
    DRAWING_REVIEW = "drawing_review", _("施工图审查")
    TENDERING = "tendering", _("招标采购")
    FUNDING = "funding", _("资金落实")
    UTILITIES = "utilities", _("水电气接入")
    CONSTRUCTION_PERMIT = "construction_permit", _("施工许可")
    CONSTRUCTION_START = "construction_start", _("开工")
    OTHER = "other", _("其他")


ANCHOR_KIND = MilestoneKind.CONSTRUCTION_START


class Handler(models.TextChoices):
    """The kind of unit that usually handles a milestone (its 责任单位 type)."""

    PROJECT_UNIT = "project_unit", _("项目单位")
    DEVELOPMENT_REFORM = "development_reform", _("发展改革部门")
    NATURAL_RESOURCES = "natural_resources", _("自然资源部门")
    ECOLOGY_ENVIRONMENT = "ecology_environment", _("生态环境部门")
    FORESTRY = "forestry", _("林业部门")
    WATER = "water", _("水利部门")
    HOUSING = "housing", _("住房城乡建设部门")
    LOCAL_GOVERNMENT = "local_government", _("属地政府")
    OTHER = "other", _("其他")


class ScheduleTemplate(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    category = models.CharField(
        _("适用项目类别"), max_length=16, choices=Category.choices, blank=True
    )
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("节点模板")
        verbose_name_plural = _("节点模板")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schedule:template", args=[self.pk])


class TemplateStep(models.Model):
    template = models.ForeignKey(
        ScheduleTemplate, verbose_name=_("模板"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("节点类型"), max_length=24, choices=MilestoneKind.choices)
    name = models.CharField(_("节点名称"), max_length=100)
    duration_days = models.PositiveSmallIntegerField(_("工期（工作日）"))
    handler = models.CharField(_("通常办理单位"), max_length=24, choices=Handler.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["template_id", "position"]
        verbose_name = _("模板节点")
        verbose_name_plural = _("模板节点")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"], name="template_step_unique_position"
            ),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(kind=ANCHOR_KIND),
                name="template_one_construction_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TemplateLink(models.Model):
    successor = models.ForeignKey(
        TemplateStep, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    predecessor = models.ForeignKey(
        TemplateStep, on_delete=models.CASCADE, related_name="successor_links"
    )
    lag_days = models.PositiveSmallIntegerField(_("滞后（工作日）"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["successor_id", "predecessor__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["successor", "predecessor"], name="template_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(successor=F("predecessor")), name="template_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id} (+{self.lag_days})"


# --- milestones ----------------------------------------------------------------------------


class MilestoneStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("办理中")
    DONE = "done", _("已完成")


class MilestoneQuerySet(ProjectPartQuerySet):
    pass


class Milestone(models.Model):
    """One key milestone of one project; the construction start (开工) is the anchor."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="milestones"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    kind = models.CharField(_("节点类型"), max_length=24, choices=MilestoneKind.choices)
    name = models.CharField(_("节点名称"), max_length=100)
    duration_days = models.PositiveSmallIntegerField(_("工期（工作日）"))
    handler = models.CharField(
        _("办理单位类型"), max_length=24, choices=Handler.choices, blank=True
    )
    responsible_unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestones",
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.NOT_STARTED,
    )
    actual_start = models.DateField(_("实际开始"), null=True, blank=True)
    actual_finish = models.DateField(_("实际完成"), null=True, blank=True)

    # The four questions of seed 000, measure 1.
    problem = models.TextField(_("存在什么问题"), blank=True)
    bottleneck = models.TextField(_("瓶颈堵点在哪里"), blank=True)
    solution_path = models.TextField(_("解决路径是什么"), blank=True)
    expected_resolution_on = models.DateField(_("预计何时解决"), null=True, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], verbose_name=_("节点变更记录"))
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "position", "id"]
        verbose_name = _("关键节点")
        verbose_name_plural = _("关键节点")
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(kind=ANCHOR_KIND),
                name="milestone_one_construction_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_finish__isnull=True)
                | Q(actual_finish__gte=F("actual_start")),
                name="milestone_finish_not_before_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=MilestoneStatus.NOT_STARTED)
                    & Q(actual_start__isnull=True)
                    & Q(actual_finish__isnull=True)
                )
                | (
                    Q(status=MilestoneStatus.IN_PROGRESS)
                    & Q(actual_start__isnull=False)
                    & Q(actual_finish__isnull=True)
                )
                | (Q(status=MilestoneStatus.DONE) & Q(actual_finish__isnull=False)),
                name="milestone_status_matches_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_anchor(self) -> bool:
        return self.kind == ANCHOR_KIND


class MilestoneLink(models.Model):
    """A finish-to-start link: ``successor`` starts after ``predecessor`` finishes, plus lag."""

    successor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    predecessor = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="successor_links"
    )
    lag_days = models.PositiveSmallIntegerField(_("滞后（工作日）"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["successor_id", "predecessor__position", "predecessor_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["successor", "predecessor"], name="milestone_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(successor=F("predecessor")), name="milestone_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id} (+{self.lag_days})"


class ProjectSchedule(models.Model):
    """The latest computed schedule summary of a project (refreshed on change and nightly)."""

    project = models.OneToOneField(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="schedule"
    )
    anchor_date = models.DateField(_("倒排基准（计划开工）"), null=True, blank=True)
    forecast_anchor_date = models.DateField(_("预计开工日期"), null=True, blank=True)
    at_risk = models.BooleanField(_("开工有风险"), default=False, db_index=True)
    min_float = models.IntegerField(
        _("最小机动时间（工作日）"),
        null=True,
        blank=True,
        help_text=_("未完成节点的最小总时差；为负表示开工已难以按期。"),
    )
    calendar_provisional = models.BooleanField(_("工作日历暂算"), default=False)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    computed_for = models.DateField(_("计算基准日"))
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目进度计算结果")
        verbose_name_plural = _("项目进度计算结果")

    def __str__(self) -> str:
        return str(self.project)
