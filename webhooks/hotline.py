"""即时反馈: what becomes of a 12345 hotline ticket goes back to the hotline system.

Every status change of an issue that came from the hotline (``source = hotline_12345``) — and
each progress note of the handling unit — is posted to ``HOTLINE_CALLBACK_URL`` with the
ticket's ``external_id``, its new status and the timeline's comment, signed with
``HOTLINE_CALLBACK_SECRET``. It travels as a delivery of the one hotline subscription, so it is
signed, retried, logged and paused exactly like any other webhook.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.events import DomainEvent
from issues.models import Issue, Level, Source, Status

from .models import Kind, Subscription, absolute

#: steps that tell the hotline something although the status stays (a note of progress, an
#: escalation that leaves the ticket "reported" one level up)
ALWAYS_TOLD = frozenset({"issue.note", "issue.escalate"})
#: statuses after which the ticket's 办理结果 is sent along
RESOLVED = frozenset({Status.RESOLVED, Status.CONFIRMED, Status.CLOSED})


def configured() -> bool:
    return bool(settings.HOTLINE_CALLBACK_URL)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def callback_body(event: DomainEvent) -> dict | None:
    """The hotline's callback for ``event``, or None when the event is not a change of a
    hotline ticket (or no callback is configured)."""
    if not configured() or event.object_type != "issues.issue":
        return None
    before, after = event.payload.get("from"), event.payload.get("to")
    if event.name not in ALWAYS_TOLD and (not after or before == after):
        return None
    issue = (
        Issue.objects.filter(pk=event.object_id, source=Source.HOTLINE_12345)
        .exclude(external_id="")
        .only("pk", "external_id", "level", "resolution")
        .first()
    )
    if issue is None:
        return None
    body = {
        "external_id": issue.external_id,
        "issue_id": issue.pk,
        "event": event.name,
        "event_id": event.key,
        "status": after,
        "status_label": _label(Status, after),
        "previous_status": before,
        "level": issue.level,
        "level_label": _label(Level, issue.level),
        "comment": event.payload.get("comment", ""),
        "at": event.at.isoformat(),
    }
    if after in RESOLVED:
        body["resolution"] = issue.resolution
    body["url"] = absolute(issue.get_absolute_url())
    return body


def subscription() -> Subscription:
    """The hotline's subscription, made the first time it is needed; its address follows the
    setting."""
    url = settings.HOTLINE_CALLBACK_URL
    found = Subscription.objects.filter(kind=Kind.HOTLINE).first()
    if found is None:
        try:
            with transaction.atomic():
                found = Subscription.objects.create(
                    kind=Kind.HOTLINE,
                    name=_("12345热线回调"),
                    url=url,
                    secret="",
                    events=["issue.*"],
                )
        except IntegrityError:  # made at the same moment by another worker
            found = Subscription.objects.get(kind=Kind.HOTLINE)
    if url and found.url != url:
        Subscription.objects.filter(pk=found.pk).update(url=url)
        found.url = url
    return found
