"""The demo logins: who they are, the units they work in, and the banner `make run` prints.

:data:`DEMO_USERS` is the one list: ``seed_demo`` creates exactly these logins (and repairs them
on every run), the banner lists them, and the README's table is checked against it.
"""

from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from accounts import reference_data
from accounts.models import Region, Role, Unit, User


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
        "只用 Token 调 REST API（不能登录网页）：12345 热线推送问题、县区报送月报",
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
#: the county department the 江阴 liaison works in (SPEC §2: city and county counterparts of
#: the provincial departments)
DEMO_DEPARTMENT = ("江阴市自然资源和规划局", "320281")


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


def load_logins(regions: dict[str, Region]) -> dict[str, User]:
    """The demo logins as :data:`DEMO_USERS` describes them, repaired on every run, with the
    units they work in that the reference data does not have (:data:`DEMO_ENTERPRISE`,
    :data:`DEMO_DEPARTMENT`)."""
    Unit.objects.get_or_create(
        name=DEMO_ENTERPRISE[0],
        region=regions[DEMO_ENTERPRISE[1]],
        defaults={"kind": Unit.Kind.ENTERPRISE},
    )
    Unit.objects.get_or_create(
        name=DEMO_DEPARTMENT[0],
        region=regions[DEMO_DEPARTMENT[1]],
        defaults={"kind": Unit.Kind.DEPARTMENT},
    )
    roles = {r.code: r for r in Role.objects.all()}
    users = {}
    password = DemoPassword()
    for demo in DEMO_USERS:
        region = regions[demo.region]
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
        user.roles.set([roles[code] for code in demo.roles])
        users[demo.username] = user
    return users
