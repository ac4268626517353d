"""Reading the audit trail: who may, and the rows a filter asks for."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role

from .models import AuditEntry


def can_read(user) -> bool:
    """The audit administrator only (三权分立): not the system administrator, not a superuser
    without the role."""
    return user.is_authenticated and user.is_active and Role.Code.AUDIT_ADMIN in user.role_codes


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied("仅审计管理员可以查看审计记录。")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered(data: dict):
    """The rows matching a valid filter form's ``cleaned_data``."""
    rows = AuditEntry.objects.select_related("user")
    if who := (data.get("user") or "").strip():
        rows = rows.filter(Q(username__icontains=who) | Q(user__full_name__icontains=who))
    if action := data.get("action"):
        rows = rows.filter(action=action)
    if outcome := data.get("outcome"):
        rows = rows.filter(outcome=outcome)
    if what := (data.get("object") or "").strip():
        kind, _sep, number = what.partition("#")
        if number.strip():
            rows = rows.filter(object_type__icontains=kind.strip(), object_id=number.strip())
        else:
            rows = rows.filter(
                Q(object_type__icontains=what) | Q(object_text__icontains=what) | Q(object_id=what)
            )
    if start := data.get("date_from"):
        rows = rows.filter(at__gte=_day_start(start))
    if end := data.get("date_to"):
        rows = rows.filter(at__lt=_day_start(end + datetime.timedelta(days=1)))
    return rows
