"""Deterministic demo data: Jiangsu's project library as a province office would see it.

Everything comes from one seeded random generator and a fixed reference date, so two runs (or
two machines) produce the same library; existing rows are left alone, so running it again
changes nothing and keeps whatever a user edited.
"""

import copy
import datetime
import math
import random
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from accounts import reference_data
from accounts.models import Region, Role, Unit, User
from projects import services
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
from schedule import services as schedule_services
from schedule.models import ANCHOR_KIND, Milestone, MilestoneLink, ScheduleTemplate

from .approvals import DemoApprovals
from .funding import DemoFunding
from .issues import DemoIssues
from .progress import DemoProgress

#: the day the demo library describes; fixed so the data does not drift from run to run
REFERENCE_DATE = datetime.date(2026, 11, 1)

#: the four questions of seed 000 measure 1, as counties answer them for a stalled milestone
DEMO_PROBLEMS = (
    {
        "problem": "新增建设用地指标尚未落实",
        "bottleneck": "县级用地指标不足，需省级统筹",
        "solution_path": "申请省级重大项目用地指标单列保障",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
    {
        "problem": "能耗指标缺口",
        "bottleneck": "所在设区市能耗强度下降目标压力大",
        "solution_path": "通过存量项目腾退和省级能耗指标收储调剂解决",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
    {
        "problem": "项目红线内有零星林地",
        "bottleneck": "使用林地审核需报省林业局",
        "solution_path": "提前介入、并联办理，县林业部门协助编制使用林地可行性报告",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
)
PROJECT_COUNT = 330
SEED = 2026


class DemoUser(NamedTuple):
    username: str
    full_name: str
    region: str
    unit: str | None  # the unit's name (in ``region``); None: no unit
    roles: tuple[str, ...]
    superuser: bool
    #: what to log in as this user for (printed by ``seed_demo --url`` for `make run`)
    purpose: str


#: every demo login: seed_demo creates exactly these, `make run` lists them
DEMO_USERS = (
    DemoUser(
        "province_office",
        "王立新",
        "320000",
        "省重大项目办",
        ("office_staff",),
        False,
        "省级：项目库、会商预审、问题交办、碰头会、审核月报、简报",
    ),
    DemoUser(
        "city_office",
        "陈敏",
        "320200",
        "无锡市重大项目办",
        ("office_staff",),
        False,
        "无锡市：受理交办市级问题，审核县区月报，看各县区报送情况",
    ),
    DemoUser(
        "county_office",
        "周建华",
        "320281",
        "江阴市重大项目办",
        ("office_staff",),
        False,
        "江阴市：受理交办县级问题，维护本地项目库",
    ),
    DemoUser(
        "county_filer",
        "顾小燕",
        "320281",
        "江阴市重大项目办",
        ("county_filer",),
        False,
        "江阴市：填报11月月报（草稿、已报送、被退回），反映问题",
    ),
    DemoUser(
        "county_filer2",
        "孙海涛",
        "321322",
        "沭阳县重大项目办",
        ("county_filer",),
        False,
        "沭阳县的填报人：与江阴对照，只看到本县的项目和月报",
    ),
    DemoUser(
        "liaison",
        "李卫东",
        "320000",
        "省自然资源厅",
        ("department_liaison",),
        False,
        "办理交给省自然资源厅的省级问题，更新本厅的用地审批事项",
    ),
    DemoUser(
        "enterprise",
        "钱永康",
        "320281",
        "江阴澄新新材料科技有限公司",
        ("project_unit_contact",),
        False,
        "项目单位：查看本单位项目，反映问题，确认问题办结是否满意",
    ),
    DemoUser(
        "jiangyin_liaison",
        "吴志刚",
        "320281",
        "江阴市自然资源和规划局",
        ("department_liaison",),
        False,
        "办理交给本局的江阴县级问题（唯一办理县级问题的联络员）",
    ),
    DemoUser(
        "leader",
        "赵书记",
        "320000",
        None,
        ("leader",),
        False,
        "省领导：驾驶舱、简报和报告（只读）",
    ),
    DemoUser(
        "api_client",
        "省级数据共享接口",
        "320000",
        "省数据局",
        ("api_client",),
        False,
        "用 Token 调 REST API：12345 热线推送问题、县区报送月报",
    ),
    DemoUser(
        "admin",
        "系统管理员",
        "320000",
        "省重大项目办",
        ("system_admin",),
        True,
        "超级用户：管理后台 /admin/（工作日历、节点模板、审批类型）",
    ),
)
#: the 江阴 enterprise whose contact is the `enterprise` demo user, with its projects
DEMO_ENTERPRISE = ("江阴澄新新材料科技有限公司", "320281")

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


class DemoPassword:
    """The published demo password, hashed once for all the demo logins: hashing costs about
    0.2 s a time by design, and these accounts share a password everyone knows anyway."""

    def __init__(self):
        self._encoded = ""
        self._checked: dict[str, bool] = {}

    def encoded(self) -> str:
        if not self._encoded:
            self._encoded = make_password(settings.DEMO_PASSWORD)
            self._checked[self._encoded] = True
        return self._encoded

    def matches(self, encoded: str) -> bool:
        """Whether a stored hash is of the demo password (each distinct hash checked once)."""
        if encoded not in self._checked:
            try:
                identify_hasher(encoded)  # an empty or unusable one: no hashing to tell
            except ValueError:
                self._checked[encoded] = False
            else:
                self._checked[encoded] = check_password(settings.DEMO_PASSWORD, encoded)
        return self._checked[encoded]


def login_banner(url: str) -> str:
    """Where to open the platform and whom to log in as: every demo login, with its role, its
    unit and what it is for (`make run` prints this through ``seed_demo --url``)."""
    regions = {row["code"]: row["name"] for row in reference_data.read_regions()}
    base = url.rstrip("/")
    width = max(len(demo.username) for demo in DEMO_USERS) + 2
    lines = [
        "",
        "=" * 78,
        f"  重大项目全链条推进平台  {base}/",
        f"  API  {base}/api/v1/    文档 {base}/api/docs/",
        "-" * 78,
        f"  演示账号（密码均为 {settings.DEMO_PASSWORD}）",
    ]
    for demo in DEMO_USERS:
        roles = "、".join(str(Role.Code(code).label) for code in demo.roles)
        lines.append(f"  {demo.username:<{width}}{roles} · {demo.unit or regions[demo.region]}")
        lines.append(f"  {'':<{width}}{demo.purpose}")
    lines.append("=" * 78)
    return "\n".join(lines)


class DemoBuilder:
    def __init__(self, stdout=None):
        self.rng = random.Random(SEED)
        self.stdout = stdout
        self.regions = {r.code: r for r in Region.objects.all()}
        self.counties = [r for r in self.regions.values() if r.level == Region.Level.COUNTY]
        self.roles = {r.code: r for r in Role.objects.all()}

    def log(self, message: str) -> None:
        if self.stdout:
            self.stdout.write(message)

    @transaction.atomic
    def run(self) -> None:
        reference_data.load(Region, Unit, Role)
        self.regions = {r.code: r for r in Region.objects.all()}
        self.counties = sorted(
            (r for r in self.regions.values() if r.level == Region.Level.COUNTY),
            key=lambda r: r.code,
        )
        self.roles = {r.code: r for r in Role.objects.all()}
        self.offices = {u.region_id: u for u in Unit.objects.filter(kind=Unit.Kind.OFFICE)}
        enterprise = Unit.objects.get_or_create(
            name=DEMO_ENTERPRISE[0],
            region=self.regions[DEMO_ENTERPRISE[1]],
            defaults={"kind": Unit.Kind.ENTERPRISE},
        )[0]
        # The county department the 江阴 liaison works in (SPEC §2: city and county
        # counterparts of the provincial departments).
        Unit.objects.get_or_create(
            name="江阴市自然资源和规划局",
            region=self.regions["320281"],
            defaults={"kind": Unit.Kind.DEPARTMENT},
        )
        users = self.users()
        self.tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
        created = self.projects(users["admin"], enterprise)
        self.prereviews(users["province_office"])
        self.milestones(users["province_office"])
        DemoApprovals(users).run()
        DemoFunding(users).run()
        DemoIssues(self.regions, users).run()
        DemoProgress(users).run()
        self.log(f"演示数据就绪：新建项目 {created} 个，项目总数 {Project.objects.count()} 个。")

    def users(self) -> dict[str, User]:
        """The demo logins as :data:`DEMO_USERS` describes them, repaired on every run."""
        users = {}
        password = DemoPassword()
        for demo in DEMO_USERS:
            region = self.regions[demo.region]
            unit = Unit.objects.get(name=demo.unit, region=region) if demo.unit else None
            user, _ = User.objects.update_or_create(
                username=demo.username,
                defaults={
                    "full_name": demo.full_name,
                    "region": region,
                    "unit": unit,
                    "is_superuser": demo.superuser,
                    "is_staff": demo.superuser or "office_staff" in demo.roles,
                    "is_active": True,
                },
            )
            if not password.matches(user.password):
                user.password = password.encoded()
                user.save(update_fields=["password"])
            user.roles.set([self.roles[code] for code in demo.roles])
            users[demo.username] = user
        return users

    # -- projects ---------------------------------------------------------------------------

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

    def create_project(self, row: dict, name: str, region: Region, by: User) -> Project:
        noise = row["noise"]
        stage = row["stage"]
        dates = self.stage_dates(stage, noise)
        started = Stage.order(stage) >= Stage.order(Stage.STARTED)
        if started:
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
            "treasury_bond": row["treasury_bond"],
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
        if started:
            share = Decimal(str(min(0.2 + noise[9] * 0.9, 1.0)))
            project.completed_investment_total = wan(float(total * share))
            project.completed_investment_year = min(
                project.completed_investment_total, project.planned_investment_year
            )
            project._history_user = by
            project.save(update_fields=["completed_investment_total", "completed_investment_year"])
        if row["elements"] and row["category"] != Category.LIVELIHOOD:
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
        return project

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

    def milestones(self, by: User) -> None:
        """Key milestones for every admitted project not yet started, from the shipped
        templates, with the early steps done and one in progress, as the office would find them.
        Projects whose planned start is near and whose approvals lag come out at risk.

        Written in bulk with the history the services would leave (``apply_template``, then
        ``milestone_update`` for each step taken): a record of each milestone as its template
        made it and one of each step's change, checked as ``milestone_update`` checks it; the
        rows themselves are written once, as they end up; the schedules computed once."""
        templates = {t.category: t for t in ScheduleTemplate.objects.filter(is_active=True)}
        fallback = templates.get(Category.INFRASTRUCTURE)
        pending = (
            Project.objects.filter(admission=Admission.ADMITTED, milestones__isnull=True)
            .exclude(stage__in=[s for s in Stage.values if Stage.order(s) >= 3])
            .select_related("region", "unit")
            .order_by("id")
        )
        steps = {
            template.pk: list(template.steps.prefetch_related("predecessor_links"))
            for template in templates.values()
        }
        units: dict[tuple, dict] = {}
        planned: list[tuple[Project, list[Milestone]]] = []
        created: list[Milestone] = []
        links: list[MilestoneLink] = []
        for project in pending:
            template = templates.get(project.category, fallback)
            if template is None:
                continue
            where = (project.region_id, project.unit_id)
            if where not in units:
                units[where] = schedule_services.units_by_handler(project)
            milestones, project_links = schedule_services.template_milestones(
                project, template, steps=steps[template.pk], units=units[where]
            )
            if not any(m.kind == ANCHOR_KIND for m in milestones):
                milestones.append(schedule_services.anchor_milestone(project))
            planned.append((project, milestones))
            created += milestones
            links += project_links
        if not planned:
            return
        as_made = [copy.copy(milestone) for milestone in created]  # for the history

        today = min(REFERENCE_DATE, timezone.localdate())
        changed: list[Milestone] = []
        for project, milestones in planned:
            rng = random.Random(f"{SEED}-{project.pk}-{project.name}")
            steps_done = sorted(
                (m for m in milestones if m.kind != ANCHOR_KIND), key=lambda m: m.position
            )
            # The nearer the planned start, the further its approvals have come; some lag.
            days_left = (project.planned_start - today).days if project.planned_start else 300
            share = min(0.97, max(0.05, 1 - days_left / 400)) * (0.8 + 0.35 * rng.random())
            done_count = min(int(len(steps_done) * share), len(steps_done) - 1)
            spent = sum(int(m.duration_days * 1.3) + 2 for m in steps_done[:done_count])
            cursor = today - datetime.timedelta(days=spent + rng.randrange(5, 30))
            for index, milestone in enumerate(steps_done):
                finish = cursor + datetime.timedelta(days=int(milestone.duration_days * 1.3) + 1)
                changed.append(milestone)
                if index == done_count or finish > today:
                    fields = {"actual_start": min(cursor, today)}
                    if rng.random() < 0.5:
                        fields.update(DEMO_PROBLEMS[rng.randrange(len(DEMO_PROBLEMS))])
                    schedule_services.milestone_change(milestone, fields)
                    break
                schedule_services.milestone_change(
                    milestone, {"actual_start": cursor, "actual_finish": finish}
                )
                cursor = finish + datetime.timedelta(days=rng.randrange(0, 5))

        Milestone.objects.bulk_create(created, batch_size=500)
        MilestoneLink.objects.bulk_create(links, batch_size=500)
        for made, milestone in zip(as_made, created, strict=True):
            made.pk, made.created_at = milestone.pk, milestone.created_at
        for milestone in changed:
            del milestone._change_reason  # the template's, recorded with the creation
        history = get_history_manager_for_model(Milestone)
        history.bulk_history_create(as_made, default_user=by, default_change_reason=None)
        history.bulk_history_create(
            changed, update=True, default_user=by, default_change_reason=None
        )
        schedule_services.recompute_all(projects=[project.pk for project, _m in planned])
