"""Monthly progress (SPEC §8, §12): list, file, read and edit the monthly forms in the caller's
scope; each workflow step is one explicit action calling ``services.report_act``; the prefilled
Excel template, the upload of a filled one (a background job when large), the completion
handbook, and who has filed for a month."""

import json

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Region
from core.api.actions import workflow_action
from progress import imports, selectors, services, xlsx
from progress.filtersets import MonthlyReportFilterSet
from progress.handbook import handbook
from progress.models import (
    ImportStatus,
    MonthlyReport,
    ProgressEvent,
    ProgressImport,
    deadline_of,
    period_of,
)

from .serializers import (
    FilingStatusSerializer,
    ImportDoneSerializer,
    ImportQueuedSerializer,
    ImportRefusedSerializer,
    ImportUploadSerializer,
    MissingProjectSerializer,
    MonthlyReportDetailSerializer,
    MonthlyReportSerializer,
    MonthQuerySerializer,
    ProgressApproveSerializer,
    ProgressImportSerializer,
    ProgressReopenSerializer,
    ProgressReturnSerializer,
    ProgressSubmitSerializer,
    import_url,
)

COUNTS = ("active", "draft", "submitted", "approved", "returned", "filed", "missing")


class XlsxRenderer(renderers.BaseRenderer):
    """The download actions answer a workbook (sent as is); their errors still go out as
    JSON with the API's error shape."""

    media_type = xlsx.XLSX
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


def _workbook(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=xlsx.XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ProgressWritePermission(permissions.BasePermission):
    """Filing (a new form, an upload) is for county filers, offices and API clients; editing a
    form is for those who may file its project — asked before the body is judged, so a
    reader learns "not permitted" rather than "invalid". Workflow steps are judged by the
    service (the reviewer is the city or province office over the project)."""

    message = gettext_lazy("您没有填报月度进展的权限。")

    def has_permission(self, request, view):
        if view.action in ("create", "import_"):
            return request.user.has_role(*services.FILER_ROLES)
        return True

    def has_object_permission(self, request, view, obj):
        if view.action in ("update", "partial_update"):
            return services.may_file(obj.project, request.user)
        return True


def _progress_action(name: str, payload, summary: str):
    """``POST …/progress/{id}/{name}/``: validate ``payload`` and take the step ``name``."""
    return workflow_action(name, payload, MonthlyReportDetailSerializer, summary, "_act")


MONTH_PARAMETERS = [MonthQuerySerializer]


class MonthlyReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Monthly forms of the projects in the caller's scope (newest month first). There is no
    delete; a form is written while it is a draft or returned, and its status moves only
    through the actions, each leaving a row in ``events``."""

    serializer_class = MonthlyReportSerializer
    permission_classes = [permissions.IsAuthenticated, ProgressWritePermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = MonthlyReportFilterSet
    ordering_fields = ["period", "submitted_at", "updated_at", "investment_this_month"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = MonthlyReport.objects.for_user(self.request.user).with_related()
        if self.detail:
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=ProgressEvent.objects.select_related("actor"))
            )
        return queryset

    def get_serializer_class(self):
        if self.action in ("retrieve", "create", "update", "partial_update"):
            return MonthlyReportDetailSerializer
        return super().get_serializer_class()

    def _report_response(self, report: MonthlyReport, code=status.HTTP_200_OK) -> Response:
        report = (
            MonthlyReport.objects.with_related()
            .prefetch_related(
                Prefetch("events", queryset=ProgressEvent.objects.select_related("actor"))
            )
            .get(pk=report.pk)
        )
        context = self.get_serializer_context()
        return Response(MonthlyReportDetailSerializer(report, context=context).data, status=code)

    @extend_schema(
        responses={
            201: MonthlyReportDetailSerializer,
            200: OpenApiResponse(
                MonthlyReportDetailSerializer,
                description="该项目该月的进展已存在：按所填内容更新（或未变化）",
            ),
        }
    )
    def create(self, request):
        """Fill in a project's form for a month (draft). The month's form is one per project:
        sending one again for the same project and month updates it while the county may
        still change it (200), and refuses once it is submitted or approved (``report_locked``)."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        report, outcome = services.report_save(
            project=values.pop("project"),
            period=values.pop("period"),
            by=request.user,
            **values,
        )
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return self._report_response(report, code)

    def update(self, request, pk=None, partial=False):
        """Change a draft or returned form's figures; a submitted or approved one is locked
        (``report_locked``)."""
        report = self.get_object()
        payload = self.get_serializer(report, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        report, _outcome = services.report_save(
            project=report.project, period=report.period, by=request.user, **payload.validated_data
        )
        return self._report_response(report)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def _act(self, request, name: str) -> Response:
        report = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.report_act(
            report=report, action=name, by=request.user, **payload.validated_data
        )
        return self._report_response(report)

    submit = _progress_action(
        "submit",
        ProgressSubmitSerializer,
        "报送 (the county filer): problems written on the form become an issue ticket.",
    )
    approve = _progress_action(
        "approve",
        ProgressApproveSerializer,
        "审核通过 (the city or province office over the project): the form is locked; a stage "
        "change on it moves the project.",
    )
    return_ = _progress_action(
        "return", ProgressReturnSerializer, "退回 with what to correct (the reviewing office)."
    )
    reopen = _progress_action(
        "reopen",
        ProgressReopenSerializer,
        "重新打开 an approved form, with the reason on the record (the reviewing office).",
    )

    # --- the month of a region ------------------------------------------------------------

    def _month(self, request) -> tuple[str, Region | None]:
        """The ``period`` (default: this month; not in the future) and ``region`` (in the
        caller's scope, else not found) of the query."""
        query = MonthQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region = query.validated_data["region"]
        if (
            region is not None
            and not Region.objects.for_user(request.user).filter(pk=region.pk).exists()
        ):
            raise Http404
        period = query.validated_data["period"] or period_of(timezone.localdate())
        return services.check_period(period), region

    def _place(self, request, region: Region | None) -> str:
        if region is not None:
            return region.name
        return request.user.region.name if request.user.region_id else _("全部")

    @extend_schema(
        parameters=MONTH_PARAMETERS,
        responses={(200, xlsx.XLSX): OpenApiTypes.BINARY},
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[XlsxRenderer],
    )
    def template(self, request):
        """The Excel template of a month prefilled with every active project in the caller's
        scope (or the region given): project keys and last month's figures locked, inputs with
        validation lists. Fill it and send it back to ``POST /api/v1/progress/import/``."""
        period, region = self._month(request)
        content = xlsx.build_template(request.user, period, region)
        place = self._place(request, region)
        return _workbook(
            content,
            _("月度进展填报表-%(period)s-%(place)s.xlsx")
            % {
                "period": period,
                "place": place,
            },
        )

    @extend_schema(
        parameters=MONTH_PARAMETERS,
        responses={(200, xlsx.XLSX): OpenApiTypes.BINARY},
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[XlsxRenderer],
    )
    def handbook(self, request):
        """The month's completion handbook (完成情况手册): every project in scope with its
        monthly and cumulative figures, grouped by region."""
        period, region = self._month(request)
        content = handbook(request.user, period, region)
        place = self._place(request, region)
        return _workbook(
            content,
            _("完成情况手册-%(period)s-%(place)s.xlsx")
            % {
                "period": period,
                "place": place,
            },
        )

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: ImportDoneSerializer,
            202: ImportQueuedSerializer,
            400: ImportRefusedSerializer,
        },
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=ImportUploadSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def import_(self, request):
        """Upload a filled template. Every row is checked first and the import is all or
        nothing: 200 with the counts (the same file again: all unchanged), or 400 with the
        errors by Excel row and column (``rows_invalid``), or 400 ``file_refused`` for a file
        that is not a sound template. A large file is imported by a background job: 202 with
        the job's address to poll."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        period = payload.validated_data["period"].strip() or None
        if period:
            services.check_period(period)
        job = imports.start_import(
            by=request.user, uploaded=payload.validated_data["file"], period=period
        )
        job.refresh_from_db()  # a worker (or the in-process fallback) may have run it already
        if job.status == ImportStatus.DONE:
            return Response(ImportDoneSerializer(job).data)
        if job.status == ImportStatus.FAILED:
            body = {
                "code": "rows_invalid" if job.errors else "import_failed",
                "message": job.message,
                "id": job.pk,
                "errors": job.errors,
            }
            return Response(ImportRefusedSerializer(body).data, status=status.HTTP_400_BAD_REQUEST)
        url = import_url(job, request)
        body = {
            "id": job.pk,
            "status": job.status,
            "percent": job.percent,
            "total_rows": job.total_rows,
            "url": url,
            "message": _("文件共%(rows)s行，已转入后台导入，请稍后查看进度。")
            % {"rows": job.total_rows},
        }
        return Response(
            ImportQueuedSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )

    @extend_schema(
        parameters=MONTH_PARAMETERS, responses={200: FilingStatusSerializer}, filters=False
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="filing-status",
        url_name="filing-status",
        filter_backends=[],
        pagination_class=None,
    )
    def filing_status(self, request):
        """Per county in scope (or below ``region``): active projects and their forms for the
        month by status, filed and missing; with the month's deadline and the totals."""
        period, region = self._month(request)
        rows = selectors.filing_status(request.user, period, region)
        total = {name: sum(getattr(row, name) for row in rows) for name in COUNTS}
        figures = {"period": period, "deadline": deadline_of(period), "total": total, "rows": rows}
        return Response(FilingStatusSerializer(figures).data)

    @extend_schema(
        parameters=MONTH_PARAMETERS,
        responses={200: MissingProjectSerializer(many=True)},
        filters=False,
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        serializer_class=MissingProjectSerializer,
    )
    def missing(self, request):
        """Active projects in scope (or below ``region``) with no form submitted or approved
        for the month, by county."""
        period, region = self._month(request)
        rows = selectors.missing_projects(request.user, period, region)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ProgressImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Excel imports: the caller's own, or (an office) those of the regions in its scope,
    newest first. Poll one until ``finished`` to follow a background import."""

    serializer_class = ProgressImportSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return ProgressImport.objects.for_user(self.request.user).select_related(
            "region", "created_by"
        )
