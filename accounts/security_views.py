"""Pages of identification and authentication: a person's own (password change, their
sessions) and the security administrator's (lockouts, API tokens)."""

import datetime
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from accounts import passwords, sessions, signals, throttling, tokens
from accounts.models import Role, User, UserSession


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: voluntary, forced by expiry, or the first after an initial
    password; clears the first-login flag and keeps this session signed in."""

    template_name = "registration/password_change.html"

    def get_success_url(self):
        return self.request.POST.get("next") or self.request.GET.get("next") or "/"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reason = passwords.change_required(self.request.user, self.request.session)
        context["reason"] = passwords.message(reason) if reason else ""
        context["next"] = self.request.GET.get("next", "")
        return context

    def form_valid(self, form):
        user = self.request.user
        reason = passwords.change_required(user, self.request.session)
        user.must_change_password = False
        response = super().form_valid(form)  # saves the password (history, date) first
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        signals.password_changed.send(
            sender=User,
            user=user,
            by=user,
            request=self.request,
            reason={passwords.FIRST_LOGIN: "first_login", passwords.EXPIRED: "expired"}.get(
                reason, "change"
            ),
        )
        messages.success(self.request, _("密码已修改。"))
        return response


@login_required
def my_sessions(request):
    """我的会话: where this person is signed in; end every session but this one."""
    if request.method == "POST":
        count = sessions.end_other_sessions(request)
        messages.success(request, _("已结束其他 %(n)d 个会话。") % {"n": count})
        return redirect("my-sessions")
    rows = UserSession.objects.filter(user=request.user)
    return render(
        request,
        "security/my_sessions.html",
        {"rows": rows, "current": request.session.session_key},
    )


def security_admin_required(view):
    """The security administrator's pages: refused (403) to everyone else."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(Role.Code.SECURITY_ADMIN):
            raise PermissionDenied(_("只有安全管理员可以使用此页面。"))
        return view(request, *args, **kwargs)

    return wrapped


@security_admin_required
def lockouts(request):
    """Locks in force, with an unlock button each."""
    return render(request, "security/lockouts.html", {"locks": throttling.active_locks()})


@require_POST
@security_admin_required
def unlock(request, pk):
    lock = get_object_or_404(throttling.active_locks(), pk=pk)
    throttling.unlock(lock, by=request.user, request=request)
    messages.success(request, _("已解除对“%(value)s”的锁定。") % {"value": lock.value})
    return redirect("security-lockouts")


class ExpiryForm(forms.Form):
    expires_on = forms.DateField(
        label=gettext_lazy("过期日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("当天 24 时起失效；留空为不过期。"),
    )


@security_admin_required
def token_list(request):
    rows = Token.objects.select_related("user", "expiry").order_by("user__username")
    return render(
        request,
        "security/tokens.html",
        {"rows": rows, "now": timezone.now(), "form": ExpiryForm()},
    )


@require_POST
@security_admin_required
def token_revoke(request, user_id):
    token = get_object_or_404(Token, user_id=user_id)
    username = token.user.username
    tokens.revoke(token, by=request.user, request=request)
    messages.success(request, _("已吊销 %(user)s 的令牌。") % {"user": username})
    return redirect("security-tokens")


@require_POST
@security_admin_required
def token_expiry(request, user_id):
    token = get_object_or_404(Token, user_id=user_id)
    form = ExpiryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写正确的日期。"))
        return redirect("security-tokens")
    day = form.cleaned_data["expires_on"]
    expires_at = None
    if day is not None:
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        expires_at = timezone.make_aware(midnight)
    tokens.set_expiry(token, expires_at, by=request.user, request=request)
    messages.success(request, _("已更新 %(user)s 的令牌有效期。") % {"user": token.user.username})
    return redirect("security-tokens")
