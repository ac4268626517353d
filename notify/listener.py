"""Hearing every event: who is told (:mod:`.rules`), in the platform at once and outside it by
the workers (:mod:`.tasks`). Everything is keyed by the event's key, so hearing the same
happening twice stores and sends nothing more."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.events import DomainEvent

from . import rules
from .channels import masked
from .models import Channel, Delivery, DeliveryStatus, Notification, Preference, UnitChannel

logger = logging.getLogger(__name__)


def on_event(event: DomainEvent) -> None:
    found = rules.message_for(event)
    if found is None:
        return
    message, _obj = found
    urgent = event.name in rules.URGENT
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user,
                    event=event.name,
                    key=event.key,
                    title=message.title[:200],
                    body=message.body,
                    url=message.url,
                    urgent=urgent,
                    created_at=now,
                )
                for user in message.users
            ],
            ignore_conflicts=True,
        )
        Delivery.objects.bulk_create(outbound(event, message, urgent, now), ignore_conflicts=True)
        transaction.on_commit(lambda: enqueue(event.key))


def outbound(event: DomainEvent, message: rules.Message, urgent: bool, now) -> list[Delivery]:
    """The deliveries of ``message`` outside the platform: each person's e-mail and SMS by
    their settings, the units' group robots, the deployment's broadcast targets."""
    common = {
        "key": event.key,
        "event": event.name,
        "subject": message.title[:200],
        "body": _text(message),
        "urgent": urgent,
        "created_at": now,
        "region_id": event.region,
    }
    found = []
    preferences = {
        p.user_id: p for p in Preference.objects.filter(user__in=[u.pk for u in message.users])
    }
    for user in message.users:
        preference = preferences.get(user.pk) or Preference(user=user)
        if event.name in preference.muted:
            continue
        timing = _timing(preference, urgent, now)
        if preference.email and user.email:
            status = DeliveryStatus.DIGEST if preference.digest and not urgent else timing[0]
            found.append(
                Delivery(
                    **common,
                    channel=Channel.EMAIL,
                    recipient_key=f"user:{user.pk}",
                    user=user,
                    target=user.email,
                    status=status,
                    not_before=timing[1],
                )
            )
        if preference.sms and user.phone and settings.NOTIFY_SMS_URL:
            found.append(
                Delivery(
                    **common,
                    channel=Channel.SMS,
                    recipient_key=f"user:{user.pk}",
                    user=user,
                    target=user.phone[:3] + "****" + user.phone[-4:],
                    status=timing[0],
                    not_before=timing[1],
                )
            )
    for channel in UnitChannel.objects.filter(unit_id__in=message.units, active=True):
        if channel.events and event.name not in channel.events:
            continue
        found.append(
            Delivery(
                **common,
                channel=Channel.ROBOT,
                recipient_key=f"unit-channel:{channel.pk}",
                unit_channel=channel,
                target=masked(channel.url),
                not_before=now,
            )
        )
    for index, url in enumerate(settings.NOTIFY_BROADCAST_URLS):
        found.append(
            Delivery(
                **common,
                channel=Channel.BROADCAST,
                recipient_key=f"broadcast:{index}",
                target=masked(url),
                not_before=now,
            )
        )
    return found


def _timing(preference: Preference, urgent: bool, now):
    """(status, not before): held to the end of the quiet hours unless urgent."""
    if not urgent and preference.quiet_at(now):
        return DeliveryStatus.HELD, preference.quiet_ends(now)
    return DeliveryStatus.PENDING, now


def _text(message: rules.Message) -> str:
    from .channels import absolute

    link = absolute(message.url)
    return f"{message.body}\n{link}".strip()


def enqueue(key: str) -> None:
    """Hand the deliveries of ``key`` that are due to the workers."""
    from .tasks import deliver

    due = Delivery.objects.filter(
        key=key, status=DeliveryStatus.PENDING, not_before__lte=timezone.now()
    ).values_list("pk", flat=True)
    for pk in due:
        try:
            deliver.delay(pk)
        except Exception as error:
            # No broker: nothing is sent from here (this may be a web request). The deliveries
            # stay pending and the periodic job (notify.tasks.send_due) sends them.
            logger.warning("could not queue the deliveries of %s: %s", key, error)
            return
