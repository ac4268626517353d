"""Sign-in forms of the login page and the admin, under the sign-in lockout."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import throttling


class ThrottledSignInMixin:
    """Failed sign-ins counted per username and per client address (accounts/throttling.py);
    a locked username or address is refused with the lock's message, whatever the password.
    ``refused`` holds the refusal then (``None`` otherwise)."""

    refused: throttling.Refused | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        try:
            attempt = throttling.begin(self.request, username)
        except throttling.Refused as refused:
            self.refused = refused
            raise forms.ValidationError(refused.message, code="throttled") from None
        try:
            return super().clean()
        finally:
            # The password was right (the account may still be refused, e.g. a non-staff user
            # at the admin login): not a failure.
            if self.user_cache is not None:
                attempt.succeeded()
            else:
                attempt.failed()


class PeopleOnlyMixin:
    """Machine accounts (the API client role) call the API with a token; they do not sign in
    to pages at all."""

    machine_account = False

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_machine:
            self.machine_account = True
            raise forms.ValidationError(
                _("系统接口账号只能使用接口令牌访问，不能登录网页。"), code="machine_account"
            )


class SignInForm(ThrottledSignInMixin, PeopleOnlyMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, PeopleOnlyMixin, AdminAuthenticationForm):
    pass
