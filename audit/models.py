"""The security audit trail (等保 2.0 安全审计): one row per security-relevant happening.

Rows are only ever added: :class:`core.models.ImmutableModel` refuses a change or a removal in
Python, and on PostgreSQL a trigger refuses every UPDATE and every DELETE (migration 0001). The
one exception is the purge of rows older than the retention period (``manage.py purge_audit``,
:func:`audit.services.purge`), which the trigger lets through only inside a transaction that
names the cut-off, and never for a row younger than 180 days.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ImmutableModel, ImmutableQuerySet

#: the shortest retention the law asks for (网络安全法 第二十一条: 不少于六个月)
MIN_RETENTION_DAYS = 180


class Action(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    LOCKOUT = "lockout", _("账户锁定")
    UNLOCK = "unlock", _("解除锁定")
    PASSWORD = "password", _("修改密码")
    OTP_ADDED = "otp_added", _("绑定双因素认证")
    OTP_RESET = "otp_reset", _("重置双因素认证")
    TOKEN_CREATED = "token_created", _("创建接口令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销接口令牌")
    SESSIONS_ENDED = "sessions_ended", _("结束其他会话")
    DENIED = "denied", _("拒绝访问")
    OUT_OF_SCOPE = "out_of_scope", _("访问范围外对象")
    CREATE = "create", _("新增数据")
    UPDATE = "update", _("修改数据")
    DELETE = "delete", _("删除数据")
    STEP = "step", _("业务办理")
    DOWNLOAD = "download", _("导出下载")
    ADMIN = "admin", _("管理后台操作")
    ROLES = "roles", _("角色变更")
    PURGE = "purge", _("清理审计记录")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    REFUSED = "refused", _("拒绝")
    FAILED = "failed", _("失败")


class AuditEntry(ImmutableModel):
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # a purge never waits for, nor blocks, a user's removal
    )
    #: the username as typed (a failed login names no account) or the account's at the time
    username = models.CharField(_("用户名"), max_length=150, blank=True, db_index=True)
    #: the user's role codes at the time, comma-separated
    roles = models.CharField(_("角色"), max_length=200, blank=True)
    address = models.CharField(_("地址"), max_length=45, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_text = models.CharField(_("对象"), max_length=300, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    detail = models.JSONField(_("详情"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    #: a business step's event key: the same happening is recorded once however often told
    event_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"

    @property
    def object_label(self) -> str:
        if self.object_text:
            return self.object_text
        return f"{self.object_type} #{self.object_id}" if self.object_id else self.object_type
