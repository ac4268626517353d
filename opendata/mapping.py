"""The platform's words in OC4IDS codes: pure functions, no database (README "开放数据（OC4IDS）"
states each rule; tests/test_opendata.py checks every code against the vendored codelists).

Codelists: ``opendata/schema/0.9.5/codelists/`` (projectStatus, projectType, projectSector,
milestoneType, milestoneCode, milestoneStatus, contractingProcessStatus).
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from projects.choices import Category, Stage
from schedule.models import MilestoneKind

#: the platform keeps money in 万元; OC4IDS amounts are in the currency's unit
WAN = Decimal(10_000)
CURRENCY = "CNY"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

#: projectStatus (closed codelist) from the project's stage: 谋划 is the decision to develop
#: it (identification); 签约 and 备案/赋码 are its preparation; 开工 begins implementation;
#: 竣工, 投产 and 达效 are past completion of the works
STAGE_STATUS = {
    Stage.PLANNING: "identification",
    Stage.SIGNED: "preparation",
    Stage.FILED: "preparation",
    Stage.STARTED: "implementation",
    Stage.COMPLETED: "completion",
    Stage.PRODUCING: "completion",
    Stage.AT_CAPACITY: "completion",
}

#: contractingProcessStatus of the works' contracting process, from the stage: nothing awarded
#: before construction starts, under way while it is built, ended once it is completed
STAGE_CONTRACTING_STATUS = {
    Stage.PLANNING: "pre-award",
    Stage.SIGNED: "pre-award",
    Stage.FILED: "pre-award",
    Stage.STARTED: "active",
    Stage.COMPLETED: "closed",
    Stage.PRODUCING: "closed",
    Stage.AT_CAPACITY: "closed",
}

#: projectType (closed codelist) from words of the project's name, first match wins; a
#: project whose name says none of them builds a new asset (construction)
TYPE_WORDS = (
    (("改扩建", "扩建", "扩能", "扩容", "二期", "三期"), "expansion"),
    (("改造", "修缮", "加固", "提升", "整治", "大修"), "rehabilitation"),
    (("更换", "替换", "置换", "更新"), "replacement"),
)

#: projectSector (open codelist) of infrastructure and livelihood projects, from words of
#: their 行业领域 and name, first match wins (a sub-sector is given with its sector)
SECTOR_WORDS = (
    (("光伏", "太阳能"), "energy.solar"),
    (("风电", "风力"), "energy.wind"),
    (("抽水蓄能", "水电站", "水力发电"), "energy.hydropower"),
    (("生物质",), "energy.biomass"),
    (("地热",), "energy.geothermal"),
    (("电力", "能源", "输变电", "电网", "天然气", "燃气", "供热"), "energy"),
    (("地铁", "轨道交通", "公交", "城市快速路"), "transport.urban"),
    (("铁路", "高铁", "城际"), "transport.rail"),
    (("机场", "航空"), "transport.air"),
    (("港", "码头", "航道", "船闸"), "transport.water"),
    (("公路", "道路", "桥", "隧道"), "transport.road"),
    (("交通", "物流"), "transport"),
    (("防洪", "海塘", "堤防"), "naturalResources.floodProtection"),
    (("水利", "生态", "林业", "国土"), "naturalResources"),
    (("水务", "污水", "供水", "垃圾", "固废", "环卫", "管廊"), "waterAndWaste"),
    (("医院", "卫生", "医疗", "养老", "疾控"), "health"),
    (("教育", "学校", "中小学", "大学", "实训"), "education"),
    (("保障性", "住房保障", "安置房", "公租房"), "socialHousing"),
    (("体育", "文化", "旅游", "公园", "健身"), "cultureSportsAndRecreation"),
    (("通信", "5G", "数据中心", "算力", "信息"), "communications"),
    (("政务", "法院", "应急", "消防"), "governance"),
)
#: 产业类 projects are plants and parks of enterprises: the economy, whatever they make (a
#: photovoltaic module factory is not solar energy infrastructure)
INDUSTRIAL_SECTOR = "economy"

#: milestoneType (open codelist) of a key milestone by its kind; any other is preProcurement
MILESTONE_TYPES = {
    MilestoneKind.APPROVAL_FILING: "approval",
    MilestoneKind.LAND_PRE_REVIEW: "approval",
    MilestoneKind.LAND_SUPPLY: "approval",
    MilestoneKind.PLANNING_PERMIT: "approval",
    MilestoneKind.EIA: "approval",
    MilestoneKind.ENERGY: "approval",
    MilestoneKind.FORESTRY: "approval",
    MilestoneKind.SOIL_WATER: "approval",
    MilestoneKind.DRAWING_REVIEW: "approval",
    MilestoneKind.CONSTRUCTION_PERMIT: "approval",
    MilestoneKind.STABILITY: "assessment",
    MilestoneKind.TENDERING: "procurement",
    MilestoneKind.FUNDING: "financing",
    MilestoneKind.CONSTRUCTION_START: "delivery",
}
#: milestoneCode (open codelist) where one fits the kind
MILESTONE_CODES = {
    MilestoneKind.APPROVAL_FILING: "projectApproval",
    MilestoneKind.CONSTRUCTION_START: "commencement",
}


def project_status(stage: str) -> str:
    return STAGE_STATUS[stage]


def contracting_status(stage: str) -> str:
    return STAGE_CONTRACTING_STATUS[stage]


def project_type(name: str) -> str:
    for words, code in TYPE_WORDS:
        if any(word in name for word in words):
            return code
    return "construction"


def project_sectors(category: str, sector: str, name: str) -> list[str]:
    """The projectSector codes of a project: ``economy`` for 产业类, else the first code of
    :data:`SECTOR_WORDS` whose words its 行业领域 or name holds (so "交通运输" with a name
    saying 码头 is water transport), with the sector of a sub-sector; none found: []."""
    if category == Category.INDUSTRIAL:
        return [INDUSTRIAL_SECTOR]
    text = f"{sector} {name}"
    for words, code in SECTOR_WORDS:
        if any(word in text for word in words):
            parent = code.split(".")[0]
            return [parent, code] if parent != code else [code]
    return []


def amount(wan: Decimal) -> dict:
    """An OC4IDS Value from an amount in 万元 (a whole number of yuan)."""
    yuan = (wan * WAN).quantize(Decimal(1))
    return {"amount": int(yuan), "currency": CURRENCY}


def date_time(day: datetime.date | None) -> str | None:
    """A date as the standard's date-time: midnight in Shanghai."""
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time(), tzinfo=SHANGHAI).isoformat()


def period(start: datetime.date | None, end: datetime.date | None) -> dict | None:
    """An OC4IDS Period, or None when neither day is known (a Period may not be empty)."""
    found = {"startDate": date_time(start), "endDate": date_time(end)}
    found = {key: value for key, value in found.items() if value}
    return found or None
