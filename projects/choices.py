"""The words of the project library (项目库, SPEC §3): tiers, sub-libraries, categories,
stages and admission, the level of a responsible leader, and the rules that follow from a
project's size (its investment bracket, the leader level it calls for)."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    PROVINCIAL_IMPLEMENTATION = "provincial_implementation", _("省重大实施")
    PROVINCIAL_RESERVE = "provincial_reserve", _("省重大储备")
    CITY = "city", _("市重大")
    COUNTY = "county", _("县重大")


class SubLibrary(models.TextChoices):
    RESERVE = "reserve", _("储备库")
    ANNUAL = "annual", _("年度建设库")
    KEY = "key", _("重点工程库")
    #: completed in an earlier year: out of the year's construction lists (projects.library)
    COMPLETED = "completed", _("已竣工")


class ConstructionKind(models.TextChoices):
    """For projects of the annual construction library: starting this year or continuing."""

    NEW = "new", _("新开工")
    CONTINUING = "continuing", _("续建")


class Category(models.TextChoices):
    INDUSTRIAL = "industrial", _("产业类")
    INFRASTRUCTURE = "infrastructure", _("基础设施类")
    LIVELIHOOD = "livelihood", _("民生保障类")


class Stage(models.TextChoices):
    """Lifecycle stage, in order. A project only moves forward (possibly skipping stages);
    moving back is a correction by office staff with a recorded reason (see services)."""

    PLANNING = "planning", _("谋划")
    SIGNED = "signed", _("签约")
    FILED = "filed", _("备案/赋码")
    STARTED = "started", _("开工")
    COMPLETED = "completed", _("竣工")
    PRODUCING = "producing", _("投产")
    AT_CAPACITY = "at_capacity", _("达效")

    @classmethod
    def order(cls, stage: str) -> int:
        return cls.values.index(stage)


#: the field that keeps the actual date each stage was reached (planning has none)
STAGE_DATE_FIELDS = {
    Stage.SIGNED: "signed_on",
    Stage.FILED: "filed_on",
    Stage.STARTED: "started_on",
    Stage.COMPLETED: "completed_on",
    Stage.PRODUCING: "producing_on",
    Stage.AT_CAPACITY: "at_capacity_on",
}


class Admission(models.TextChoices):
    """Whether the project is in the library. A newly signed project waits for the
    departments' pre-review (会商预审, seed 001): passed → admitted, failed → kept out."""

    PENDING = "pending", _("待预审")
    ADMITTED = "admitted", _("已入库")
    REJECTED = "rejected", _("预审未通过")


class LeaderLevel(models.IntegerChoices):
    """Level of the responsible (包联) leader, lowest to highest (Huai'an rule, seed 004)."""

    OTHER = 0, _("其他")
    COUNTY_HEAD = 1, _("县区/部门主要负责人")
    CITY_DEPUTY = 2, _("市分管领导")
    CITY_PRINCIPAL = 3, _("市主要领导")


#: investment brackets in 万元, highest first (SPEC §3)
INVESTMENT_BRACKETS = (
    (Decimal(1_000_000), _("100亿元以上")),
    (Decimal(500_000), _("50亿元以上")),
    (Decimal(100_000), _("10亿元以上")),
    (Decimal(10_000), _("1亿元以上")),
    (Decimal(5_000), _("5000万元以上")),
    (Decimal(3_000), _("3000万元以上")),
)
BELOW_LOWEST_BRACKET = _("3000万元以下")

#: the leader level a project's size calls for (seed 004: 亿元 → 县区/部门一把手,
#: 10亿元以上 → 市分管领导, 50亿元以上 → 市委市政府主要领导)
LEADER_RULE = (
    (Decimal(500_000), LeaderLevel.CITY_PRINCIPAL),
    (Decimal(100_000), LeaderLevel.CITY_DEPUTY),
    (Decimal(10_000), LeaderLevel.COUNTY_HEAD),
)


def investment_bracket(total_investment: Decimal | None) -> str:
    for threshold, label in INVESTMENT_BRACKETS:
        if total_investment is not None and total_investment >= threshold:
            return str(label)
    return str(BELOW_LOWEST_BRACKET)


def required_leader_level(total_investment: Decimal | None) -> LeaderLevel | None:
    for threshold, level in LEADER_RULE:
        if total_investment is not None and total_investment >= threshold:
            return level
    return None
