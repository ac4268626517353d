"""Regions, units, people and roles: who works where, and so what they may see."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .scope import ScopedQuerySet, region_prefix


class RegionQuerySet(ScopedQuerySet):
    scope_region_path = ""
    scope_reference_data = True

    def below(self, code: str) -> "RegionQuerySet":
        """The region with this code and every region under it."""
        region = self.model.objects.filter(code=code).only("code", "level").first()
        if region is None:
            return self.none()
        return self.filter(code__startswith=region.scope_prefix)


class Region(models.Model):
    """An administrative division (行政区划) keyed by its 6-digit GB/T 2260 code."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("设区市")
        COUNTY = "county", _("县（市、区）")

    code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        primary_key=True,
        validators=[RegexValidator(r"^\d{6}$", _("行政区划代码应为6位数字。"))],
    )
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    history = HistoricalRecords()
    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def scope_prefix(self) -> str:
        return region_prefix(self.code, self.level)

    def lineage(self) -> list[str]:
        """The codes of this region and every region above it, nearest first."""
        codes = []
        region = self
        while region is not None:
            codes.append(region.code)
            region = region.parent
        return codes

    def contains(self, other: "Region | str") -> bool:
        code = other if isinstance(other, str) else other.code
        return code.startswith(self.scope_prefix)


class UnitQuerySet(ScopedQuerySet):
    scope_region_path = "region"
    scope_unit_path = "pk"


class Unit(models.Model):
    """An office, a government department or a project unit (company) at a region."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("重大项目办")
        DEPARTMENT = "department", _("职能部门")
        ENTERPRISE = "enterprise", _("项目单位")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="units"
    )
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-HJ-NPQRTUWXY]{18}$", _("统一社会信用代码应为18位。"))],
    )

    history = HistoricalRecords()
    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A role a person holds (SPEC §2); one person may hold several."""

    class Code(models.TextChoices):
        OFFICE_STAFF = "office_staff", _("重大办工作人员")
        COUNTY_FILER = "county_filer", _("县区填报人")
        DEPARTMENT_LIAISON = "department_liaison", _("部门联络员")
        PROJECT_UNIT_CONTACT = "project_unit_contact", _("项目单位联系人")
        LEADER = "leader", _("领导")
        API_CLIENT = "api_client", _("系统接口")
        SYSTEM_ADMIN = "system_admin", _("系统管理员")
        # 三权分立 (等保 2.0 level 3): security and audit apart from system administration
        SECURITY_ADMIN = "security_admin", _("安全管理员")
        AUDIT_ADMIN = "audit_admin", _("审计管理员")

    code = models.CharField(_("代码"), max_length=30, primary_key=True, choices=Code.choices)
    name = models.CharField(_("名称"), max_length=30)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return self.name


#: roles whose holder sees everything in their region, not just one unit's projects
REGION_WIDE_ROLES = frozenset(
    {
        Role.Code.OFFICE_STAFF,
        Role.Code.COUNTY_FILER,
        Role.Code.DEPARTMENT_LIAISON,
        Role.Code.LEADER,
        Role.Code.API_CLIENT,
        Role.Code.SYSTEM_ADMIN,
    }
)
#: roles that may create and edit library records within their scope
EDITOR_ROLES = frozenset({Role.Code.OFFICE_STAFF, Role.Code.API_CLIENT, Role.Code.SYSTEM_ADMIN})


class User(AbstractUser):
    """A person or a calling system, attached to a region and usually a unit."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属地区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="users")
    # password policy (accounts/passwords.py): when the password was last set, and whether it
    # is an initial one given by an administrator, to be changed at the next sign-in
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.roles.values_list("code", flat=True))

    def has_role(self, *codes: str) -> bool:
        return self.is_superuser or bool(self.role_codes & set(codes))

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or Role.Code.SYSTEM_ADMIN in self.role_codes

    def home_region(self) -> "Region | None":
        """The region a person's pages open on (cockpit, indicators, funding): their own; the
        province for those who see everything; none for a person without a region."""
        if self.region_id is not None:
            return self.region
        if self.sees_everything:
            return Region.objects.filter(parent__isnull=True).order_by("code").first()
        return None

    @property
    def sees_only_assignments(self) -> bool:
        """A department liaison with no region-wide role sees what concerns their unit: what is
        assigned to it, and read-only the projects it works on (SPEC §2)."""
        codes = self.role_codes
        return Role.Code.DEPARTMENT_LIAISON in codes and not (
            codes & (REGION_WIDE_ROLES - {Role.Code.DEPARTMENT_LIAISON})
        )

    @property
    def restricted_to_unit(self) -> bool:
        codes = self.role_codes
        return Role.Code.PROJECT_UNIT_CONTACT in codes and not (codes & REGION_WIDE_ROLES)

    @cached_property
    def scope_prefix(self) -> str | None:
        if self.region_id is None:
            return None
        return self.region.scope_prefix

    @property
    def is_machine(self) -> bool:
        """An account of another system (API client role only): token access, no pages."""
        codes = self.role_codes
        return (
            Role.Code.API_CLIENT in codes
            and not self.is_superuser
            and codes <= {Role.Code.API_CLIENT}
        )

    @property
    def can_edit_library(self) -> bool:
        return self.is_superuser or bool(self.role_codes & EDITOR_ROLES)

    @property
    def is_office_staff(self) -> bool:
        return self.is_superuser or Role.Code.OFFICE_STAFF in self.role_codes


# --- Identification and authentication (等保 2.0 level 3) -------------------------------------


class PasswordHistory(models.Model):
    """A hash of a password a user has had (the newest ``PASSWORD_HISTORY_COUNT`` are kept):
    a new password may not be one of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("密码（哈希）"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class Lockout(models.Model):
    """A username or a client address locked after too many failed sign-ins, until ``until``
    or until a security administrator unlocks it."""

    class Kind(models.TextChoices):
        USERNAME = "username", _("用户名")
        ADDRESS = "address", _("客户端地址")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("用户名或地址"), max_length=150)
    ip_address = models.CharField(_("最后失败的地址"), max_length=64, blank=True)
    locked_at = models.DateTimeField(_("锁定时间"), default=timezone.now)
    until = models.DateTimeField(_("锁定至"))
    unlocked_at = models.DateTimeField(_("解锁时间"), null=True, blank=True)
    unlocked_by = models.ForeignKey(
        User,
        verbose_name=_("解锁人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-locked_at"]
        verbose_name = _("登录锁定")
        verbose_name_plural = _("登录锁定")
        indexes = [models.Index(fields=["kind", "value", "until"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class UserSession(models.Model):
    """A signed-in session of a user (Django's session store cannot list a user's sessions):
    written at sign-in, touched by ``accounts.sessions.SessionLimitsMiddleware``, removed at
    sign-out or when ended."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(_("登录时间"), default=timezone.now)
    last_seen = models.DateTimeField(_("最近活动"), default=timezone.now)
    ip_address = models.CharField(_("地址"), max_length=64, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")

    def __str__(self) -> str:
        return f"{self.user} {self.ip_address}"


class TokenExpiry(models.Model):
    """The moment an API token stops working, set by a security administrator; a token
    without one does not expire."""

    token = models.OneToOneField(
        "authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="expiry"
    )
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = _("令牌有效期")
        verbose_name_plural = _("令牌有效期")

    def __str__(self) -> str:
        return f"{self.expires_at:%Y-%m-%d %H:%M}"
