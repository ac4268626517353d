"""Reports (SPEC §10): the documents in the caller's scope, newest first; generating one on
demand (202, then poll the report until it is done); its file; publishing a draft and retrying
a failed job. There is no update or delete: a document is rebuilt from the platform's data,
never edited, and once published it never changes."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from progress.api.views import XlsxRenderer
from progress.xlsx import XLSX
from reports import services
from reports.filtersets import ReportFilterSet
from reports.models import Report, Status

from .serializers import ReportAcceptedSerializer, ReportRequestSerializer, ReportSerializer

PDF = "application/pdf"


class PdfRenderer(XlsxRenderer):
    """The file action answers a PDF as is; its errors still go out as JSON."""

    media_type = PDF
    format = "pdf"


class CanRequestReports(permissions.BasePermission):
    """Documents are issued by the major-project offices (and a system administrator) — asked
    before the body is judged, so a reader learns "not permitted" rather than "invalid"."""

    message = _("只有重大办工作人员可以编发文档。")

    def has_permission(self, request, view):
        if view.action == "create":
            return services.may_request(request.user)
        return True


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Documents the caller may read (``Report.objects.readable_by``): published ones of their
    region and the regions below it, and those distributed to their region or unit (主送/抄送);
    the issuing office's staff also see its drafts, running and failed jobs."""

    serializer_class = ReportSerializer
    permission_classes = [permissions.IsAuthenticated, CanRequestReports]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Report.objects.readable_by(self.request.user)
            .select_related("unit__region", "requested_by", "published_by")
            .ordered()
        )

    def get_serializer_class(self):
        if self.action == "create":
            return ReportRequestSerializer
        return super().get_serializer_class()

    def _report_response(
        self, report: Report, code=status.HTTP_200_OK, queued: bool | None = None
    ) -> Response:
        """The report as the caller sees it; ``queued`` answers a request (202)."""
        report = self.get_queryset().get(pk=report.pk)
        context = self.get_serializer_context()
        if queued is None:
            body = ReportSerializer(report, context=context).data
        else:
            report.queued = queued
            body = ReportAcceptedSerializer(report, context=context).data
        headers = {"Location": body["links"]["self"]} if code == status.HTTP_202_ACCEPTED else {}
        return Response(body, status=code, headers=headers)

    def retrieve(self, request, pk=None):
        """One document and its job: poll it until ``status`` is ``done`` (``file_url`` is then
        set) or ``failed`` (``error`` says why; retry it)."""
        return super().retrieve(request, pk=pk)

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            202: OpenApiResponse(
                ReportAcceptedSerializer,
                description="已排队生成（或同一草稿的任务已在排队、生成中：queued 为 false）",
            )
        },
    )
    def create(self, request):
        """Generate a document of ``kind`` for ``period``, issued by the caller's office: 202
        with the report to poll. Idempotent per office, kind and period — while the draft's job
        is queued or running the same report comes back (``queued: false``); a finished or
        failed draft is regenerated under its number; after publication a new request makes a
        correction with the next number. ``period_invalid``, ``period_future`` when refused."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report, queued = services.report_request(by=request.user, **payload.validated_data)
        return self._report_response(report, status.HTTP_202_ACCEPTED, queued=queued)

    @extend_schema(
        responses={
            (200, PDF): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="不在管辖范围内，或文件尚未生成"),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[renderers.JSONRenderer, PdfRenderer, XlsxRenderer],
    )
    def file(self, request, pk=None):
        """The document: a PDF (the handbook: an Excel workbook), named by its title. Not found
        until the job has finished."""
        report = self.get_object()
        if report.status != Status.DONE or not report.file:
            raise Http404
        try:
            handle = report.file.open("rb")
        except FileNotFoundError as missing:  # the record outlived its file
            raise Http404 from missing
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{report.title}{report.extension}",
            content_type=report.content_type,
        )

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """印发 (the issuing office): a finished draft becomes the record leaders read and never
        changes again; a correction is a new request, with the next number. ``not_done``,
        ``already_published`` when refused."""
        report = services.report_publish(report=self.get_object(), by=request.user)
        return self._report_response(report)

    @extend_schema(request=None, responses={202: ReportSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a failed job again, under the same number (the issuing office): 202, then poll
        the report. ``not_failed`` when the job has not failed."""
        report = services.report_retry(report=self.get_object(), by=request.user)
        return self._report_response(report, status.HTTP_202_ACCEPTED)
