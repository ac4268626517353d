"""What the audit trail reads from requests and their answers.

:class:`AuditMiddleware` (after the authentication middleware) keeps the request at hand for
rows written while it is answered (:func:`audit.services.current_request`), and records from the
answer itself:

- **403** — a refusal, whatever refused it (a view's ``PermissionDenied``, a service's
  ``NotPermitted`` shown on a page, the API's permission classes);
- **404 on a resolved address that names an object** — the address matched a page or endpoint
  whose URL carries a ``pk``/``id`` (or ``…_pk``/``…_id``) argument, and the answer was 404: a
  request for an object that does not exist *or is outside the user's scope*, which the platform
  answers alike so as not to tell them apart. An address that matches no page is not recorded
  (scanners, typos); only signed-in requests are, since an anonymous one is sent to sign in;
- **a download** — an answer with ``Content-Disposition: attachment`` (every Excel export, every
  generated document, a progress import's file): who, which address, which file.
"""

from urllib.parse import unquote

from .models import Action, Outcome
from .services import record, reset_request, set_request

_OBJECT_ARGUMENTS = ("pk", "id")


def _object_argument(kwargs: dict) -> tuple[str, str] | None:
    for name, value in kwargs.items():
        if name in _OBJECT_ARGUMENTS or name.endswith(("_pk", "_id")):
            return name, str(value)
    return None


def _filename(disposition: str) -> str:
    """The file's name from a Content-Disposition header (``filename*=utf-8''…`` preferred)."""
    plain = ""
    for part in disposition.split(";"):
        key, _sep, value = part.strip().partition("=")
        key = key.lower()
        if key == "filename*":
            _charset, _sep, encoded = value.partition("''")
            return unquote(encoded.strip('"'))
        if key == "filename":
            plain = value.strip('"')
    return plain


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request(request)
        try:
            response = self.get_response(request)
            self.answered(request, response)
        finally:
            reset_request(token)
        return response

    def answered(self, request, response) -> None:
        user = getattr(request, "user", None)
        # an API request is authenticated by DRF inside the view: its user is on the answer
        drf_request = (getattr(response, "renderer_context", None) or {}).get("request")
        if drf_request is not None and getattr(drf_request, "user", None) is not None:
            user = drf_request.user
        signed_in = user if user is not None and user.is_authenticated else None
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else ""
        where = {"method": request.method, "path": request.get_full_path()[:500], "view": view}

        if response.status_code == 403:
            record(
                Action.DENIED,
                request=request,
                user=signed_in,
                object_type=view,
                object_text=request.path[:300],
                outcome=Outcome.REFUSED,
                detail=where,
            )
        elif response.status_code == 404 and match is not None and signed_in is not None:
            argument = _object_argument(match.kwargs)
            if argument is not None:
                record(
                    Action.OUT_OF_SCOPE,
                    request=request,
                    user=signed_in,
                    object_type=view,
                    object_id=argument[1],
                    object_text=request.path[:300],
                    outcome=Outcome.REFUSED,
                    detail=where,
                )
        elif 200 <= response.status_code < 300:
            disposition = response.get("Content-Disposition", "")
            if disposition.lower().startswith("attachment"):
                argument = _object_argument(match.kwargs) if match is not None else None
                record(
                    Action.DOWNLOAD,
                    request=request,
                    user=signed_in,
                    object_type=view,
                    object_id=argument[1] if argument else "",
                    object_text=_filename(disposition)[:300],
                    detail={**where, "content_type": response.get("Content-Type", "")},
                )
