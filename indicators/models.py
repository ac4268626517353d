"""Targets the offices set for the indicators of SPEC §9 (五率, 四率, new-start rate)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region
from accounts.scope import ScopedQuerySet


class Indicator(models.TextChoices):
    # Wuxi 五率 (seed 002)
    WX_FILING = "wx_filing", _("签约项目备案率")
    WX_START = "wx_start", _("备案项目开工率")
    WX_INVESTMENT = "wx_investment", _("开工项目投资完成率")
    WX_PRODUCTION = "wx_production", _("竣工项目投产率")
    WX_CAPACITY = "wx_capacity", _("最终产能达效率")
    # Huai'an 四率 (seed 004), over industrial projects
    HA_SIGNING = "ha_signing", _("签约率")
    HA_SIGNED = "ha_signed", _("新签约亿元以上工业项目数")
    HA_START = "ha_start", _("开工率")
    HA_SIGNED_STARTED = "ha_signed_started", _("当年签约项目开工数")
    HA_PRODUCTION = "ha_production", _("投产率")
    HA_CAPACITY = "ha_capacity", _("达效率")
    # projects planned to start this year
    NEW_START_RATE = "new_start_rate", _("计划新开工项目开工率")
    NEW_STARTS = "new_starts", _("新开工项目数")

    @classmethod
    def counts(cls) -> frozenset[str]:
        """The indicators that are counts of projects (their targets too), not rates."""
        return frozenset({cls.NEW_STARTS, cls.HA_SIGNED, cls.HA_SIGNED_STARTED})


class SubPeriod(models.TextChoices):
    """How much of the year a target or a figure covers, always from 1 January: the whole
    year (blank), the first quarter, the first half, the first three quarters, or up to the
    end of a month."""

    YEAR = "", _("全年")
    Q1 = "Q1", _("一季度")
    H1 = "H1", _("上半年")
    Q3 = "Q3", _("前三季度")
    M01 = "M01", _("1月末")
    M02 = "M02", _("2月末")
    M03 = "M03", _("3月末")
    M04 = "M04", _("4月末")
    M05 = "M05", _("5月末")
    M06 = "M06", _("6月末")
    M07 = "M07", _("7月末")
    M08 = "M08", _("8月末")
    M09 = "M09", _("9月末")
    M10 = "M10", _("10月末")
    M11 = "M11", _("11月末")
    M12 = "M12", _("12月末")


class GroupRule(models.TextChoices):
    """How a group's projects are found: by a rule over the project's own fields (the groups the
    seeds set targets for), or one by one (groups an office defines)."""

    PROVINCIAL_IMPLEMENTATION = "provincial_implementation", _("省重大实施项目")
    PROVINCIAL_RESERVE = "provincial_reserve", _("省重大储备项目")
    TWO_MAJOR = "two_major", _("“两重”项目")
    GOVERNMENT = "government", _("政府投资项目")
    INDUSTRIAL = "industrial", _("产业项目")
    MEMBERS = "members", _("自定义（逐个加入）")


class Basis(models.TextChoices):
    """What a rate counts (SPEC §9): the projects that reached the earlier stage within the
    window (this year's cohort), or every project in the library that had reached it by the
    window's end (the stock)."""

    COHORT = "cohort", _("当年批次")
    STOCK = "stock", _("全部存量")


class OfficeSettingQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_reference_data = True

    def narrow(self, queryset, user):
        """What an office set for its region (targets, cohort or stock, weights), and what the
        regions above it set, are open to everyone in it."""
        if user.region_id is None:
            return queryset
        return queryset | self.filter(region_id__in=user.region.lineage())


class OfficeSetting(models.Model):
    """A row an office keeps for its region: who set it and when."""

    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OfficeSettingQuerySet.as_manager()

    class Meta:
        abstract = True


class ProjectGroupQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_reference_data = True

    def for_user(self, user):
        """The shipped groups (no region) are open to everyone signed in; an office's own
        groups to everyone in its region, below it and above it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_everything:
            return self.all()
        if user.region_id is None:
            return self.filter(region__isnull=True)
        return self.filter(
            models.Q(region__isnull=True)
            | models.Q(region__code__startswith=user.scope_prefix)
            | models.Q(region_id__in=user.region.lineage())
        )


class ProjectGroup(models.Model):
    """A set of projects indicators and targets can be read and set for, besides a region:
    省重大实施/储备, 两重, 政府投资, 产业 (shipped, found by rule) and the groups offices define
    (projects added one by one)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    rule = models.CharField(_("归集方式"), max_length=30, choices=GroupRule.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("设定地区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_groups",
        help_text=_("为空者为平台预置分组"),
    )
    projects = models.ManyToManyField(
        "projects.Project", verbose_name=_("项目"), blank=True, related_name="indicator_groups"
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=100)
    note = models.CharField(_("口径说明"), max_length=200, blank=True)

    history = HistoricalRecords(m2m_fields=[projects])
    objects = ProjectGroupQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("项目分组")
        verbose_name_plural = _("项目分组")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False) | ~models.Q(rule="members"),
                name="office_group_has_region",
            )
        ]

    def __str__(self) -> str:
        return self.name


class IndicatorBasis(OfficeSetting):
    """An office's choice of cohort or stock for an indicator the seeds leave open; it holds
    for the region and every region below it that has not chosen otherwise."""

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="indicator_bases"
    )
    indicator = models.CharField(_("指标"), max_length=20, choices=Indicator.choices)
    basis = models.CharField(_("统计口径"), max_length=10, choices=Basis.choices)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["region_id", "indicator"]
        verbose_name = _("统计口径")
        verbose_name_plural = _("统计口径")
        constraints = [
            models.UniqueConstraint(fields=["region", "indicator"], name="one_basis_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.get_indicator_display()} {self.get_basis_display()}"


class Target(OfficeSetting):
    """What a region is to reach: a rate in percent, or a count (``new_starts``)."""

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="targets"
    )
    group = models.ForeignKey(
        ProjectGroup,
        verbose_name=_("项目分组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        help_text=_("为空者为本地区全部项目的目标"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=20, choices=Indicator.choices)
    sub_period = models.CharField(
        _("时段"), max_length=3, choices=SubPeriod.choices, default="", blank=True
    )
    value = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["region_id", "year", "indicator", "sub_period"]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "indicator", "sub_period"],
                condition=models.Q(group__isnull=True),
                name="one_target_per_period",
            ),
            models.UniqueConstraint(
                fields=["region", "group", "year", "indicator", "sub_period"],
                condition=models.Q(group__isnull=False),
                name="one_group_target_per_period",
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        group = f" {self.group}" if self.group_id else ""
        return f"{self.region}{group} {self.year}{self.sub_period} {self.get_indicator_display()}"


class EvaluationSubject(models.TextChoices):
    REGION = "region", _("地区")
    DEPARTMENT = "department", _("部门")


class EvaluationWeight(OfficeSetting):
    """The weight an office gives a criterion of its quarterly 点评 and yearly 考核
    (``indicators.evaluation``) for a year."""

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    subject = models.CharField(_("考核对象"), max_length=12, choices=EvaluationSubject.choices)
    criterion = models.CharField(_("考核项"), max_length=30)
    weight = models.PositiveSmallIntegerField(_("权重"))

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["region_id", "year", "subject", "criterion"]
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "subject", "criterion"], name="one_weight_per_criterion"
            ),
            models.CheckConstraint(condition=models.Q(weight__lte=100), name="weight_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year} {self.criterion} {self.weight}"
