"""Notifications (SPEC §5: 即时响应、即时反馈): what each person is told, in the platform and
outside it.

A :class:`Notification` is the in-platform message (the bell); a :class:`Delivery` is one
message on one outbound channel (e-mail, SMS, a unit's group robot) to one recipient, sent by a
worker with retries. Both are keyed by the event's key, so a happening told twice (two sweeps,
a redelivered message) is stored and sent once.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.scope import ScopedQuerySet


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("事件"), max_length=40)
    key = models.CharField(_("事件标识"), max_length=200)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notify_once_per_user")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    """What a user wants to be told outside the platform, and when."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    email = models.BooleanField(_("邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)
    muted = models.JSONField(_("不接收的事件"), default=list, blank=True)
    quiet_start = models.TimeField(_("免打扰开始"), default=datetime.time(22, 0))
    quiet_end = models.TimeField(_("免打扰结束"), default=datetime.time(7, 30))
    digest = models.BooleanField(
        _("每日汇总"), default=False, help_text=_("邮件每天汇总发送一次，不逐条发送。")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)

    def quiet_at(self, moment: datetime.datetime) -> bool:
        clock = timezone.localtime(moment).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= clock < self.quiet_end
        return clock >= self.quiet_start or clock < self.quiet_end

    def quiet_ends(self, moment: datetime.datetime) -> datetime.datetime:
        """The first moment after ``moment`` outside the quiet hours."""
        local = timezone.localtime(moment)
        end = local.replace(
            hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0
        )
        return end if end > local else end + datetime.timedelta(days=1)


class UnitChannelQuerySet(ScopedQuerySet):
    scope_region_path = "unit__region"


class UnitChannel(models.Model):
    """A unit's group robot (企业微信/政务微信/钉钉/飞书, or any target Apprise knows)."""

    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=50, help_text=_("如：发改委重大项目群"))
    url = models.CharField(
        _("推送地址"),
        max_length=500,
        help_text=_("Apprise 地址，如 wecombot://<key>、dingtalk://<token>、json://host/path"),
    )
    events = models.JSONField(
        _("推送的事件"), default=list, blank=True, help_text=_("留空：推送该单位的全部通知。")
    )
    active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()
    objects = UnitChannelQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "name"]
        verbose_name = _("单位推送渠道")
        verbose_name_plural = _("单位推送渠道")

    def __str__(self) -> str:
        return f"{self.unit} · {self.name}"


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")
    ROBOT = "robot", _("群机器人")
    BROADCAST = "broadcast", _("全局推送")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    HELD = "held", _("免打扰顺延")
    DIGEST = "digest", _("待汇总")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class DeliveryQuerySet(ScopedQuerySet):
    """Office staff see the deliveries to the people and units of their region."""

    scope_region_path = "region"


class Delivery(models.Model):
    key = models.CharField(_("事件标识"), max_length=200)
    event = models.CharField(_("事件"), max_length=40)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    #: ``user:<id>``, ``unit-channel:<id>`` or ``broadcast:<n>``: one delivery per recipient
    recipient_key = models.CharField(_("接收方"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    unit_channel = models.ForeignKey(
        UnitChannel,
        verbose_name=_("单位推送渠道"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("地区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target = models.CharField(_("发送到"), max_length=200, help_text=_("已隐去密钥。"))
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    not_before = models.DateTimeField(_("最早发送时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("外部推送记录")
        verbose_name_plural = _("外部推送记录")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "recipient_key", "channel"], name="notify_deliver_once"
            )
        ]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target}: {self.subject}"
