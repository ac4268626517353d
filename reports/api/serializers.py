"""Reports as other systems see them (SPEC §10): the job's state while it runs, the file once it
is done, and what the caller may do next."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.models import Unit
from reports import services
from reports.models import Kind, Report, Status


def file_url(report: Report, request=None) -> str | None:
    """The address of the document, once the job has produced it (a draft being regenerated
    has none until the new file is in)."""
    if report.status != Status.DONE or not report.file:
        return None
    return reverse("api:report-file", args=[report.pk], request=request)


class ReportLinksSerializer(serializers.Serializer):
    """Where to go next; an action's link is present only when the caller may take it now."""

    self = serializers.URLField(help_text=_("本报告"))
    page = serializers.URLField(help_text=_("平台上的报告页面"))
    file = serializers.URLField(allow_null=True, help_text=_("文件；生成完成前为空"))
    publish = serializers.URLField(
        allow_null=True, help_text=_("印发（POST）：已生成的草稿，编发单位可用")
    )
    retry = serializers.URLField(
        allow_null=True, help_text=_("重新生成（POST）：生成失败的任务，编发单位可用")
    )


class ReportSerializer(serializers.ModelSerializer):
    """One numbered document of an issuing office and the job that builds it. Poll it until
    ``status`` is ``done`` (then ``file_url`` is set) or ``failed`` (``error`` says why)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    number_label = serializers.CharField(read_only=True, help_text=_("如“2026年第3期”"))
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    region = serializers.CharField(
        source="unit.region_id", read_only=True, help_text=_("编发单位所在地区的行政区划代码")
    )
    region_name = serializers.CharField(source="unit.region.name", read_only=True)
    published = serializers.BooleanField(
        source="is_published", read_only=True, help_text=_("已印发的文档不再改变")
    )
    requested_by_name = serializers.CharField(
        source="requested_by", read_only=True, allow_null=True
    )
    published_by_name = serializers.CharField(
        source="published_by", read_only=True, allow_null=True
    )
    file_url = serializers.SerializerMethodField(help_text=_("文件地址；生成完成前为空"))
    links = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "kind_display",
            "period",
            "year",
            "number",
            "number_label",
            "title",
            "unit",
            "unit_name",
            "region",
            "region_name",
            "corrects",
            "status",
            "status_display",
            "progress",
            "step",
            "error",
            "attempts",
            "page_count",
            "as_of",
            "requested_by_name",
            "created_at",
            "started_at",
            "finished_at",
            "published",
            "published_at",
            "published_by_name",
            "file_url",
            "links",
        ]
        read_only_fields = fields

    def get_file_url(self, report: Report) -> str | None:
        return file_url(report, self.context.get("request"))

    @extend_schema_field(ReportLinksSerializer)
    def get_links(self, report: Report) -> dict:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        actions = services.allowed_actions(report, user)

        def url(name: str, allowed: bool = True) -> str | None:
            return (
                reverse(f"api:report-{name}", args=[report.pk], request=request)
                if allowed
                else None
            )

        page = report.get_absolute_url()
        return {
            "self": url("detail"),
            "page": page if request is None else request.build_absolute_uri(page),
            "file": file_url(report, request),
            "publish": url("publish", "publish" in actions),
            "retry": url("retry", "retry" in actions),
        }


class ReportAcceptedSerializer(ReportSerializer):
    """A request taken: the report and whether this request queued a job (``false`` when the
    same draft was already queued or running — the answer is the same report)."""

    queued = serializers.BooleanField(read_only=True, help_text=_("本次请求是否新排队了生成任务"))

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "queued"]
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    """Generate a document now. The issuing office is the caller's own; a system administrator
    names one with ``unit``. Asking again for the same kind and period updates the draft."""

    kind = serializers.ChoiceField(
        choices=Kind.choices, error_messages={"invalid_choice": _("未知的文档类型。")}
    )
    period = serializers.CharField(
        max_length=16,
        help_text=_("周期：会议议程为 ISO 周，如 2026-W48；其余为月份，如 2026-11"),
    )
    correction = serializers.BooleanField(
        default=False,
        help_text=_(
            "该期间的文档已印发时须为 true：生成新的一期作为更正；否则返回 already_published"
        ),
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("编发单位（重大项目办）编号；仅系统管理员需要"),
        error_messages={"does_not_exist": _("单位不存在。")},
    )
