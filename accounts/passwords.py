"""Password policy (等保 2.0 level 3): 8 characters or more from at least 3 of 4 classes, none
of the last ``PASSWORD_HISTORY_COUNT``, changed every ``PASSWORD_MAX_AGE_DAYS`` days, and an
initial password set by an administrator changed at the next sign-in.

The two validators sit in ``AUTH_PASSWORD_VALIDATORS``; ``HistoryValidator.password_changed``
(Django calls it whenever a user is saved with a new password) keeps the hashes and the date.
``PasswordPolicyMiddleware`` sends a signed-in person whose password must change to the change
page (the API answers 403 with a code); accounts.tokens does the same for tokens.
"""

import datetime
import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import PasswordHistory, User

#: the reasons a password must change, with the code the API answers
FIRST_LOGIN = "password_change_required"
EXPIRED = "password_expired"
#: session key: this signed-in person is spared expiry and first change (demo accounts)
EXEMPT_SESSION_KEY = "password_policy_exempt"


def _classes(password: str) -> int:
    tests = (
        lambda c: c.isupper(),
        lambda c: c.islower(),
        lambda c: c.isdigit(),
        lambda c: not c.isalnum() or c in string.punctuation,
    )
    return sum(any(test(char) for char in password) for test in tests)


class ComplexityValidator:
    """At least ``PASSWORD_MIN_LENGTH`` characters from at least ``PASSWORD_MIN_CLASSES`` of
    upper case, lower case, digits and symbols."""

    def validate(self, password, user=None):
        errors = []
        if len(password) < settings.PASSWORD_MIN_LENGTH:
            errors.append(
                ValidationError(
                    _("密码太短，至少需要 %(min)d 个字符。")
                    % {"min": settings.PASSWORD_MIN_LENGTH},
                    code="password_too_short",
                )
            )
        if _classes(password) < settings.PASSWORD_MIN_CLASSES:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(n)d 类。")
                    % {"n": settings.PASSWORD_MIN_CLASSES},
                    code="password_too_simple",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return _("至少 %(min)d 个字符，包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {
            "min": settings.PASSWORD_MIN_LENGTH,
            "n": settings.PASSWORD_MIN_CLASSES,
        }


class HistoryValidator:
    """Not the current password nor one of the last ``PASSWORD_HISTORY_COUNT``."""

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        count = settings.PASSWORD_HISTORY_COUNT
        hashes = [user.password] if user.password else []
        hashes += PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
            :count
        ]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": count},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        now = timezone.now()
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            : settings.PASSWORD_HISTORY_COUNT
        ]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self):
        return _("不能与最近 %(n)d 次使用过的密码相同。") % {"n": settings.PASSWORD_HISTORY_COUNT}


def is_demo_account(user) -> bool:
    """A demo account, when the setting spares them: its password is the published one."""
    return bool(
        settings.PASSWORD_POLICY_EXEMPT_DEMO
        and user.password
        and check_password(settings.DEMO_PASSWORD, user.password)
    )


def change_required(user, session=None) -> str | None:
    """Why ``user`` must change their password before anything else (``FIRST_LOGIN`` or
    ``EXPIRED``), or None. Machine accounts (token only) and, by the setting, demo accounts
    are spared."""
    if not user.is_authenticated or user.is_machine:
        return None
    if session is not None and session.get(EXEMPT_SESSION_KEY):
        return None
    if user.must_change_password:
        return FIRST_LOGIN
    days = settings.PASSWORD_MAX_AGE_DAYS
    changed = user.password_changed_at
    if days > 0 and changed is not None:
        if timezone.now() >= changed + datetime.timedelta(days=days):
            return EXPIRED
    return None


def message(reason: str) -> str:
    if reason == FIRST_LOGIN:
        return _("您正在使用管理员设置的初始密码，请先修改密码。")
    return _("您的密码已使用超过 %(days)d 天，请修改密码后继续。") % {
        "days": settings.PASSWORD_MAX_AGE_DAYS
    }


#: pages a person whose password must change may still open
_OPEN_PATHS = ("/static/", "/i18n/", "/healthz/", "/favicon", "/accounts/otp/")


class PasswordPolicyMiddleware:
    """A signed-in person whose password must change sees only the change page (and can sign
    out); the API answers 403 ``{"code": "password_expired" | "password_change_required"}``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = change_required(user, request.session)
            if reason is not None and not self._open(request.path):
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": reason, "message": message(reason)}, status=403)
                change = reverse("password_change")
                return redirect(f"{change}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        allowed = (reverse("password_change"), reverse("logout"), reverse("login"))
        return path in allowed or path.startswith(_OPEN_PATHS)
