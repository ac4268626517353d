"""``GET /api/v1/open-data/oc4ids/``: the OC4IDS project package of the published projects.

Public, like the files of the open-data page: it holds only what offices marked public, and no
personal data. No credentials are read (an expired token sent along is no reason to refuse)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors


class OC4IDSPackageView(APIView):
    """The projects offices have marked public as an OC4IDS 0.9 project package (identifier
    from the 项目代码, status and type from the stage and name, sector, location, budget in
    CNY, periods, completion, parties, key milestones, funding by channel as transactions, the
    works' contracting process). Projects refused at pre-review are never in it."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="OC4IDS 开放数据",
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "package",
                value={
                    "uri": "https://example.org/api/v1/open-data/oc4ids/",
                    "version": "0.9",
                    "publishedDate": "2026-11-23T10:00:00+08:00",
                    "publisher": {"name": "江苏省重大项目办"},
                    "projects": [{"id": "oc4ids-xxxxxx-2401-320281-04-01-123456"}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return Response(selectors.package(uri=request.build_absolute_uri(request.path)))
