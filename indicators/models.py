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
    HA_START = "ha_start", _("开工率")
    HA_PRODUCTION = "ha_production", _("投产率")
    HA_CAPACITY = "ha_capacity", _("达效率")
    # projects planned to start this year
    NEW_START_RATE = "new_start_rate", _("计划新开工项目开工率")
    NEW_STARTS = "new_starts", _("新开工项目数")


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


class TargetQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_reference_data = True

    def narrow(self, queryset, user):
        """A region's targets, and those of the regions above it, are open to everyone in it."""
        if user.region_id is None:
            return queryset
        return queryset | self.filter(region_id__in=user.region.lineage())


class Target(models.Model):
    """What a region is to reach: a rate in percent, or a count (``new_starts``)."""

    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(_("指标"), max_length=20, choices=Indicator.choices)
    sub_period = models.CharField(
        _("时段"), max_length=3, choices=SubPeriod.choices, default="", blank=True
    )
    value = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "year", "indicator", "sub_period"]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "indicator", "sub_period"], name="one_target_per_period"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}{self.sub_period} {self.get_indicator_display()}"
