"""Webhook subscriptions, the deliveries made for them and every attempt at sending one.

A :class:`Subscription` is another system's address, the events it wants and the region they
must belong to; the office administrator who created it owns it. The 12345 hotline's callback
is a subscription of its own kind, one per platform, whose address and secret come from the
deployment's settings. Each event a subscription wants becomes one :class:`Delivery` (one per
subscription and event key, whatever happens twice), sent and retried until it is delivered or
its retry window closes; each try is an :class:`Attempt` kept with its answer.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Region
from accounts.scope import ScopedQuerySet

SECRET_PREFIX = "whsec_"  # noqa: S105 — a marker in front of every secret, not one


def absolute(path: str) -> str:
    """A page's address as another system can follow it (``SITE_URL`` in front)."""
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Kind(models.TextChoices):
    CUSTOM = "custom", _("订阅")
    HOTLINE = "hotline_12345", _("12345热线回调")


class SubscriptionQuerySet(ScopedQuerySet):
    """Office staff see the subscriptions owned by people of their region and below; system
    administrators see all of them, the hotline's included. Nobody else sees any."""

    scope_region_path = "owner__region"

    def narrow(self, queryset, user):
        return queryset if user.is_office_staff else queryset.none()


class Subscription(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    name = models.CharField(_("名称"), max_length=100, help_text=_("接收方系统的名称，便于识别。"))
    url = models.URLField(_("接收地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=100, blank=True, default=new_secret)
    #: event names, ``prefix.*`` or ``*``
    events = models.JSONField(_("订阅的事件"), default=list)
    region = models.ForeignKey(
        Region,
        verbose_name=_("地区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("只发送该地区及其下级地区的事件。"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
    )
    active = models.BooleanField(_("启用"), default=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    pause_reason = models.CharField(_("暂停原因"), max_length=300, blank=True)
    #: the first failed attempt since the last one that succeeded (None: not failing)
    failing_since = models.DateTimeField(_("持续失败起始"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "secret"])
    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-created_at", "-pk"]
        verbose_name = _("Webhook订阅")
        verbose_name_plural = _("Webhook订阅")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="hotline_12345"),
                name="webhook_one_hotline_subscription",
            ),
            models.CheckConstraint(
                condition=Q(kind="hotline_12345") | Q(region__isnull=False),
                name="webhook_subscription_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])

    @property
    def is_hotline(self) -> bool:
        return self.kind == Kind.HOTLINE

    def wants(self, name: str, region: str | None) -> bool:
        """Whether an event named ``name`` in ``region`` is for this (custom) subscription:
        a name it lists, and a region at or below its own (an event with none is not)."""
        from .matching import matches

        if not matches(self.events, name):
            return False
        return bool(region) and self.region is not None and self.region.contains(region)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One event for one subscription: the body as it is sent every time, where it stands."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_key = models.CharField(_("事件编号"), max_length=200)
    event_name = models.CharField(_("事件"), max_length=60)
    #: the JSON body, exactly the bytes (UTF-8) that are signed and sent
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("事件时间"), default=timezone.now)
    #: no attempt is made after this (the retry window)
    expires_at = models.DateTimeField(_("重试截止"))
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("最近状态码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Webhook发送")
        verbose_name_plural = _("Webhook发送")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_key"], name="webhook_one_delivery_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.subscription}"

    @classmethod
    def window(cls) -> datetime.timedelta:
        return datetime.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


class Attempt(models.Model):
    """One try at sending a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("发送"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"))
    ok = models.BooleanField(_("成功"))
    status_code = models.PositiveSmallIntegerField(_("状态码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("用时（毫秒）"))

    class Meta:
        ordering = ["delivery_id", "number"]
        verbose_name = _("Webhook尝试")
        verbose_name_plural = _("Webhook尝试")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number")
        ]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"
