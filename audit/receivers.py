"""Where the audit trail listens (connected in :meth:`audit.apps.AuditConfig.ready`).

- signing in and out: Django's ``user_logged_in``, ``user_login_failed`` (with the username as
  typed, on the login page, the admin and the token endpoint alike), ``user_logged_out``;
  django-axes' ``user_locked_out``;
- the account signals of :mod:`accounts.signals`: password changes, unlocks, API tokens issued
  and revoked, other sessions ended, two-factor devices added and reset;
- every create, update and delete of business data: each change-history row
  (django-simple-history) gives one audit row naming the object, its model and the fields
  changed — the meta-test (tests/test_audit_history.py) sees that every business model keeps a
  history;
- the Django admin's own log (``LogEntry``) and changes of a person's roles;
- the event stream (:mod:`core.events`): a step a person took (交办, 批复, 报送 …) is one
  "业务办理" row under the event's key, so a step told twice is recorded once. Jobs of the
  platform itself (sweeps, reminders, generated documents) are not recorded here: their event
  tables keep them already.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import IntegrityError, transaction

from core.events import CATALOGUE

from .models import Action, Outcome
from .services import current_request, record

# --- signing in and out -----------------------------------------------------------------------


def logged_in(sender, request, user, **kwargs):
    record(Action.LOGIN, request=request, user=user, obj=user)


def login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", "") or "")
    record(
        Action.LOGIN_FAILED,
        request=request,
        username=username,
        object_type="accounts.user",
        object_text=username,
        outcome=Outcome.FAILED,
    )


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, request=request, user=user, obj=user)


def locked_out(sender, request=None, username=None, ip_address=None, user=None, **kwargs):
    """A username or an address locked after too many failed sign-ins (accounts' own
    ``user_locked_out``, or django-axes' of the same name)."""
    detail = {"ip_address": ip_address}
    if kwargs.get("until") is not None:
        detail["until"] = kwargs["until"]
    if kwargs.get("kind"):
        detail["kind"] = str(kwargs["kind"])
    record(
        Action.LOCKOUT,
        request=request,
        user=None,
        username=str(username or ""),
        object_type="accounts.user",
        object_id=getattr(user, "pk", "") or "",
        object_text=str(username or ip_address or ""),
        outcome=Outcome.REFUSED,
        detail=detail,
    )


# --- accounts.signals -------------------------------------------------------------------------


def _account_event(action: str, **extra_detail):
    def receiver(sender, user=None, by=None, request=None, **kwargs):
        detail = {key: kwargs.get(key) for key in extra_detail if kwargs.get(key) is not None}
        target_text = str(user) if user is not None else str(kwargs.get("username") or "")
        record(
            action,
            request=request,
            user=by,
            object_type="accounts.user",
            object_id=getattr(user, "pk", "") or "",
            object_text=target_text,
            detail={
                **detail,
                **({"target": user.username} if user is not None else {}),
            },
        )

    return receiver


def _token_detail(sender, user=None, by=None, request=None, token=None, **kwargs):
    detail = {"target": getattr(user, "username", "")}
    if token is not None:
        detail["token_key_prefix"] = token.key[:8]
    if kwargs.get("expires_at") is not None:
        detail["expires_at"] = kwargs["expires_at"]
    if kwargs.get("token_key_prefix"):
        detail["token_key_prefix"] = kwargs["token_key_prefix"]
    return detail


def token_created(sender, user=None, by=None, request=None, **kwargs):
    record(
        Action.TOKEN_CREATED,
        request=request,
        user=by,
        object_type="accounts.user",
        object_id=getattr(user, "pk", "") or "",
        object_text=str(user or ""),
        detail=_token_detail(sender, user=user, **kwargs),
    )


def token_revoked(sender, user=None, by=None, request=None, **kwargs):
    record(
        Action.TOKEN_REVOKED,
        request=request,
        user=by,
        object_type="accounts.user",
        object_id=getattr(user, "pk", "") or "",
        object_text=str(user or ""),
        detail=_token_detail(sender, user=user, **kwargs),
    )


password_changed = _account_event(Action.PASSWORD, reason=True)
account_unlocked = _account_event(Action.UNLOCK, username=True, ip_address=True)
sessions_ended = _account_event(Action.SESSIONS_ENDED, count=True)
otp_device_added = _account_event(Action.OTP_ADDED)
otp_device_reset = _account_event(Action.OTP_RESET)


# --- change history of business data ------------------------------------------------------------

_HISTORY_ACTIONS = {"+": Action.CREATE, "~": Action.UPDATE, "-": Action.DELETE}


def history_recorded(sender, instance, history_instance, history_user=None, **kwargs):
    """One audit row per change-history row: what, which object, which fields changed."""
    action = _HISTORY_ACTIONS.get(history_instance.history_type)
    if action is None:
        return
    detail = {"history_id": history_instance.history_id}
    if action == Action.UPDATE:
        previous = history_instance.prev_record
        if previous is not None:
            delta = history_instance.diff_against(previous)
            detail["changed"] = sorted(change.field for change in delta.changes)
            if not detail["changed"]:
                return  # only fields the history leaves out (a sign-in's last_login)
    user = history_user if history_user is not None else None
    record(action, user=user, obj=instance, detail=detail)


# --- the admin, roles ---------------------------------------------------------------------------

_ADMIN_FLAGS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def admin_logged(sender, instance: LogEntry, created, **kwargs):
    if not created:
        return
    record(
        Action.ADMIN,
        user=instance.user,
        object_type=instance.content_type.model_class()._meta.label_lower
        if instance.content_type_id and instance.content_type.model_class()
        else "",
        object_id=instance.object_id or "",
        object_text=instance.object_repr,
        detail={
            "flag": _ADMIN_FLAGS.get(instance.action_flag, instance.action_flag),
            "message": instance.get_change_message(),
        },
    )


def roles_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A person's roles changed (``user.roles`` from either side)."""
    from accounts.models import Role, User

    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if action == "pre_clear":
        # what is about to go: the codes held now
        pk_set = (
            set(instance.roles.values_list("pk", flat=True))
            if not reverse
            else set(instance.users.values_list("pk", flat=True))
        )
    if not pk_set:
        return
    change = "removed" if action in {"post_remove", "pre_clear"} else "added"
    people = [instance] if not reverse else list(User.objects.filter(pk__in=pk_set))
    codes = sorted(pk_set) if not reverse else [instance.pk]
    for person in people:
        person.__dict__.pop("role_codes", None)
        record(
            Action.ROLES,
            obj=person,
            object_text=person.username,
            detail={change: codes, "names": [str(r) for r in Role.objects.filter(pk__in=codes)]},
        )


# --- the event stream ---------------------------------------------------------------------------


def business_step(event) -> None:
    """A step a person took, told by the event stream after it committed."""
    if event.actor_id is None:
        return
    from accounts.models import User

    actor = User.objects.filter(pk=event.actor_id).first()
    # a step with a row of its own has a key naming that row; the default key names only the
    # object (every update of a form has the same one) and does not tell two steps apart
    default_key = f"{event.name}:{event.object_type}:{event.object_id}"
    key = event.key[:200] if event.key and event.key != default_key else None
    try:
        with transaction.atomic():
            record(
                Action.STEP,
                request=current_request(),
                user=actor,
                object_type=event.object_type,
                object_id=event.object_id,
                detail={
                    "event": event.name,
                    "step": CATALOGUE[event.name].when if event.name in CATALOGUE else "",
                    "region": event.region,
                    "project": event.project_id,
                },
                event_key=key,
                at=event.at,
            )
    except IntegrityError:  # told before: recorded once
        pass
