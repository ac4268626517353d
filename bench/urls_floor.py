"""For benchmarks only: the platform's URLs plus a floor view, served by gunicorn as
``urls_floor:application`` (``bench/api_detail.py`` starts it with ``--pythonpath bench``).

The floor — ``/bench/floor/projects/<id>/`` — is the least a Django JSON endpoint for a project
does: one ``.values()`` query for the project's columns, serialized, through the same
middleware in the same worker. ``/bench/floor-drf/projects/<id>/`` is the least a REST framework
endpoint with the API's authentication does: the same query answered by an ``APIView`` behind
the API's token authentication and permission, to tell what the framework costs from what the
platform's answer costs. Neither is part of the platform's URLs (``config.urls``).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
settings.ROOT_URLCONF = __name__  # read at each request: this module's patterns, not config.urls

from django.http import Http404, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from config.urls import urlpatterns as platform  # noqa: E402
from projects.models import Project  # noqa: E402


def project_values(request, pk: int) -> JsonResponse:
    row = Project.objects.filter(pk=pk).values().first()
    if row is None:
        raise Http404
    return JsonResponse(row, json_dumps_params={"ensure_ascii": False})


class ProjectValues(APIView):
    """The same row through REST framework: the API's default authentication (a token) and
    permission (signed in), content negotiation and JSON renderer; no scope, no serializer."""

    def get(self, request, pk: int) -> Response:
        row = Project.objects.filter(pk=pk).values().first()
        if row is None:
            raise Http404
        return Response(row)


urlpatterns = [
    path("bench/floor/projects/<int:pk>/", project_values),
    path("bench/floor-drf/projects/<int:pk>/", ProjectValues.as_view()),
    *platform,
]
