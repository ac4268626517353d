"""Writing the audit trail: :func:`record` adds one row; :func:`purge` removes rows past the
retention period.

A row made while a request is being answered takes the client's address (the same rule as the
sign-in throttle, :func:`accounts.throttling.client_address`, trusting ``TRUSTED_PROXY_COUNT``
proxies), its user agent and, unless told otherwise, its signed-in user from that request:
:class:`audit.middleware.AuditMiddleware` keeps the request at hand for code that has none
(a model's change history, a business step's event).
"""

from __future__ import annotations

import contextvars
import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.throttling import client_address

from .models import MIN_RETENTION_DAYS, Action, AuditEntry, Outcome

_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


def current_request():
    """The request being answered in this thread (None outside a request)."""
    return _current_request.get()


def set_request(request) -> contextvars.Token:
    return _current_request.set(request)


def reset_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def _signed_in(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record(
    action: str,
    *,
    request=None,
    user=None,
    username: str | None = None,
    obj=None,
    object_type: str = "",
    object_id="",
    object_text: str = "",
    outcome: str = Outcome.SUCCESS,
    detail: dict | None = None,
    event_key: str | None = None,
    at: datetime.datetime | None = None,
) -> AuditEntry:
    """Add one row: ``action`` (an :class:`audit.models.Action`) by ``user`` (default: the
    request's signed-in user) on ``obj`` (or ``object_type``/``object_id``/``object_text``)."""
    request = request if request is not None else current_request()
    if user is None and request is not None:
        user = _signed_in(request)
    if user is not None and not getattr(user, "pk", None):
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_text = object_text or str(obj)
    roles = ""
    if user is not None:
        roles = ",".join(sorted(user.roles.values_list("code", flat=True)))
        if user.is_superuser:
            roles = ",".join(filter(None, ["superuser", roles]))
    meta = getattr(request, "META", {}) if request is not None else {}
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        user=user,
        username=(username if username is not None else getattr(user, "username", ""))[:150],
        roles=roles[:200],
        address=client_address(request)[:45] if request is not None else "",
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        action=action,
        object_type=object_type[:100],
        object_id=str(object_id if object_id is not None else "")[:64],
        object_text=str(object_text)[:300],
        outcome=outcome,
        detail=detail or {},
        event_key=event_key,
    )


def retention_days() -> int:
    """``AUDIT_RETENTION_DAYS``, never fewer than 180."""
    return max(MIN_RETENTION_DAYS, int(getattr(settings, "AUDIT_RETENTION_DAYS", 0) or 0))


def purge(*, by=None, now: datetime.datetime | None = None) -> int:
    """Remove the rows older than the retention period, and record that it was done (how many,
    up to when). On PostgreSQL the append-only trigger lets these deletions through only
    because this transaction names the cut-off (``SET LOCAL audit.purge_before``) and only for
    rows older than that and older than 180 days by the database's own clock."""
    days = retention_days()
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('audit.purge_before', %s, true)", [cutoff.isoformat()]
                )
        old = AuditEntry.objects.filter(at__lt=cutoff)
        removed = old._raw_delete(old.db)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.purge_before', '', true)")
        record(
            Action.PURGE,
            user=by,
            object_type=AuditEntry._meta.label_lower,
            object_text=f"{cutoff:%Y-%m-%d %H:%M} 以前的审计记录",
            detail={"removed": removed, "before": cutoff.isoformat(), "retention_days": days},
        )
    return removed
