"""Language selection for a Chinese-first government system, and the guard every request
passes first (a request id, refusals that hold for every address)."""

import contextvars
import re
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.utils import translation


class CookieLocaleMiddleware:
    """Activate the language the user chose (cookie set by ``set_language``), else zh-hans.

    Django's LocaleMiddleware also follows the browser's Accept-Language header, which would
    show an English-configured browser a half-English interface; officials expect Chinese unless
    they switch explicitly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        activate_language(request)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def activate_language(request) -> None:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
    request.LANGUAGE_CODE = translation.get_language()


# --- the request guard --------------------------------------------------------------------------
# Before any view sees a request: a request id for the log and for the answer, and the refusals
# that hold for every address at once — characters no database column can store in the path or
# the query string, and a body larger than the platform accepts. Bodies are checked by the API's
# parsers (core/api/parsers.py) and by Django's forms.

#: the request's id while it is handled, for every log line (core.logging.RequestIdFilter)
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

#: characters PostgreSQL cannot store in text: NUL, and the halves of surrogate pairs
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: an id a proxy in front may hand on (X-Request-ID); anything else is replaced by our own
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def unstorable(text: str) -> bool:
    """Whether ``text`` holds a character that cannot be stored (and is never legitimate)."""
    return bool(_UNSTORABLE.search(text))


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.refuse(request) or self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers.setdefault("X-Request-ID", request.request_id)
        return response

    def refuse(self, request):
        from core import views

        activate_language(request)  # the refusal speaks the user's language
        if unstorable(request.path_info) or any(
            unstorable(key) or any(unstorable(value) for value in values)
            for key, values in request.GET.lists()
        ):
            return views.bad_request(request, UnstorableCharacters())
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        # uploads (multipart) bring files, which have limits of their own
        if limit is not None and not content_type.startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return views.bad_request(request, RequestDataTooBig())
        return None


class UnstorableCharacters(SuspiciousOperation):
    """A NUL byte or a lone surrogate in the path, the query string or the body."""
