from django.contrib.auth import views as auth_views

from accounts.forms import SignInForm


class LoginView(auth_views.LoginView):
    """Django's login page with the sign-in throttle: a refusal is a 429 with ``Retry-After``
    and the throttle's message on the form."""

    authentication_form = SignInForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.refused is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.refused.wait)
        return response
