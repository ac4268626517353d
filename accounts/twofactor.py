"""The second factor (TOTP, django-otp): required for the administrators, optional for everyone
else, with one-time recovery codes.

- An administrator (system, security or audit administrator, or a superuser) who has signed in
  with their password must first set up an authenticator app (a QR code drawn on the server as
  SVG, or the key typed in) and then give its 6-digit code before any page opens (the admin
  included); :class:`TwoFactorMiddleware` sends them to set-up or verification, and the API
  refuses their page session with 403 ``otp_required`` until then. Tokens of other systems are
  not concerned.
- Anyone else may switch it on (and off again) on 双因素认证; once on, it is asked for at every
  sign-in in the same way.
- Setting up gives 10 recovery codes, each usable once in place of a code (shown once; new ones
  can be made, which voids the old).
- A security administrator resets a person's second factor (a lost phone): the person sets it up
  again at their next sign-in.

The events are sent as ``accounts.signals.otp_device_added`` and ``otp_device_reset``.
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import signals
from .duties import ADMINISTRATOR_ROLES
from .models import User
from .security_views import security_admin_required

#: the roles for which the second factor is required (三权分立's administrators)
REQUIRED_ROLES = ADMINISTRATOR_ROLES
#: whether a person's optional second factor is on, noted in the session at sign-in (so that
#: the door asks the database nothing on an ordinary page)
SESSION_KEY = "otp_enabled"
RECOVERY_CODES = 10
TOTP_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"


def required_for(user) -> bool:
    return user.is_superuser or bool(user.role_codes & REQUIRED_ROLES)


def enabled_for(user) -> bool:
    """Whether ``user`` has a confirmed authenticator."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def asked_of(request, user) -> bool:
    """Whether a second factor is asked of ``user``: always of an administrator (a role given
    during a session counts at once), of anyone else once they have switched it on."""
    if required_for(user):
        return True
    enabled = request.session.get(SESSION_KEY)
    if enabled is None:  # a session from before this was noted
        enabled = request.session[SESSION_KEY] = enabled_for(user)
    return enabled


@receiver(user_logged_in)
def _note_at_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = enabled_for(user)


# --- the door -----------------------------------------------------------------------------------

#: open to a person who has not yet given their second factor (their own pages, sign-out, assets)
_OPEN_PREFIXES = ("/accounts/otp/", "/static/", "/i18n/", "/healthz/", "/favicon")


class TwoFactorMiddleware:
    """After the password, the second factor: a person of whom it is asked sees only the set-up
    or verification page (and can sign out) until they give it. Follows django-otp's
    OTPMiddleware, which tells whether the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and asked_of(request, user)
            and not self._open(request.path)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "otp_required", "message": _("请先在网页上完成双因素认证。")},
                    status=403,
                )
            page = "otp-verify" if enabled_for(user) else "otp-setup"
            return redirect_to_login(request.get_full_path(), reverse(page))
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path in (reverse("logout"), reverse("login")) or path.startswith(_OPEN_PREFIXES)


# --- forms -------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": gettext_lazy("请输入验证码。")},
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=_("身份验证器二维码"))


def _recovery_codes(user) -> list[str]:
    """Ten new one-time codes; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _show_codes(request, codes: list[str], next_url: str):
    return render(request, "security/otp_recovery.html", {"codes": codes, "next": next_url})


# --- pages -------------------------------------------------------------------------------------


@login_required
def setup(request):
    """Set up the authenticator: scan (or type) the key, give one code; then the recovery codes."""
    user = request.user
    if enabled_for(user):
        return redirect("otp-manage")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _recovery_codes(user)
            otp_login(request, device)
            request.session[SESSION_KEY] = True
            signals.otp_device_added.send(
                sender=TOTPDevice, user=user, by=user, request=request, device=device
            )
            return _show_codes(request, codes, _next(request))
        form.add_error("code", _("验证码不正确，请确认手机时间准确后输入当前显示的 6 位数字。"))
    return render(
        request,
        "security/otp_setup.html",
        {
            "form": form,
            "qr": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 — segno's own SVG
            "secret": base64.b32encode(device.bin_key).decode(),
            "required": required_for(user),
            "next": _next(request),
        },
    )


@login_required
def verify(request):
    """The second step of signing in: a code of the authenticator or a recovery code."""
    user = request.user
    if not enabled_for(user):
        if required_for(user):
            return redirect_to_login(_next(request), reverse("otp-setup"))
        request.session[SESSION_KEY] = False  # switched off or reset meanwhile
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _("已使用一个恢复码，还剩 %(n)d 个。请尽快找回手机或重新生成恢复码。")
                    % {"n": left},
                )
            return redirect(_next(request))
        form.add_error("code", _("验证码不正确或已使用，请重新输入。"))
    return render(request, "security/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def manage(request):
    """双因素认证: whether it is on, switch it on (or off unless required), new recovery codes."""
    user = request.user
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    return render(
        request,
        "security/otp_manage.html",
        {
            "enabled": enabled_for(user),
            "required": required_for(user),
            "codes_left": recovery.token_set.count() if recovery else 0,
        },
    )


@login_required
@require_POST
def new_codes(request):
    user = request.user
    if not enabled_for(user) or not user.is_verified():
        raise PermissionDenied(_("请先完成双因素认证。"))
    return _show_codes(request, _recovery_codes(user), reverse("otp-manage"))


@login_required
@require_POST
def disable(request):
    """Switch the optional second factor off (for a person of whom it is not required)."""
    user = request.user
    if required_for(user):
        raise PermissionDenied(_("管理员必须使用双因素认证，不能关闭。"))
    if enabled_for(user) and not user.is_verified():
        raise PermissionDenied(_("请先完成双因素认证。"))
    _remove_devices(user)
    request.session[SESSION_KEY] = False
    signals.otp_device_reset.send(sender=TOTPDevice, user=user, by=user, request=request)
    messages.success(request, _("已关闭双因素认证。"))
    return redirect("otp-manage")


def _remove_devices(user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


@security_admin_required
def devices(request):
    """The people with a second factor, for the security administrator to reset one."""
    people = (
        User.objects.filter(totpdevice__confirmed=True)
        .select_related("region", "unit")
        .order_by("username")
        .distinct()
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(username__icontains=query) | people.filter(
            full_name__icontains=query
        )
    return render(request, "security/otp_devices.html", {"people": people, "q": query})


@require_POST
@security_admin_required
def reset(request, user_id):
    """Remove a person's authenticator and recovery codes: they set it up again at sign-in."""
    person = get_object_or_404(User, pk=user_id)
    _remove_devices(person)
    signals.otp_device_reset.send(sender=TOTPDevice, user=person, by=request.user, request=request)
    messages.success(
        request,
        _("已重置“%(name)s”的双因素认证，其下次登录时须重新设置。") % {"name": person},
    )
    return redirect("otp-devices")
