"""The project library (项目库, SPEC §3); its choices and size rules are in
:mod:`projects.choices`."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Left
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region, Unit
from accounts.scope import ScopedQuerySet
from core.models import WorkflowEvent

from .choices import (
    STAGE_DATE_FIELDS,
    Admission,
    Category,
    ConstructionKind,
    LeaderLevel,
    Stage,
    SubLibrary,
    Tier,
    investment_bracket,
    required_leader_level,
)
from .codes import normalize_project_code, validate_project_code


class Tag(models.Model):
    """A free label for 标签化管理 (e.g. 专精特新, 外资, 链主)."""

    name = models.CharField(_("名称"), max_length=30, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name


#: the library's order, everywhere it is listed: the largest investment first (the page's
#: sortable column is declared NOT NULL too, so it asks for the same order and index)
LIBRARY_ORDER = ("-total_investment", "id")
REGION_CODE_LENGTH = 6


def _ordered_index(name: str, *leading, include: tuple[str, ...] = ()) -> models.Index:
    """A btree in the library's order after ``leading`` equality keys, with the columns the
    list filters on by default included, so a page's ids come from an index-only scan."""
    order = (F("total_investment").desc(), F("id").asc())
    return models.Index(*leading, *order, name=name, include=[*include, "admission"])


class ProjectQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_unit_path = "unit"

    def in_region(self, prefix: str) -> "ProjectQuerySet":
        """The scope's prefix match written as an equality — on the first 2 or 4 digits of the
        region code, or the whole code — so one of the ``project_order_*`` indexes yields the
        scope's rows already in the library's order (``LIKE '3202%'`` is a range, which an
        index can only return sorted by region)."""
        if len(prefix) >= REGION_CODE_LENGTH:
            return self.filter(region_id=prefix)
        return self.alias(region_prefix=Left("region_id", len(prefix))).filter(region_prefix=prefix)

    def narrow(self, queryset, user) -> "ProjectQuerySet":
        if user.sees_only_assignments:
            return queryset.concerning(user.unit_id)
        return queryset

    def concerning(self, unit_id: int | None) -> "ProjectQuerySet":
        """Projects a department works on: it is their responsible unit, or it handles one of
        their issues, approvals or milestones, or sits on their pre-review — or it was notified
        (通报) over one of their issues, which stays on its record when the issue moves on."""
        if unit_id is None:
            return self.none()
        from django.apps import apps

        def part(app: str, model: str, path: str = "project", **lookup):
            rows = apps.get_model(app, model).objects.filter(**{path: OuterRef("pk")}, **lookup)
            return Exists(rows)

        return self.filter(
            Q(responsible_unit_id=unit_id)
            | part("issues", "Issue", unit_id=unit_id)
            | part("issues", "Notice", path="issue__project", unit_id=unit_id)
            | part("approvals", "Approval", unit_id=unit_id)
            | part("schedule", "Milestone", responsible_unit_id=unit_id)
            | part("projects", "PreReview", departments=unit_id)
        )

    def with_related(self) -> "ProjectQuerySet":
        """Everything a list row or an API item shows, in a fixed number of queries."""
        return self.select_related(
            "region", "unit", "responsible_unit", "schedule"
        ).prefetch_related("tags")

    def admitted(self) -> "ProjectQuerySet":
        return self.filter(admission=Admission.ADMITTED)


class Project(models.Model):
    """A major project: one row of the library, the subject of "一项一档"."""

    code = models.CharField(
        _("项目代码"),
        max_length=24,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_project_code],
        help_text=_("全国投资项目在线审批监管平台赋予的24位代码；储备项目可暂缺。"),
    )
    name = models.CharField(_("项目名称"), max_length=200)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("项目单位"),
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind": Unit.Kind.ENTERPRISE},
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="projects"
    )
    content = models.TextField(_("建设内容"), blank=True)
    sector = models.CharField(_("行业领域"), max_length=50, blank=True)
    category = models.CharField(_("项目类别"), max_length=16, choices=Category.choices)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="projects")

    tier = models.CharField(_("项目层级"), max_length=32, choices=Tier.choices)
    two_major = models.BooleanField(_("“两重”项目"), default=False)
    #: follows the funding records (a 超长期特别国债 record with money allocated), unless an
    #: office has decided otherwise (``treasury_bond_override``, with its reason)
    treasury_bond = models.BooleanField(
        _("超长期特别国债支持"),
        default=False,
        editable=False,
        help_text=_("由资金记录推出：有超长期特别国债下达金额的项目；人工认定时从其认定。"),
    )
    treasury_bond_override = models.BooleanField(
        _("超长期特别国债（人工认定）"),
        null=True,
        blank=True,
        help_text=_("留空则按资金记录；认定为是或否时须写明理由。"),
    )
    treasury_bond_reason = models.CharField(_("人工认定理由"), max_length=200, blank=True)
    sub_library = models.CharField(
        _("子库"), max_length=10, choices=SubLibrary.choices, default=SubLibrary.RESERVE
    )
    construction_kind = models.CharField(
        _("建设性质"), max_length=12, choices=ConstructionKind.choices, blank=True
    )
    admission = models.CharField(
        _("入库状态"), max_length=10, choices=Admission.choices, default=Admission.ADMITTED
    )

    stage = models.CharField(
        _("当前阶段"), max_length=12, choices=Stage.choices, default=Stage.PLANNING
    )
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    filed_on = models.DateField(_("备案/赋码日期"), null=True, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    completed_on = models.DateField(_("竣工日期"), null=True, blank=True)
    producing_on = models.DateField(_("投产日期"), null=True, blank=True)
    at_capacity_on = models.DateField(_("达效日期"), null=True, blank=True)

    total_investment = models.DecimalField(_("总投资（万元）"), max_digits=14, decimal_places=2)
    planned_investment_year = models.DecimalField(
        _("年度计划投资（万元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    completed_investment_total = models.DecimalField(
        _("累计完成投资（万元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    completed_investment_year = models.DecimalField(
        _("本年完成投资（万元）"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    planned_start = models.DateField(_("计划开工日期"), null=True, blank=True)
    planned_completion = models.DateField(_("计划竣工日期"), null=True, blank=True)

    responsible_unit = models.ForeignKey(
        Unit,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_for",
    )
    responsible_leader = models.CharField(_("包联领导"), max_length=50, blank=True)
    responsible_leader_level = models.PositiveSmallIntegerField(
        _("包联领导层级"), choices=LeaderLevel.choices, null=True, blank=True
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(
        m2m_fields=[tags],
        excluded_fields=["updated_at"],
        verbose_name=_("项目变更记录"),
    )
    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = list(LIBRARY_ORDER)
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        indexes = [
            models.Index(fields=["tier", "stage"]),
            models.Index(fields=["planned_start"]),
            # one per kind of scope (see ProjectQuerySet.in_region): everything, a province
            # (first 2 digits), a city (4), a county (the code), a project unit's contact
            _ordered_index("project_order_all", include=("region_id",)),
            _ordered_index("project_order_province", Left("region_id", 2), include=("region_id",)),
            _ordered_index("project_order_city", Left("region_id", 4), include=("region_id",)),
            _ordered_index("project_order_county", "region_id"),
            _ordered_index("project_order_unit", "unit_id", include=("region_id",)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_investment__gte=0)
                & models.Q(planned_investment_year__gte=0)
                & models.Q(completed_investment_total__gte=0)
                & models.Q(completed_investment_year__gte=0),
                name="project_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def clean(self) -> None:
        # One spelling per code: pasted full-width digits and dashes become ASCII, blank is None.
        self.code = normalize_project_code(self.code) or None if self.code else None

    @property
    def investment_bracket(self) -> str:
        return investment_bracket(self.total_investment)

    @property
    def required_leader_level(self) -> LeaderLevel | None:
        return required_leader_level(self.total_investment)

    @property
    def leader_warning(self) -> str:
        """Empty when the responsible leader's level meets the Huai'an rule, else why not."""
        required = self.required_leader_level
        if required is None:
            return ""
        if not self.responsible_leader or self.responsible_leader_level is None:
            return str(_("总投资%(bracket)s，应由%(level)s包联，尚未明确包联领导。")) % {
                "bracket": self.investment_bracket,
                "level": required.label,
            }
        if self.responsible_leader_level < required:
            return str(_("总投资%(bracket)s，应由%(level)s包联，现为%(current)s。")) % {
                "bracket": self.investment_bracket,
                "level": required.label,
                "current": LeaderLevel(self.responsible_leader_level).label,
            }
        return ""

    @property
    def at_risk(self) -> bool:
        """Whether the milestones as they stand can no longer make the planned start."""
        schedule = getattr(self, "schedule", None)  # none until it has milestones
        return bool(schedule and schedule.at_risk)

    def stage_date(self, stage: str):
        field = STAGE_DATE_FIELDS.get(stage)
        return getattr(self, field) if field else None


class ProjectPartQuerySet(ScopedQuerySet):
    """Rows that belong to a project are seen exactly when their project is: by region and
    project unit through the project, and for a department liaison only when their unit works
    on it (``ProjectQuerySet.concerning``).

    ``scope_project_path`` is the lookup path from the row to its project ("need__project" for
    the matches of a financing need); the region and unit paths follow from it unless a
    subclass names them itself."""

    scope_project_path = "project"
    scope_region_path = "project__region"
    scope_unit_path = "project__unit"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "scope_region_path" not in cls.__dict__:
            cls.scope_region_path = f"{cls.scope_project_path}__region"
        if "scope_unit_path" not in cls.__dict__:
            cls.scope_unit_path = f"{cls.scope_project_path}__unit"

    def narrow(self, queryset, user):
        if user.sees_only_assignments:
            projects = Project.objects.for_user(user).values("pk")
            return queryset.filter(**{f"{self.scope_project_path}__in": projects})
        return queryset


class ElementNeed(models.Model):
    """A factor of production the project needs (要素需求) — needed vs secured."""

    class Kind(models.TextChoices):
        LAND = "land", _("用地（亩）")
        ENERGY = "energy", _("能耗（吨标准煤）")
        ENVIRONMENT = "environment", _("环境容量（吨/年）")
        WATER = "water", _("用水（万立方米/年）")
        POWER = "power", _("用电（千伏安）")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="element_needs"
    )
    kind = models.CharField(_("要素"), max_length=12, choices=Kind.choices)
    needed = models.DecimalField(_("需求量"), max_digits=14, decimal_places=2)
    secured = models.DecimalField(
        _("已保障"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "kind"]
        verbose_name = _("要素需求")
        verbose_name_plural = _("要素需求")
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="element_need_once_per_kind"),
            models.CheckConstraint(
                condition=models.Q(needed__gte=0) & models.Q(secured__gte=0),
                name="element_need_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.needed}"

    @property
    def gap(self) -> Decimal:
        return max(self.needed - self.secured, Decimal("0"))


class StageChangeQuerySet(ProjectPartQuerySet):
    def update(self, **kwargs):
        raise TypeError("StageChange rows cannot be changed")

    def delete(self):
        raise TypeError("StageChange rows cannot be deleted")


class StageChange(WorkflowEvent):
    """An immutable record of a stage change; a correction carries its reason (the
    comment)."""

    kind_field = None
    from_field = "from_stage"
    to_field = "to_stage"

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="stage_changes"
    )
    from_stage = models.CharField(_("原阶段"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=12, choices=Stage.choices)
    date = models.DateField(_("发生日期"), null=True, blank=True)
    is_correction = models.BooleanField(_("更正"), default=False)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "at", "id"]
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"

    @property
    def by(self):
        return self.actor

    @property
    def reason(self) -> str:
        return self.comment


class PreReview(models.Model):
    """Admission pre-review (会商预审) of a signed project by the listed departments."""

    class Result(models.TextChoices):
        PENDING = "pending", _("会商中")
        PASSED = "passed", _("通过")
        FAILED = "failed", _("不通过")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="prereviews"
    )
    held_on = models.DateField(_("会商日期"))
    result = models.CharField(
        _("结论"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    concluded_at = models.DateTimeField(_("结论时间"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结论人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("会商意见汇总"), blank=True)
    departments = models.ManyToManyField(
        Unit, verbose_name=_("参加会商部门"), related_name="prereviews_invited"
    )

    history = HistoricalRecords(m2m_fields=[departments])
    objects = ProjectPartQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "-held_on", "-id"]
        verbose_name = _("会商预审")
        verbose_name_plural = _("会商预审")

    def __str__(self) -> str:
        return f"{self.held_on} {self.get_result_display()}"


class Assessment(models.TextChoices):
    """How a project stands against one criterion of the pre-review."""

    MEETS = "meets", _("符合")
    FAILS = "fails", _("不符合")
    NOT_APPLICABLE = "na", _("不涉及")


#: the pre-review's criteria — seed 001's 生态环保、安全生产、产业政策, with 用地 and 能耗, the
#: departments' usual questions: field name → label
PREREVIEW_CRITERIA = {
    "environment": _("生态环保"),
    "safety": _("安全生产"),
    "industrial_policy": _("产业政策"),
    "land": _("用地"),
    "energy": _("能耗"),
}


def _criterion(label):
    return models.CharField(label, max_length=8, choices=Assessment.choices, blank=True)


class PreReviewOpinion(models.Model):
    """One department's opinion in a pre-review, with its assessment against each criterion
    it judged (blank: not judged by this department)."""

    class Verdict(models.TextChoices):
        AGREE = "agree", _("同意")
        CONDITIONAL = "conditional", _("有条件同意")
        DISAGREE = "disagree", _("不同意")

    environment = _criterion(PREREVIEW_CRITERIA["environment"])
    safety = _criterion(PREREVIEW_CRITERIA["safety"])
    industrial_policy = _criterion(PREREVIEW_CRITERIA["industrial_policy"])
    land = _criterion(PREREVIEW_CRITERIA["land"])
    energy = _criterion(PREREVIEW_CRITERIA["energy"])

    prereview = models.ForeignKey(
        PreReview, verbose_name=_("会商预审"), on_delete=models.CASCADE, related_name="opinions"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(_("意见"), max_length=12, choices=Verdict.choices)
    comment = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["prereview_id", "unit_id"]
        verbose_name = _("部门预审意见")
        verbose_name_plural = _("部门预审意见")
        constraints = [
            models.UniqueConstraint(fields=["prereview", "unit"], name="one_opinion_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit}：{self.get_verdict_display()}"

    @property
    def assessments(self) -> list[tuple[str, str]]:
        """The criteria this opinion judged, as (criterion, assessment) labels."""
        return [
            (str(label), str(Assessment(getattr(self, name)).label))
            for name, label in PREREVIEW_CRITERIA.items()
            if getattr(self, name)
        ]


class LibraryRollover(models.Model):
    """A region's yearly rollover of its project library (``projects.library``): proposed at
    the turn of the year (or by the ``library_rollover`` command) with the moves the rule
    gives, applied when the region's office confirms what the preview showed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        APPLIED = "applied", _("已滚动")

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_moves = models.PositiveIntegerField(_("预览时需调整的项目数"), default=0)
    proposed_at = models.DateTimeField(_("预览时间"), auto_now_add=True)
    moved = models.PositiveIntegerField(_("已调整的项目数"), null=True, blank=True)
    applied_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-year", "region_id"]
        verbose_name = _("年度项目库滚动")
        verbose_name_plural = _("年度项目库滚动")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="one_rollover_per_region_year")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"
