from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from core.api.exceptions import MESSAGES


def job_status(job, **extra) -> JsonResponse:
    """A background job's state for the page that follows it (``static/js/job-progress.js``
    polls it about once a second): :meth:`core.models.Job.progress_payload` and ``extra``."""
    return JsonResponse(job.progress_payload(**extra), json_dumps_params={"ensure_ascii": False})


# --- error pages ------------------------------------------------------------------------------
# Pages answer with the platform's own Chinese pages (templates/400.html, 403.html, 404.html,
# 500.html) and the API with its JSON error shape (core.api.exceptions) — also for an address
# under /api/ that matches no endpoint, and for a server error inside an endpoint. Registered as
# handler400 … handler500 in config/urls.py; Django uses them whenever DEBUG is off (make run
# included, see config/settings/local.py).

#: addresses answered in JSON: the REST API, its schema and documentation
API_PREFIX = "/api/"
BAD_REQUEST = _("请求无效，无法处理。")
UNSTORABLE = _("请求中含有不允许的字符（如空字符 \\0），请检查后重新提交。")
TOO_LARGE = _("请求内容超过大小限制（%(limit)s）。")
SERVER_ERROR = _("系统暂时出错，请稍后重试；如持续出现，请联系系统管理员。")


def _api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _api_error(status: int, code: str, message, **extra) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": str(message), **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return gettext(TOO_LARGE) % {"limit": filesizeformat(limit)}


def bad_request(request, exception):
    from core.middleware import UnstorableCharacters

    if isinstance(exception, RequestDataTooBig):
        if _api(request):
            return _api_error(413, "request_too_large", too_large_message())
        response = defaults.bad_request(request, exception)
        response.status_code = 413
        return response
    if _api(request):
        if isinstance(exception, UnstorableCharacters):
            return _api_error(400, "unstorable_characters", UNSTORABLE)
        return _api_error(400, "bad_request", BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return _api_error(403, "permission_denied", gettext(MESSAGES["permission_denied"]))
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _api(request):
        return _api_error(404, "not_found", gettext(MESSAGES["not_found"]))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """A 500: the request id goes with the answer and with the log line that has the traceback
    (core.logging), so a caller's report leads to the cause."""
    request_id = getattr(request, "request_id", "")
    if _api(request):
        return _api_error(500, "server_error", SERVER_ERROR, request_id=request_id)
    try:
        page = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:  # the page itself failed: Django's plain answer
        return defaults.server_error(request)
    return HttpResponseServerError(page)


# --- background exports (core.exports) --------------------------------------------------------


def _export_of(request, pk):
    """The user's own export job, or 404 (another user's, or one removed after its time)."""
    from django.shortcuts import get_object_or_404

    from .models import ExportJob

    return get_object_or_404(ExportJob.objects.for_user(request.user), pk=pk)


@login_required
def export_detail(request, pk):
    """The progress page of a large export; once done, the download link."""
    from django.shortcuts import render

    job = _export_of(request, pk)
    return render(
        request,
        "core/export_job.html",
        {
            "job": job,
            "retention_hours": settings.EXPORT_RETENTION_HOURS,
            "status_url": reverse("exports:status", args=[job.pk]),
        },
    )


@login_required
def export_status(request, pk):
    job = _export_of(request, pk)
    done = job.status == "done" and bool(job.file)
    return job_status(
        job,
        error=job.error,
        file_url=reverse("exports:download", args=[job.pk]) if done else None,
    )


@login_required
def export_download(request, pk):
    from django.http import Http404

    from .exports import download

    job = _export_of(request, pk)
    if job.status != "done" or not job.file:
        raise Http404
    return download(job)
