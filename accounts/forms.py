"""Sign-in forms of the login page and the admin, under the sign-in throttle."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts import throttling


class ThrottledSignInMixin:
    """Failed sign-ins counted per username and per client address (accounts/throttling.py);
    beyond the limits the form refuses with the throttle's message, whatever the password.
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


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
