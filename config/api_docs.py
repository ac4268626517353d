"""The OpenAPI schema and its Swagger UI, for those signed in only (issue 19).

Both take the API's credentials (a token or the page session, SPECTACULAR_SETTINGS
``SERVE_PERMISSIONS``). Anonymous, the schema answers 401 in the API's JSON error shape; the
Swagger UI, a page read in a browser, sends the reader to the sign-in page and back. The UI's
start-up script is a file of its own (``?script``), not inline, so the Content-Security-Policy
needs no exception for it (templates/drf_spectacular/swagger_ui.html drops the inline style).
"""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions


class SwaggerView(SpectacularSwaggerSplitView):
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
