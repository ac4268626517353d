"""Funding channels (SPEC §11; seed 000 measures 12–15, seed 002 (六)/(七)).

Quotas are what a region was given per channel and year; how much of them was allocated to
projects, issued and spent is never typed twice — it is the sum of the projects' funding
records. All money is in 万元 (Decimal).
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region
from accounts.scope import ScopedQuerySet
from core.models import WorkflowEvent
from projects.models import Project, ProjectPartQuerySet

#: special-bond money that may serve as project capital (资本金), seed 002: 25 %
SPECIAL_BOND_CAPITAL_SHARE = Decimal("0.25")
#: the channels with rules of their own: special bonds (the capital limit) and 超长期特别国债
#: (a project's support follows its records)
SPECIAL_BOND, TREASURY_BOND = "special_bond", "treasury_bond"
MONEY = {"max_digits": 14, "decimal_places": 2}


class FundingChannel(models.Model):
    """A channel of money, shipped by migration."""

    code = models.SlugField(_("代码"), max_length=30, primary_key=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    has_quota = models.BooleanField(_("按额度管理"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("资金渠道")
        verbose_name_plural = _("资金渠道")

    def __str__(self) -> str:
        return self.name


class QuotaQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_unit_path = None


class Quota(models.Model):
    """The amount a region was given in a channel for a year (e.g. the provincial special-bond
    quota of 1,565亿元, split over the cities)."""

    channel = models.ForeignKey(
        FundingChannel, verbose_name=_("资金渠道"), on_delete=models.PROTECT, related_name="quotas"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="quotas"
    )
    amount = models.DecimalField(_("额度（万元）"), **MONEY, validators=[MinValueValidator(0)])
    issuance_deadline = models.DateField(_("发行（下达）截止日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    over_reason = models.CharField(
        _("超出上级额度的理由"),
        max_length=200,
        blank=True,
        help_text=_("与同级已分解的额度合计超过上级地区额度时必填。"),
    )

    history = HistoricalRecords()
    objects = QuotaQuerySet.as_manager()

    class Meta:
        ordering = ["year", "channel__position", "region_id"]
        verbose_name = _("资金额度")
        verbose_name_plural = _("资金额度")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "year", "region"], name="quota_once_per_region"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.channel} {self.region}"


class ProjectFundingQuerySet(ProjectPartQuerySet):
    """A project's money is seen exactly when the project is."""


class FundingRecord(models.Model):
    """Money of one channel for one project in one year and batch: requested → allocated
    (下达) → issued (发行/拨付) → used (支出). ``capital_share`` is the part of it used as
    project capital (资本金)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="funding_records"
    )
    channel = models.ForeignKey(
        FundingChannel, verbose_name=_("资金渠道"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    batch = models.CharField(_("批次"), max_length=30, blank=True)
    requested = models.DecimalField(_("申请（万元）"), **MONEY, default=0)
    allocated = models.DecimalField(_("下达（万元）"), **MONEY, default=0)
    issued = models.DecimalField(_("发行/拨付（万元）"), **MONEY, default=0)
    used = models.DecimalField(_("支出（万元）"), **MONEY, default=0)
    capital_share = models.DecimalField(_("用作资本金（万元）"), **MONEY, default=0)
    allocated_on = models.DateField(_("下达日期"), null=True, blank=True)
    issued_on = models.DateField(_("发行/拨付日期"), null=True, blank=True)
    used_as_of = models.DateField(_("支出统计截至"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ProjectFundingQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "channel__position", "project_id", "batch"]
        verbose_name = _("资金记录")
        verbose_name_plural = _("资金记录")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "channel", "year", "batch"], name="funding_record_once"
            ),
            models.CheckConstraint(
                condition=Q(requested__gte=0, allocated__gte=0, issued__gte=0, used__gte=0)
                & Q(capital_share__gte=0),
                name="funding_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(used__lte=F("issued"), issued__lte=F("allocated")),
                name="funding_used_le_issued_le_allocated",
            ),
            models.CheckConstraint(
                condition=~Q(channel="special_bond")
                | Q(capital_share__lte=F("issued") * SPECIAL_BOND_CAPITAL_SHARE),
                name="funding_special_bond_capital_quarter",
            ),
            models.CheckConstraint(
                condition=Q(capital_share__lte=F("issued")), name="funding_capital_le_issued"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.channel} {self.year}{self.batch}"


class ReitsStage(models.TextChoices):
    """REITs pipeline, in order (measure 13): only forward, one step at a time."""

    RESERVE = "reserve", _("储备")
    LOCAL_SUBMISSION = "local_submission", _("地方申报")
    PROVINCIAL_REVIEW = "provincial_review", _("省级审核")
    REPORTED_NATIONAL = "reported_national", _("已报国家")
    REGISTERED = "registered", _("注册")
    LISTED = "listed", _("上市发行")

    @classmethod
    def order(cls, stage: str) -> int:
        return cls.values.index(stage)


class ReitsProject(models.Model):
    project = models.OneToOneField(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="reits"
    )
    stage = models.CharField(
        _("阶段"), max_length=20, choices=ReitsStage.choices, default=ReitsStage.RESERVE
    )
    asset = models.CharField(_("底层资产"), max_length=200, blank=True)
    planned_amount = models.DecimalField(_("拟发行规模（万元）"), **MONEY, default=0)
    reserve_on = models.DateField(_("纳入储备日期"), null=True, blank=True)
    local_submission_on = models.DateField(_("地方申报日期"), null=True, blank=True)
    provincial_review_on = models.DateField(_("省级审核日期"), null=True, blank=True)
    reported_national_on = models.DateField(_("报送国家日期"), null=True, blank=True)
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    listed_on = models.DateField(_("上市日期"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ProjectFundingQuerySet.as_manager()

    class Meta:
        ordering = ["project_id"]
        verbose_name = _("REITs项目")
        verbose_name_plural = _("REITs项目")
        constraints = [
            models.CheckConstraint(condition=Q(planned_amount__gte=0), name="reits_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_stage_display()}"

    def stage_date(self, stage: str):
        return getattr(self, f"{stage}_on")


class ReitsEvent(WorkflowEvent):
    kind_field = None
    from_field = "from_stage"
    to_field = "to_stage"

    reits = models.ForeignKey(
        ReitsProject, verbose_name=_("REITs项目"), on_delete=models.PROTECT, related_name="events"
    )
    from_stage = models.CharField(_("原阶段"), max_length=20, choices=ReitsStage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=20, choices=ReitsStage.choices)
    date = models.DateField(_("日期"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("REITs阶段记录")
        verbose_name_plural = _("REITs阶段记录")


class FinancialInstitution(models.Model):
    class Kind(models.TextChoices):
        POLICY_BANK = "policy_bank", _("政策性银行")
        COMMERCIAL_BANK = "commercial_bank", _("商业银行")
        OTHER = "other", _("其他金融机构")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("金融机构")
        verbose_name_plural = _("金融机构")

    def __str__(self) -> str:
        return self.name


class FinancingNeed(models.Model):
    class Kind(models.TextChoices):
        LOAN = "loan", _("固定资产贷款")
        CAPITAL = "capital", _("项目资本金")
        BOND = "bond", _("债券融资")
        LEASE = "lease", _("融资租赁")
        OTHER = "other", _("其他")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="financing_needs"
    )
    kind = models.CharField(_("融资类型"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("融资需求（万元）"), **MONEY)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ProjectFundingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("融资需求")
        verbose_name_plural = _("融资需求")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="financing_need_positive")
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.amount}万元"


class MatchState(models.TextChoices):
    PUSHED = "pushed", _("已推送")
    IN_TALKS = "in_talks", _("对接洽谈")
    CREDIT_GRANTED = "credit_granted", _("已授信")
    DISBURSED = "disbursed", _("已投放")

    @classmethod
    def order(cls, state: str) -> int:
        return cls.values.index(state)


class FinancingMatchQuerySet(ProjectPartQuerySet):
    """A match is seen exactly when the project of its financing need is."""

    scope_project_path = "need__project"


class FinancingMatch(models.Model):
    need = models.ForeignKey(
        FinancingNeed, verbose_name=_("融资需求"), on_delete=models.PROTECT, related_name="matches"
    )
    institution = models.ForeignKey(
        FinancialInstitution,
        verbose_name=_("金融机构"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    state = models.CharField(
        _("对接状态"), max_length=16, choices=MatchState.choices, default=MatchState.PUSHED
    )
    credit_amount = models.DecimalField(_("授信（万元）"), **MONEY, default=0)
    disbursed_amount = models.DecimalField(_("投放（万元）"), **MONEY, default=0)
    pushed_on = models.DateField(_("推送日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = FinancingMatchQuerySet.as_manager()

    class Meta:
        ordering = ["need_id", "institution__name"]
        verbose_name = _("融资对接")
        verbose_name_plural = _("融资对接")
        constraints = [
            models.UniqueConstraint(fields=["need", "institution"], name="financing_match_once"),
            models.CheckConstraint(
                condition=Q(credit_amount__gte=0, disbursed_amount__gte=0)
                & Q(disbursed_amount__lte=F("credit_amount")),
                name="financing_disbursed_le_credit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} · {self.institution}"


class MatchEvent(WorkflowEvent):
    """One step of a financing match (推送、洽谈、授信、投放), with the amounts it left."""

    kind_field = None
    from_field = "from_state"
    to_field = "to_state"

    match = models.ForeignKey(
        FinancingMatch, verbose_name=_("融资对接"), on_delete=models.PROTECT, related_name="events"
    )
    from_state = models.CharField(
        _("原状态"), max_length=16, choices=MatchState.choices, blank=True
    )
    to_state = models.CharField(_("新状态"), max_length=16, choices=MatchState.choices)
    credit_amount = models.DecimalField(_("授信（万元）"), **MONEY, default=0)
    disbursed_amount = models.DecimalField(_("投放（万元）"), **MONEY, default=0)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("融资对接记录")
        verbose_name_plural = _("融资对接记录")

    def __str__(self) -> str:
        return f"{self.match_id} {self.from_state}→{self.to_state}"
