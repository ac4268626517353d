"""Demo indicator targets for 2026 (SPEC §9): the province, every city and a few counties
(new-start rate 75% by the half year and 100% by the third quarter, Wuxi's 五率, Huai'an's 四率,
new starts as counts). Nothing is written when targets exist.
"""

import math
from decimal import Decimal

from django.db.models import Q

from accounts.models import Region, User
from indicators.models import Target
from projects.models import Admission, Project

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
        by_province, by_city = self.users["province_office"], self.users["city_office"]
        rows = []

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
            ("ha_signing", "", 70, ""),
            ("ha_start", "", 75, ""),
            ("ha_production", "", 80, ""),
            ("ha_capacity", "", 60, ""),
        ]
        rows += [(province, by_province, *row) for row in new_start + starts(province, "32")]
        rows += [(province, by_province, *row) for row in wuxi + huaian]
        for city in cities:
            own = new_start + starts(city, city.code[:4])
            own += wuxi if city.code == "320200" else huaian if city.code == "320800" else []
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
