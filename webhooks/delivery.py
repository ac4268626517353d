"""Deliveries: made from events, sent, retried with back-off, given up, and the subscription
paused when it keeps failing.

- :func:`record` turns one event into one delivery per subscription that wants it (the
  unique key is the subscription and the event's key: an event told twice is delivered once).
- :func:`attempt` sends one delivery. It first claims it — an update that succeeds for one
  caller only, moving ``next_attempt_at`` past the request's time-out — so the task queued at
  commit, the beat's sweep and a second worker never send it twice at once; a worker that dies
  mid-send leaves the claim to run out and the sweep to send it again (at least once: receivers
  deduplicate on ``X-Event-Id``).
- A failed attempt is tried again after 1, 2, 4 … minutes (at most ``WEBHOOK_RETRY_MAX_SECONDS``
  apart), the last try at the end of the window (``WEBHOOK_RETRY_HOURS`` after the event); then
  the delivery is given up. A subscription whose given-up delivery saw no success of that
  subscription since its first try — every attempt of the window failed — is paused, or after
  ``WEBHOOK_PAUSE_AFTER_FAILURES`` failed attempts in a row when that is set, and
  ``webhook.paused`` tells its owner.
- :func:`send_due` is the beat's sweep (every minute): it queues what is due and gives up what
  waited out its window while the subscription was paused.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.events import DomainEvent
from core.tasks import enqueue_on_commit

from . import hotline, signing
from .models import Attempt, Delivery, DeliveryStatus, Kind, Subscription, absolute

logger = logging.getLogger(__name__)

USER_AGENT = "majorprojects-webhooks/1.0"
#: the most deliveries the sweep queues in one run (the rest wait a minute)
SWEEP_BATCH = 500
#: an answer's text kept with a failed attempt
ANSWER_CHARS = 200


# --- from events ------------------------------------------------------------------------------


def encode(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def object_url(event: DomainEvent) -> str | None:
    """The page of the event's object, where it has one."""
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return None
    if not hasattr(model, "get_absolute_url"):
        return None
    obj = model._default_manager.filter(pk=event.object_id).first()
    return absolute(obj.get_absolute_url()) if obj is not None else None


def event_body(event: DomainEvent) -> str:
    """What a subscription receives: the event as the stream carries it, and its page."""
    return encode({**event.as_dict(), "url": object_url(event)})


def record(event: DomainEvent) -> list[Delivery]:
    """The deliveries ``event`` makes, new ones only (none for an event already recorded)."""
    wanted = [
        subscription
        for subscription in Subscription.objects.filter(kind=Kind.CUSTOM).select_related("region")
        if subscription.wants(event.name, event.region)
    ]
    made = []
    if wanted:
        body = event_body(event)
        made += [_make(subscription, event, body) for subscription in wanted]
    callback = hotline.callback_body(event)
    if callback is not None:
        made.append(_make(hotline.subscription(), event, encode(callback)))
    return [delivery for delivery in made if delivery is not None]


def _make(subscription: Subscription, event: DomainEvent, body: str) -> Delivery | None:
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                subscription=subscription,
                event_key=event.key,
                event_name=event.name,
                body=body,
                created_at=event.at,
                expires_at=event.at + Delivery.window(),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:  # told before: delivered (or being delivered) once already
        return None


def queue(deliveries) -> None:
    """Send each delivery in a worker once the current transaction commits."""
    from .tasks import send_delivery

    for delivery in deliveries:
        if delivery.subscription.active:
            enqueue_on_commit(send_delivery, delivery.pk)


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to post the event to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``; any 2xx answer is success."""
    started = time.perf_counter()
    status_code, error = None, ""
    # the address is checked to be http(s) when the subscription is saved
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code = response.status
            response.read(ANSWER_CHARS)
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        text = exc.read(ANSWER_CHARS).decode("utf-8", "replace").strip()
        error = f"HTTP {exc.code}" + (f": {text}" if text else "")
    except urllib.error.URLError as exc:
        error = str(exc.reason)
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed address
        error = str(exc) or exc.__class__.__name__
    duration_ms = int((time.perf_counter() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    return Outcome(ok, status_code, error[:500], duration_ms)


def headers(delivery: Delivery, secret: str, number: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: delivery.event_key,
        signing.EVENT_NAME_HEADER: delivery.event_name,
        "X-Delivery-Attempt": str(number),
        signing.HEADER: signing.sign(secret, body),
    }


def target(subscription: Subscription) -> tuple[str, str]:
    """Where a subscription's deliveries go and the secret they are signed with."""
    if subscription.is_hotline:
        return settings.HOTLINE_CALLBACK_URL, settings.HOTLINE_CALLBACK_SECRET
    return subscription.url, subscription.secret


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, capped."""
    seconds = settings.WEBHOOK_RETRY_FIRST_SECONDS * 2 ** (attempts - 1)
    return datetime.timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    lease = now + datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    return bool(
        Delivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__active=True,
        ).update(next_attempt_at=lease)
    )


def attempt(delivery_id: int) -> str | None:
    """Send delivery ``delivery_id`` if it is due and nobody else is sending it; its status
    afterwards (None: not due, not pending, paused, or gone)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    url, secret = target(delivery.subscription)
    number = delivery.attempts + 1
    body = delivery.body.encode()
    if url:
        outcome = post(url, body, headers(delivery, secret, number, body))
    else:
        outcome = Outcome(False, None, _("未配置接收地址（HOTLINE_CALLBACK_URL）。"), 0)
    return _settle(delivery, number, now, outcome)


def _settle(delivery: Delivery, number: int, at: datetime.datetime, outcome: Outcome) -> str:
    subscription = delivery.subscription
    finished = timezone.now()
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            at=at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        changes = {
            "attempts": number,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        if outcome.ok:
            changes.update(
                status=DeliveryStatus.DELIVERED, delivered_at=finished, next_attempt_at=None
            )
            Subscription.objects.filter(pk=subscription.pk).update(
                failing_since=None, consecutive_failures=0
            )
        else:
            given_up = finished >= delivery.expires_at
            if given_up:
                changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
            else:
                changes["next_attempt_at"] = min(finished + backoff(number), delivery.expires_at)
            Subscription.objects.filter(pk=subscription.pk).update(
                failing_since=Coalesce(F("failing_since"), Value(at)),
                consecutive_failures=F("consecutive_failures") + 1,
            )
            subscription.refresh_from_db(fields=["failing_since", "consecutive_failures"])
            reason = _pause_reason(subscription, delivery, given_up)
            if reason:
                pause(subscription, reason)
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
    return changes.get("status", DeliveryStatus.PENDING)


def _pause_reason(subscription: Subscription, delivery: Delivery, given_up: bool) -> str:
    limit = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    if limit and subscription.consecutive_failures >= limit:
        return _("连续%(n)d次发送失败。") % {"n": subscription.consecutive_failures}
    if given_up and subscription.failing_since is not None:
        first = delivery.attempt_log.order_by("number").values_list("at", flat=True).first()
        if first is not None and subscription.failing_since <= first:
            return _(
                "事件 %(event)s 在%(hours)d小时内的%(n)d次发送全部失败，期间没有任何一次发送成功。"
            ) % {
                "event": delivery.event_name,
                "hours": settings.WEBHOOK_RETRY_HOURS,
                "n": delivery.attempts + 1,
            }
    return ""


def pause(subscription: Subscription, reason: str, by=None) -> bool:
    """Stop sending to ``subscription``; pending deliveries wait (until their window closes).
    Paused by the platform, its owner is told (``webhook.paused``). False: already paused."""
    now = timezone.now()
    paused = Subscription.objects.filter(pk=subscription.pk, active=True).update(
        active=False, paused_at=now, pause_reason=reason[:300]
    )
    if not paused:
        return False
    subscription.active, subscription.paused_at, subscription.pause_reason = False, now, reason
    if by is None:
        owner = subscription.owner
        events.publish(
            "webhook.paused",
            subscription,
            region=subscription.region_id,
            units=(owner.unit_id,) if owner is not None else (),
            payload={
                "owner": subscription.owner_id,
                "name": subscription.name,
                "url": subscription.url,
                "reason": reason,
            },
            key=f"webhook.paused:webhooks.subscription:{subscription.pk}:{now.isoformat()}",
        )
    return True


def resume(subscription: Subscription) -> list[int]:
    """Send to ``subscription`` again: its failure count starts over, deliveries still inside
    their window are due now, those past it are given up. The ids due now."""
    now = timezone.now()
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(
            active=True, paused_at=None, pause_reason="", failing_since=None, consecutive_failures=0
        )
        subscription.refresh_from_db()
        pending = subscription.deliveries.filter(status=DeliveryStatus.PENDING)
        _give_up_waiting(pending, now)
        due = list(pending.values_list("pk", flat=True)[:SWEEP_BATCH])
        pending.update(next_attempt_at=now)
    return due


def _give_up_waiting(deliveries, now: datetime.datetime) -> int:
    return deliveries.filter(expires_at__lt=now).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error=_("订阅暂停期间超过重试时限，未发送。"),
    )


def send_due() -> int:
    """The beat's sweep: queue every delivery whose next try is due (active subscriptions),
    give up those that waited out their window paused. The number queued."""
    from .tasks import send_delivery

    now = timezone.now()
    _give_up_waiting(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, subscription__active=False), now
    )
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, subscription__active=True, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        enqueue_on_commit(send_delivery, pk)
    return len(due)


def purge() -> int:
    """Finished deliveries older than ``WEBHOOK_KEEP_DAYS`` go, with their attempts."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.WEBHOOK_KEEP_DAYS)
    deleted, _by_model = (
        Delivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .delete()
    )
    return deleted
