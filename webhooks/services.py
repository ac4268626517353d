"""Managing subscriptions: the only code that creates, changes, pauses, resumes or removes one.

Office staff manage subscriptions for their region and below, system administrators every one;
the page and the API call these functions and show their refusals. A subscription's region
must lie within its owner's scope (the person who created it), so it never carries an event
its owner could not open. The 12345 hotline's subscription comes from the settings: it can be
paused and resumed here, nothing else.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Region
from core.exceptions import DomainError, NotPermitted
from core.tasks import enqueue_on_commit

from . import delivery
from .matching import clean_events
from .models import Kind, Subscription, new_secret

EDITABLE = ("name", "url", "events", "region", "active")


def may_manage(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_office_staff or user.sees_everything)
    )


def check_manager(user) -> None:
    if not may_manage(user):
        raise NotPermitted(
            _("只有重大办工作人员和系统管理员可以管理Webhook订阅。"), code="not_permitted"
        )


def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写名称。"), code="required", field="name")
    return name[:100]


def _clean_url(url) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError(_("请填写接收地址。"), code="required", field="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise DomainError(
            _("接收地址应为以 http:// 或 https:// 开头的完整网址。"),
            code="invalid_url",
            field="url",
        ) from None
    return url


def _clean_region(region: Region | None, owner) -> Region:
    if region is None:
        raise DomainError(_("请选择地区。"), code="required", field="region")
    if owner is not None and not owner.sees_everything:
        prefix = owner.scope_prefix
        if prefix is None or not region.code.startswith(prefix):
            raise DomainError(
                _("只能订阅创建人管辖范围内的地区（%(region)s及其下级地区）。")
                % {"region": owner.region.name if owner.region_id else _("无")},
                code="region_out_of_scope",
                field="region",
            )
    return region


def subscription_create(*, by, name, url, events, region, active: bool = True) -> Subscription:
    """A new subscription owned by ``by``, with a fresh secret."""
    check_manager(by)
    return Subscription.objects.create(
        kind=Kind.CUSTOM,
        name=_clean_name(name),
        url=_clean_url(url),
        events=clean_events(events),
        region=_clean_region(region, by),
        owner=by,
        active=bool(active),
        secret=new_secret(),
    )


def subscription_update(subscription: Subscription, *, by, **changes) -> Subscription:
    """Change what is given of name, address, events, region and ``active`` (pause/resume)."""
    check_manager(by)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    active = changes.pop("active", None)
    if subscription.is_hotline and changes:
        raise DomainError(
            _(
                "12345热线回调的地址和密钥由部署设置（HOTLINE_CALLBACK_URL、HOTLINE_CALLBACK_SECRET）"
                "决定，这里只能暂停或恢复。"
            ),
            code="hotline_settings",
        )
    cleaners = {
        "name": _clean_name,
        "url": _clean_url,
        "events": clean_events,
        "region": lambda value: _clean_region(value, subscription.owner),
    }
    with transaction.atomic():
        for field, value in changes.items():
            setattr(subscription, field, cleaners[field](value))
        if changes:
            subscription.save(update_fields=[*changes, "updated_at"])
        if active is not None and bool(active) != subscription.active:
            if active:
                subscription_resume(subscription, by=by)
            else:
                subscription_pause(subscription, by=by)
    return subscription


def subscription_pause(subscription: Subscription, *, by) -> Subscription:
    check_manager(by)
    delivery.pause(subscription, _("由%(user)s手动暂停。") % {"user": by}, by=by)
    return subscription


def subscription_resume(subscription: Subscription, *, by) -> Subscription:
    """Send again; deliveries still inside their retry window go out at once."""
    from .tasks import send_delivery

    check_manager(by)
    for pk in delivery.resume(subscription):
        enqueue_on_commit(send_delivery, pk)
    return subscription


def subscription_rotate_secret(subscription: Subscription, *, by) -> Subscription:
    """A new secret; the old one stops working at once."""
    check_manager(by)
    if subscription.is_hotline:
        raise DomainError(
            _("12345热线回调的密钥由部署设置 HOTLINE_CALLBACK_SECRET 决定。"),
            code="hotline_settings",
        )
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def subscription_delete(subscription: Subscription, *, by) -> None:
    """Remove a subscription with its deliveries and their log."""
    check_manager(by)
    if subscription.is_hotline:
        raise DomainError(
            _(
                "12345热线回调由部署设置 HOTLINE_CALLBACK_URL 开启，不能删除；"
                "不再需要时清空该设置，或在此暂停。"
            ),
            code="hotline_settings",
        )
    subscription.delete()


def may_see_secret(subscription: Subscription, user) -> bool:
    """The secret is shown to the subscription's owner only (and once to whoever sets a new
    one): the platform keeps it to sign, so it can be shown again, but nobody else needs it."""
    return (
        not subscription.is_hotline
        and user is not None
        and subscription.owner_id is not None
        and subscription.owner_id == user.pk
    )
