"""Excel exports through the API: the same exports as the pages (``core.exports``), the same
threshold — the workbook at once, or 202 and a job to poll — and the caller's own jobs."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import exports
from core.models import ExportJob, ExportStatus


class ExportJobSerializer(serializers.ModelSerializer):
    """A large export written in the background: poll ``url`` until ``finished``, then
    download ``download_url`` (kept ``EXPORT_RETENTION_HOURS`` hours)."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    finished = serializers.BooleanField(read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=gettext_lazy("进度（0–100）"))
    url = serializers.SerializerMethodField(help_text=gettext_lazy("本导出任务的状态地址"))
    download_url = serializers.SerializerMethodField(
        help_text=gettext_lazy("完成后的文件下载地址；未完成时为空")
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "url",
            "kind",
            "title",
            "query",
            "status",
            "status_display",
            "finished",
            "percent",
            "total_rows",
            "written_rows",
            "error",
            "download_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _absolute(self, name: str, job: ExportJob) -> str:
        path = reverse(name, args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, job: ExportJob) -> str:
        return self._absolute("api:export-detail", job)

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportStatus.DONE or not job.file:
            return None
        return self._absolute("api:export-file", job)


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[], help_text=gettext_lazy("导出类型：projects、issues-closeout 等")
    )
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=gettext_lazy(
            "筛选和排序条件：与页面导出地址的查询字符串相同，如 stage=started&sort=name"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = exports.names()


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Excel exports: ask for one (``POST``) and follow the caller's own large ones. Nobody
    else's job is visible (404)."""

    serializer_class = ExportJobSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return ExportJob.objects.for_user(self.request.user)

    @extend_schema(
        request=ExportRequestSerializer,
        responses={
            (200, exports.XLSX): OpenApiTypes.BINARY,
            202: OpenApiResponse(
                ExportJobSerializer,
                description="More rows than EXPORT_SYNC_ROWS: a background job; poll its url.",
            ),
        },
    )
    def create(self, request):
        """Export the rows of ``kind`` as filtered by ``query``: up to ``EXPORT_SYNC_ROWS``
        rows, 200 with the workbook; more, 202 with a background job to poll (``Location``)
        and download once ``finished``."""
        payload = ExportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        asked = exports.as_request(request.user, payload.validated_data["query"])
        answer = exports.request_export(asked, payload.validated_data["kind"])
        if answer.response is not None:
            return answer.response
        body = ExportJobSerializer(answer.job, context={"request": request}).data
        body["message"] = _("共%(n)s行，已转入后台生成，请稍后查看进度。") % {
            "n": answer.job.total_rows
        }
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(responses={(200, exports.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="file", url_name="file")
    def file(self, request, pk=None):
        """The workbook of a finished job (404 before it has finished, or once removed)."""
        job = self.get_object()
        if job.status != ExportStatus.DONE or not job.file:
            raise Http404
        return exports.download(job)
