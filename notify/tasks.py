"""The workers' side: send one delivery (claimed once, so two workers never send it twice),
retry a failure later with back-off, send what the quiet hours held, the daily digests, and
forget old notifications."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .channels import SendFailed, send_apprise, send_email
from .models import Channel, Delivery, DeliveryStatus, Notification

logger = logging.getLogger(__name__)


def _claim(pk: int) -> Delivery | None:
    """Take the delivery for this worker: only one worker gets it, and only when due."""
    now = timezone.now()
    taken = Delivery.objects.filter(
        pk=pk,
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.HELD),
        not_before__lte=now,
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1)
    if not taken:
        return None
    return Delivery.objects.select_related("unit_channel", "user").get(pk=pk)


def _url_of(delivery: Delivery) -> str:
    if delivery.channel == Channel.ROBOT:
        return delivery.unit_channel.url
    if delivery.channel == Channel.SMS:
        return settings.NOTIFY_SMS_URL.replace("{phone}", delivery.user.phone)
    index = int(delivery.recipient_key.split(":", 1)[1])
    return settings.NOTIFY_BROADCAST_URLS[index]


def send(delivery: Delivery) -> None:
    if delivery.channel == Channel.EMAIL:
        send_email(delivery.target, delivery.subject, delivery.body)
    else:
        send_apprise(_url_of(delivery), delivery.subject, delivery.body)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 … minutes after the attempt that failed, at most two hours."""
    return datetime.timedelta(minutes=min(2 ** (attempts - 1), 120))


@shared_task(acks_late=True)
def deliver(pk: int) -> str:
    delivery = _claim(pk)
    if delivery is None:
        return "skipped"
    try:
        send(delivery)
    except (SendFailed, IndexError, AttributeError) as error:
        failed = delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
        Delivery.objects.filter(pk=pk).update(
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
            not_before=timezone.now() + backoff(delivery.attempts),
            last_error=str(error)[:2000],
        )
        logger.warning("delivery %s failed (attempt %s): %s", pk, delivery.attempts, error)
        return "failed" if failed else "retry"
    Delivery.objects.filter(pk=pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


@shared_task
def send_due() -> int:
    """Send what is due: held by quiet hours, waiting for a retry, or not handed over."""
    now = timezone.now()
    stuck = now - datetime.timedelta(minutes=30)
    # a worker killed while sending: the delivery is tried again
    Delivery.objects.filter(status=DeliveryStatus.SENDING, not_before__lt=stuck).update(
        status=DeliveryStatus.PENDING
    )
    due = list(
        Delivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.HELD), not_before__lte=now
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        deliver(pk)
    return len(due)


@shared_task
def send_digests() -> int:
    """One e-mail per person with everything gathered for their digest since the last one."""
    waiting = Delivery.objects.filter(status=DeliveryStatus.DIGEST).order_by("created_at", "pk")
    by_person: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in waiting:
        by_person[delivery.target].append(delivery)
    sent = 0
    for address, items in by_person.items():
        with transaction.atomic():
            claimed = Delivery.objects.filter(
                pk__in=[d.pk for d in items], status=DeliveryStatus.DIGEST
            ).update(status=DeliveryStatus.SENDING)
            if not claimed:
                continue
        subject = _("每日通知汇总（%(n)s条）") % {"n": len(items)}
        body = "\n\n".join(f"· {d.subject}\n{d.body}" for d in items)
        try:
            send_email(address, subject, body)
        except SendFailed as error:
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                status=DeliveryStatus.DIGEST, last_error=str(error)[:2000]
            )
            continue
        Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now()
        )
        sent += 1
    return sent


@shared_task
def purge() -> int:
    """Notifications older than ``NOTIFY_KEEP_DAYS`` go, with their finished deliveries."""
    before = timezone.now() - datetime.timedelta(days=settings.NOTIFY_KEEP_DAYS)
    removed, _detail = Notification.objects.filter(created_at__lt=before).delete()
    Delivery.objects.filter(
        Q(status__in=(DeliveryStatus.SENT, DeliveryStatus.FAILED)), created_at__lt=before
    ).delete()
    return removed
