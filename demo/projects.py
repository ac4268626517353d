"""The demo project library: PROJECT_COUNT projects across Jiangsu's counties as the province
office would find them on REFERENCE_DATE, with the pre-reviews of the signed ones.

Every project is decided first from one seeded random generator (so the draw order, and with it
the library, is the same on every run and machine), then created through
:mod:`projects.services`; a project that exists already (by name and region) is left alone.
"""

import datetime
import math
import random
from decimal import Decimal

from accounts.models import Region, Unit, User
from projects import library, services
from projects.models import (
    STAGE_DATE_FIELDS,
    Admission,
    Category,
    ConstructionKind,
    ElementNeed,
    LeaderLevel,
    PreReview,
    PreReviewOpinion,
    Project,
    Stage,
    SubLibrary,
    Tag,
    Tier,
    required_leader_level,
)

from .logins import DEMO_ENTERPRISE

#: the day the demo library describes; fixed so the data does not drift from run to run
REFERENCE_DATE = datetime.date(2026, 11, 1)
PROJECT_COUNT = 330
SEED = 2026

BRANDS = (
    "华澄",
    "恒瑞",
    "远航",
    "中盛",
    "嘉诚",
    "泰和",
    "锦程",
    "润禾",
    "天衡",
    "新鸿",
    "金帆",
    "宏昇",
    "瑞丰",
    "苏源",
    "东澜",
    "博远",
    "凯达",
    "永鑫",
    "海晟",
    "卓越",
    "银河",
    "星辰",
    "裕隆",
    "正和",
    "德润",
    "长风",
    "晶科",
    "通达",
    "华睿",
    "联创",
)
INDUSTRY_WORDS = {
    Category.INDUSTRIAL: (
        ("新能源电池", "电池制造"),
        ("高端装备制造", "通用设备制造"),
        ("集成电路封装测试", "集成电路"),
        ("生物医药产业园", "医药制造"),
        ("新型显示面板", "电子器件"),
        ("智能网联汽车零部件", "汽车制造"),
        ("高效光伏组件", "光伏制造"),
        ("特种合金材料", "金属材料"),
        ("高性能纤维", "化学纤维"),
        ("锂电正极材料", "新材料"),
        ("半导体材料", "新材料"),
        ("工业机器人", "智能装备"),
        ("氢能装备", "新能源装备"),
        ("海上风电装备", "新能源装备"),
        ("绿色食品精深加工", "食品制造"),
    ),
    Category.INFRASTRUCTURE: (
        ("高速公路改扩建工程", "交通运输"),
        ("港区通用码头工程", "交通运输"),
        ("220千伏输变电工程", "电力"),
        ("污水处理厂提标改造工程", "水务"),
        ("城市综合管廊工程", "市政"),
        ("防洪治理工程", "水利"),
        ("铁路专用线工程", "交通运输"),
        ("抽水蓄能电站", "能源"),
        ("城市快速路工程", "市政"),
        ("天然气管网工程", "能源"),
    ),
    Category.LIVELIHOOD: (
        ("人民医院新院区", "卫生健康"),
        ("职业教育实训基地", "教育"),
        ("保障性租赁住房", "住房保障"),
        ("老旧小区改造工程", "城市更新"),
        ("养老服务中心", "养老服务"),
        ("中小学新建工程", "教育"),
        ("全民健身中心", "体育"),
        ("农产品冷链物流中心", "商贸物流"),
    ),
}
COMPANY_SUFFIX = {
    Category.INDUSTRIAL: "科技有限公司",
    Category.INFRASTRUCTURE: "建设发展有限公司",
    Category.LIVELIHOOD: "城市发展集团有限公司",
}
TAGS = ("专精特新", "外资", "链主", "民间投资", "绿色低碳", "数字化转型", "开发园区", "省市共建")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭何高林罗"
GIVEN = (
    "建国",
    "海峰",
    "志强",
    "晓东",
    "卫民",
    "立群",
    "红梅",
    "文杰",
    "国平",
    "新华",
    "永明",
    "丽华",
)
INDUSTRY_CODES = ("26", "38", "39", "44", "48", "50", "52", "78", "83", "89")
# Stage mix of a library in November: most projects started, some still in preparation.
STAGE_WEIGHTS = (
    (Stage.PLANNING, 9),
    (Stage.SIGNED, 10),
    (Stage.FILED, 20),
    (Stage.STARTED, 40),
    (Stage.COMPLETED, 10),
    (Stage.PRODUCING, 8),
    (Stage.AT_CAPACITY, 3),
)


def short_name(region: Region) -> str:
    """江阴市 → 江阴, 沛县 stays 沛县 (one-character stems read badly)."""
    return region.name[:-1] if len(region.name) > 2 else region.name


def wan(value: float) -> Decimal:
    """Round to 10万元, the precision offices report in."""
    return Decimal(int(round(value / 10)) * 10)


class DemoProjects:
    def __init__(self, regions: dict[str, Region]):
        self.rng = random.Random(SEED)
        self.regions = regions
        self.counties = sorted(
            (r for r in regions.values() if r.level == Region.Level.COUNTY),
            key=lambda r: r.code,
        )
        self.offices = {u.region_id: u for u in Unit.objects.filter(kind=Unit.Kind.OFFICE)}

    def run(self, users: dict[str, User]) -> int:
        """The library and its pre-reviews; the number of projects created."""
        self.tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
        created = self.projects(users["admin"], users["enterprise"].unit)
        self.prereviews(users["province_office"])
        # the library as the rule places it for the demo's year (those completed before it
        # leave the year's construction lists)
        library.apply(
            Project.objects.all(), REFERENCE_DATE.year, by=users["province_office"],
            reason="按规则归入子库",
        )  # fmt: skip
        return created

    def plan(self, enterprise: Unit) -> list[dict]:
        """Decide every demo project before touching the database (keeps the draw order fixed)."""
        rng = self.rng
        rows = []
        for index in range(PROJECT_COUNT):
            category = rng.choices(list(INDUSTRY_WORDS), weights=(60, 25, 15))[0]
            region = rng.choice(self.counties)
            if index < 3:  # the demo enterprise's projects, in 江阴
                category, region = Category.INDUSTRIAL, self.regions[DEMO_ENTERPRISE[1]]
            # Lognormal sizes between 0.3亿 and 200亿 (万元), median about 8亿.
            total = min(max(math.exp(rng.gauss(math.log(80_000), 1.25)), 3_000), 2_000_000)
            word, sector = rng.choice(INDUSTRY_WORDS[category])
            brand = rng.choice(BRANDS)
            stage = rng.choices(
                [s for s, _ in STAGE_WEIGHTS], weights=[w for _, w in STAGE_WEIGHTS]
            )[0]
            rows.append(
                {
                    "index": index,
                    "category": category,
                    "region": region,
                    "total": wan(total),
                    "word": word,
                    "sector": sector,
                    "brand": brand,
                    "stage": stage,
                    "two_major": category == Category.INFRASTRUCTURE and rng.random() < 0.3,
                    "treasury_bond": rng.random() < 0.08,
                    "tags": rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2))),
                    "leader_gap": rng.random() < 0.12,
                    "elements": rng.random() < 0.5,
                    "noise": [rng.random() for _ in range(12)],
                    "enterprise": enterprise if index < 3 else None,
                }
            )
        # Tiers in the proportions of seed 000 (6 implementation, 23 reserve, the rest city/county),
        # the provincial ones drawn from the largest projects.
        by_size = sorted(rows, key=lambda r: (-r["total"], r["index"]))
        implementation = set(rng.sample(range(20), 6))
        reserve = set(rng.sample(range(20, 90), 24))
        for rank, row in enumerate(by_size):
            if rank in implementation:
                row["tier"] = Tier.PROVINCIAL_IMPLEMENTATION
            elif rank in reserve:
                row["tier"] = Tier.PROVINCIAL_RESERVE
            else:
                row["tier"] = (
                    Tier.CITY if row["total"] >= 100_000 or row["noise"][0] < 0.3 else Tier.COUNTY
                )
        return rows

    def stage_dates(self, stage: str, noise: list[float]) -> dict:
        """Dates of every stage reached, counting back from the reference date."""
        reached = [s for s in STAGE_DATE_FIELDS if Stage.order(s) <= Stage.order(stage)]
        dates = {}
        day = REFERENCE_DATE - datetime.timedelta(days=int(10 + noise[1] * 200))
        for position, reached_stage in enumerate(reversed(reached)):
            dates[STAGE_DATE_FIELDS[reached_stage]] = day
            gap = (
                (60 + noise[2 + position] * 500)
                if reached_stage in (Stage.COMPLETED, Stage.PRODUCING)
                else (20 + noise[2 + position] * 150)
            )
            day -= datetime.timedelta(days=int(gap))
        return dates

    def projects(self, by: User, demo_enterprise: Unit) -> int:
        existing = set(Project.objects.values_list("name", "region_id"))
        seen_names: set[tuple[str, str]] = set()
        created = 0
        for row in self.plan(demo_enterprise):
            region: Region = row["region"]
            city = self.regions[region.parent_id]
            place = (
                short_name(region)
                if row["category"] != Category.INFRASTRUCTURE
                else short_name(city)
            )
            name = (
                f"{place}{row['brand']}{row['word']}项目"
                if row["category"] == Category.INDUSTRIAL
                else f"{place}{row['word']}"
            )
            phase = 1
            while (name, region.code) in seen_names:
                phase += 1
                name = f"{name.removesuffix('项目')}（{'一二三四五六七八九'[phase - 1]}期）" + (
                    "项目" if name.endswith("项目") else ""
                )
            seen_names.add((name, region.code))
            if (name, region.code) in existing:
                continue
            created += 1
            self.create_project(row, name, region, by)
        return created

    def unit_for(self, row: dict, region: Region) -> Unit:
        if row["enterprise"] is not None:
            return row["enterprise"]
        name = f"{short_name(region)}{row['brand']}{COMPANY_SUFFIX[row['category']]}"
        return Unit.objects.get_or_create(
            name=name, region=region, defaults={"kind": Unit.Kind.ENTERPRISE}
        )[0]

    def plan_timing(self, row: dict, dates: dict) -> tuple:
        """When a project starts (or was planned to), its sub-library and construction kind."""
        noise, stage = row["noise"], row["stage"]
        if Stage.order(stage) >= Stage.order(Stage.STARTED):
            planned_start = dates["started_on"] - datetime.timedelta(days=int(noise[8] * 60) - 20)
            sub_library = (
                SubLibrary.KEY
                if row["tier"] != Tier.COUNTY and noise[9] < 0.3
                else SubLibrary.ANNUAL
            )
            kind = (
                ConstructionKind.NEW
                if dates["started_on"].year == REFERENCE_DATE.year
                else ConstructionKind.CONTINUING
            )
        else:
            planned_start = REFERENCE_DATE + datetime.timedelta(days=int(20 + noise[8] * 220))
            in_annual_plan = stage != Stage.PLANNING and planned_start.year == REFERENCE_DATE.year
            sub_library = SubLibrary.ANNUAL if in_annual_plan else SubLibrary.RESERVE
            kind = ConstructionKind.NEW if in_annual_plan else ""
        return planned_start, sub_library, kind

    def create_project(self, row: dict, name: str, region: Region, by: User) -> Project:
        noise = row["noise"]
        stage = row["stage"]
        dates = self.stage_dates(stage, noise)
        started = Stage.order(stage) >= Stage.order(Stage.STARTED)
        planned_start, sub_library, kind = self.plan_timing(row, dates)
        months = int(12 + noise[10] * 36)
        total = row["total"]
        required = required_leader_level(total)
        level = None
        if required is not None:
            level = LeaderLevel(max(required - 1, 0)) if row["leader_gap"] else required
        code = None
        if "filed_on" in dates:
            industry = INDUSTRY_CODES[int(noise[11] * 10)]
            serial = int(noise[4] * 899_999) + 100_000
            project_type = 1 + int(noise[3] * 3)
            code = f"{dates['filed_on'].year}-{region.code}-{industry}-0{project_type}-{serial:06d}"
        city = self.regions[region.parent_id]
        subject = row["word"].removesuffix("项目").removesuffix("工程")
        leader = f"{SURNAMES[int(noise[6] * len(SURNAMES))]}{GIVEN[int(noise[7] * len(GIVEN))]}"
        contact = f"{SURNAMES[int(noise[7] * len(SURNAMES))]}{GIVEN[int(noise[6] * len(GIVEN))]}"
        fields = {
            "code": code,
            "name": name,
            "region": region,
            "unit": self.unit_for(row, region),
            "content": f"项目总投资约{total / 10000:.1f}亿元，主要建设{subject}及配套设施。",
            "sector": row["sector"],
            "category": row["category"],
            "tier": row["tier"],
            "two_major": row["two_major"],
            "sub_library": sub_library,
            "construction_kind": kind,
            "stage": stage,
            "total_investment": total,
            "planned_investment_year": wan(float(total) * (0.15 + noise[5] * 0.3))
            if started or sub_library == SubLibrary.ANNUAL
            else Decimal(0),
            "planned_start": planned_start,
            "planned_completion": planned_start + datetime.timedelta(days=months * 30),
            "responsible_unit": self.offices[
                region.code if row["tier"] == Tier.COUNTY else city.code
            ],
            "responsible_leader": leader if level is not None else "",
            "responsible_leader_level": level,
            "contact_name": contact,
            "contact_phone": f"0{510 + int(noise[5] * 17)}-8{int(noise[4] * 9_999_999):07d}",
            **dates,
        }
        project = services.project_create(by=by, tags=[self.tags[t] for t in row["tags"]], **fields)
        if row["treasury_bond"]:
            # put forward for 超长期特别国债: the funding demo gives such projects their records,
            # after which the flag follows the records (funding.services.refresh_treasury_bond)
            Project.objects.filter(pk=project.pk).update(treasury_bond=True)
            project.treasury_bond = True
        if started:
            share = Decimal(str(min(0.2 + noise[9] * 0.9, 1.0)))
            project.completed_investment_total = wan(float(total * share))
            project.completed_investment_year = min(
                project.completed_investment_total, project.planned_investment_year
            )
            project._history_user = by
            project.save(update_fields=["completed_investment_total", "completed_investment_year"])
        if row["elements"] and row["category"] != Category.LIVELIHOOD:
            self.element_needs(project, row, started)
        return project

    def element_needs(self, project: Project, row: dict, started: bool) -> None:
        """Land (and energy, for an industrial project) it needs, secured once it started."""
        total, noise = row["total"], row["noise"]
        land = wan(float(total) / 50) / 10
        ElementNeed.objects.create(
            project=project,
            kind=ElementNeed.Kind.LAND,
            needed=land,
            secured=land
            if started
            else (land * Decimal(str(round(noise[2], 2)))).quantize(Decimal("0.01")),
        )
        if row["category"] == Category.INDUSTRIAL:
            energy = wan(float(total) / 8)
            ElementNeed.objects.create(
                project=project,
                kind=ElementNeed.Kind.ENERGY,
                needed=energy,
                secured=energy if started else Decimal(0),
            )

    def prereviews(self, by: User) -> None:
        """Signed projects waiting for pre-review: one passed, one failed, the rest open."""
        if PreReview.objects.exists():
            return
        pending = list(
            Project.objects.filter(admission=Admission.PENDING, prereviews__isnull=True).order_by(
                "id"
            )
        )
        departments = list(
            Unit.objects.filter(name__in=("省自然资源厅", "省生态环境厅", "省发展改革委")).order_by(
                "id"
            )
        )
        for position, project in enumerate(pending[:2]):
            review = services.prereview_open(
                project=project,
                held_on=REFERENCE_DATE - datetime.timedelta(days=7),
                departments=departments,
                by=by,
            )
            for unit in departments:
                refuse = position == 1 and unit.name == "省生态环境厅"
                services.prereview_record_opinion(
                    prereview=review,
                    unit=unit,
                    verdict=PreReviewOpinion.Verdict.DISAGREE
                    if refuse
                    else PreReviewOpinion.Verdict.AGREE,
                    comment="项目所在区域环境容量不足，不符合准入要求。" if refuse else "",
                    by=by,
                )
            services.prereview_conclude(prereview=review, by=by, note="经会商，形成预审结论。")
