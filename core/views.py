from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers and compose: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def job_status(job, **extra) -> JsonResponse:
    """A background job's state for the page that follows it (``static/js/job-progress.js``
    polls it about once a second): :meth:`core.models.Job.progress_payload` and ``extra``."""
    return JsonResponse(job.progress_payload(**extra), json_dumps_params={"ensure_ascii": False})
