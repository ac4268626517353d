"""Demo indicator targets for 2026 (SPEC §9): the province, every city and a few counties
(new-start rate 75% by the half year and 100% by the third quarter, Wuxi's 五率, Huai'an's 四率
with seed 004's signing and start counts, new starts as counts), and the group targets of seed
002 for 无锡 (省重大项目 85% by the half year, 产业 and 政府投资 75%, all started by the third
quarter, government investment 50% by the half year). Nothing is written when targets exist.
"""

import math
from decimal import Decimal

from django.db.models import Q

from accounts.models import Region, User
from indicators.models import ProjectGroup, Target
from projects.models import Admission, Category, Project

YEAR = 2026


class DemoTargets:
    def __init__(self, users: dict[str, User]):
        self.users = users

    def run(self) -> None:
        if Target.objects.exists():
            return
        province = Region.objects.get(level=Region.Level.PROVINCE)
        cities = list(Region.objects.filter(level=Region.Level.CITY).order_by("code"))
        planned = {}
        for code in Project.objects.filter(
            ~Q(admission=Admission.REJECTED), planned_start__year=YEAR
        ).values_list("region_id", flat=True):
            for key in (code[:2], code[:4]):
                planned[key] = planned.get(key, 0) + 1
        signed = {}  # seed 004 counts 亿元以上 industrial projects signed this year
        for code in Project.objects.filter(
            ~Q(admission=Admission.REJECTED),
            category=Category.INDUSTRIAL,
            total_investment__gte=10000,
            signed_on__year=YEAR,
        ).values_list("region_id", flat=True):
            for key in (code[:2], code[:4]):
                signed[key] = signed.get(key, 0) + 1
        by_province, by_city = self.users["province_office"], self.users["city_office"]
        rows = []

        def signings(key: str) -> list:
            # seed 004's 600 signings and 300 of them started, scaled to the demo's size
            count = math.ceil(signed.get(key, 0) * 1.2 / 5) * 5 or 5
            return [
                ("ha_signed", "", count, "新签约亿元以上工业项目（原文600个，按演示规模折算）"),
                (
                    "ha_signed_started",
                    "",
                    count // 2,
                    "当年签约项目开工（原文300个，按演示规模折算）",
                ),
            ]

        def starts(region: Region, key: str) -> list:
            count = planned.get(key, 0)
            if not count:
                return []
            return [
                ("new_starts", "", math.ceil(count / 5) * 5, "全年计划新开工项目数"),
                ("new_starts", "H1", math.ceil(count * 0.75), "上半年新开工项目数"),
            ]

        new_start = [
            ("new_start_rate", "H1", 75, "计划新开工项目上半年开工率75%"),
            ("new_start_rate", "Q3", 100, "三季度末计划新开工项目全部开工"),
            ("new_start_rate", "", 100, ""),
        ]
        wuxi = [
            ("wx_filing", "", 90, ""),
            ("wx_start", "", 60, ""),
            ("wx_investment", "Q3", 75, ""),
            ("wx_investment", "", 100, "开工项目年度计划投资全部完成"),
            ("wx_production", "", 80, ""),
            ("wx_capacity", "", 60, ""),
        ]
        huaian = [
            ("ha_signing", "", 100, "全年签约目标全部完成"),
            ("ha_start", "", 50, "当年申报签约项目开工率不低于50%"),
            ("ha_production", "", 80, ""),
            ("ha_capacity", "", 60, ""),
        ]
        rows += [(province, by_province, *row) for row in new_start + starts(province, "32")]
        rows += [(province, by_province, *row) for row in wuxi + huaian + signings("32")]
        for city in cities:
            own = new_start + starts(city, city.code[:4])
            if city.code == "320200":
                own += wuxi
            elif city.code == "320800":
                own += huaian + signings("3208")
            rows += [(city, by_province, *row) for row in own]
        counties = Region.objects.in_bulk(["320281", "320282", "321322"])
        for code, county in sorted(counties.items()):
            own = new_start[:2] + (wuxi[1:4] if code.startswith("3202") else [])
            rows += [
                (county, by_city if code.startswith("3202") else by_province, *row) for row in own
            ]
        Target.objects.bulk_create(
            [
                Target(
                    region=region,
                    year=YEAR,
                    indicator=indicator,
                    sub_period=sub_period,
                    value=Decimal(value),
                    note=note,
                    set_by=by,
                )
                for region, by, indicator, sub_period, value, note in rows
            ]
        )
        self.group_targets(province, by_province, by_city)

    def group_targets(self, province: Region, by_province: User, by_city: User) -> None:
        """Seed 002's targets per group, for 无锡 (and the provincial one for the province)."""
        groups = ProjectGroup.objects.in_bulk(
            ["provincial_implementation", "industrial", "government"], field_name="code"
        )
        wuxi = Region.objects.get(code="320200")
        rows = [
            (
                province,
                by_province,
                "provincial_implementation",
                "H1",
                85,
                "省重大项目半年度开工率达85%",
            ),
            (
                wuxi,
                by_province,
                "provincial_implementation",
                "H1",
                85,
                "新建省重大项目半年度开工率达85%",
            ),
            (wuxi, by_province, "provincial_implementation", "Q3", 100, "三季度全部开工"),
            (wuxi, by_city, "industrial", "H1", 75, "市级重大产业项目新建项目半年度开工率达到75%"),
            (wuxi, by_city, "industrial", "Q3", 100, "三季度全部开工"),
            (wuxi, by_city, "government", "H1", 75, "政府投资项目力争半年度开工率达75%"),
        ]
        made = [
            Target(
                region=region,
                group=groups[code],
                year=YEAR,
                indicator="new_start_rate",
                sub_period=sub_period,
                value=Decimal(value),
                note=note,
                set_by=by,
            )
            for region, by, code, sub_period, value, note in rows
        ]
        made.append(
            Target(
                region=wuxi,
                group=groups["government"],
                year=YEAR,
                indicator="wx_investment",
                sub_period="H1",
                value=Decimal(50),
                note="政府投资项目半年度投资进度超50%",
                set_by=by_city,
            )
        )
        Target.objects.bulk_create(made)
