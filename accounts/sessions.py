"""Sessions: an idle limit (``SESSION_IDLE_MINUTES``) and an absolute one
(``SESSION_ABSOLUTE_HOURS`` after the sign-in), and each person's list of signed-in sessions
(``accounts.models.UserSession``) so they can end the others. Signing out flushes the session
from the store (Django's ``logout``) and drops it from the list."""

import time
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import passwords, signals
from accounts.models import UserSession
from accounts.throttling import client_address

STARTED = "session_started_at"
SEEN = "session_last_seen"
#: the last-seen time is written at most this often (seconds), not at every request
TOUCH_EVERY = 60


def _store(session_key=None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


@receiver(user_logged_in, dispatch_uid="accounts.sessions.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now
    request.session[passwords.EXEMPT_SESSION_KEY] = passwords.is_demo_account(user)
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "last_seen": timezone.now(),
            "ip_address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


@receiver(user_logged_out, dispatch_uid="accounts.sessions.signed_out")
def signed_out(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def end_other_sessions(request) -> int:
    """End every session of the signed-in person except this one; how many ended."""
    user = request.user
    others = UserSession.objects.filter(user=user).exclude(session_key=request.session.session_key)
    keys = list(others.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete()
    others.delete()
    signals.sessions_ended.send(
        sender=UserSession, user=user, by=user, request=request, count=len(keys)
    )
    return len(keys)


def _ended(request) -> str | None:
    """Why this signed-in session is over, or None."""
    now = time.time()
    started = request.session.get(STARTED)
    seen = request.session.get(SEEN)
    if started is None or seen is None:  # signed in before the limits: starts counting now
        return None
    absolute, idle = settings.SESSION_ABSOLUTE_HOURS, settings.SESSION_IDLE_MINUTES
    if absolute > 0 and now - started >= absolute * 3600:
        return _("登录已超过 %(hours)d 小时，请重新登录。") % {
            "hours": settings.SESSION_ABSOLUTE_HOURS
        }
    if idle > 0 and now - seen >= idle * 60:
        return _("您已 %(minutes)d 分钟没有操作，请重新登录。") % {
            "minutes": settings.SESSION_IDLE_MINUTES
        }
    return None


class SessionLimitsMiddleware:
    """Ends a session past its idle or absolute limit (signed out, back to the login page with
    the reason; the API answers 401 ``{"code": "session_expired"}``), else notes the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = _ended(request)
            if reason is not None:
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": "session_expired", "message": reason}, status=401)
                messages.warning(request, reason)
                login = reverse("login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            self._touch(request)
        return self.get_response(request)

    @staticmethod
    def _touch(request):
        now = time.time()
        session = request.session
        if STARTED not in session:
            session[STARTED] = now
        if now - session.get(SEEN, 0) < TOUCH_EVERY:
            return
        session[SEEN] = now
        key = session.session_key
        if key:
            updated = UserSession.objects.filter(session_key=key).update(last_seen=timezone.now())
            if not updated:
                UserSession.objects.create(
                    user=request.user,
                    session_key=key,
                    ip_address=client_address(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                )
