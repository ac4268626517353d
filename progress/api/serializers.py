"""Monthly forms as other systems see them, the small bodies of the workflow actions, the Excel
import jobs and the month's filing status (SPEC §8, §12)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.api.fields import region_code_field
from core.api.scoped import ScopedPrimaryKeyRelatedField
from issues.models import Category as IssueCategory
from progress import services
from progress.models import (
    REPORTABLE_STAGES,
    MonthlyReport,
    ProgressEvent,
    ProgressImport,
)
from projects.models import Project

ACTIONS = ("submit", "approve", "return", "reopen")


def _money(**extra):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **extra)


# --- reading ---------------------------------------------------------------------------------


class ProgressEventSerializer(serializers.ModelSerializer):
    """One step of a form: filled in, changed, imported, submitted, approved, returned,
    reopened (with the office's reason)."""

    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ProgressEvent
        fields = [
            "id",
            "action",
            "action_display",
            "from_status",
            "to_status",
            "actor_name",
            "at",
            "comment",
        ]
        read_only_fields = fields

    def get_actor_name(self, event: ProgressEvent) -> str:
        return str(event.actor) if event.actor_id else str(_("系统"))


#: moved only by the workflow actions or derived, never by an edit
WORKFLOW_FIELDS = ("status", "investment_ytd", "review_comment")


def _same(sent, current) -> bool:
    if sent == current or (sent in (None, "") and current in (None, "")):
        return True
    try:
        return Decimal(str(sent)) == Decimal(str(current))
    except (InvalidOperation, TypeError, ValueError):
        return str(sent) == str(current)


class MonthlyReportSerializer(serializers.ModelSerializer):
    """One project's monthly form. A form is written while it is a draft or returned;
    ``investment_ytd`` is derived (this month plus the earlier months of the year) and the
    status moves only through the actions (``POST /api/v1/progress/{id}/{操作}/``)."""

    project = ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        help_text=_("项目编号"),
        error_messages={"does_not_exist": _("所选项目不存在或不在您的管辖范围内。")},
    )
    project_code = serializers.CharField(source="project.code", read_only=True, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    region = serializers.CharField(
        source="project.region_id", read_only=True, help_text=_("项目所在县区的行政区划代码")
    )
    region_name = serializers.CharField(source="project.region.name", read_only=True)
    period = serializers.CharField(max_length=7, help_text=_("填报月份 YYYY-MM；不能是未来月份"))
    investment_this_month = _money(required=False, help_text=_("本月完成投资（万元），不能为负"))
    investment_ytd = _money(
        read_only=True, help_text=_("本年累计完成投资（万元）：本月加本年此前各月，自动计算")
    )
    physical_progress = serializers.CharField(
        required=False, allow_blank=True, help_text=_("形象进度；报送前必填")
    )
    percent_complete = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("工程完成百分比（0–100）"),
    )
    new_stage = serializers.ChoiceField(
        choices=[(str(stage), stage.label) for stage in REPORTABLE_STAGES],
        required=False,
        allow_blank=True,
        help_text=_("本月进入的阶段（开工、竣工、投产、达效），审核通过后记入项目"),
        error_messages={"invalid_choice": _("本月进入阶段应为开工、竣工、投产或达效之一。")},
    )
    new_stage_display = serializers.CharField(source="get_new_stage_display", read_only=True)
    stage_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("进入该阶段的日期，须在本月内")
    )
    problems = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("存在问题；报送时转为项目的困难问题工单"),
    )
    problem_category = serializers.ChoiceField(
        choices=IssueCategory.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": _("未知的问题类别。")},
    )
    problem_category_display = serializers.CharField(
        source="get_problem_category_display", read_only=True
    )
    issue = serializers.IntegerField(
        source="issue_id",
        read_only=True,
        allow_null=True,
        help_text=_("报送时由“存在问题”生成的困难问题工单编号"),
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    editable = serializers.BooleanField(read_only=True, help_text=_("草稿或已退回，县区仍可修改"))
    deadline = serializers.DateField(read_only=True, help_text=_("本月报送截止日"))
    late = serializers.BooleanField(read_only=True, help_text=_("报送晚于截止日（逾期报送）"))
    submitted_by_name = serializers.CharField(
        source="submitted_by", read_only=True, allow_null=True
    )
    approved_by_name = serializers.CharField(source="approved_by", read_only=True, allow_null=True)
    returned_by_name = serializers.CharField(source="returned_by", read_only=True, allow_null=True)

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "region",
            "region_name",
            "period",
            "investment_this_month",
            "investment_ytd",
            "physical_progress",
            "percent_complete",
            "new_stage",
            "new_stage_display",
            "stage_date",
            "problems",
            "problem_category",
            "problem_category_display",
            "issue",
            "status",
            "status_display",
            "editable",
            "deadline",
            "late",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_by_name",
            "submitted_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "returned_by",
            "returned_by_name",
            "returned_at",
            "review_comment",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "created_by",
            "created_at",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "returned_by",
            "returned_at",
            "review_comment",
            "updated_at",
        ]
        # One form per project and month: the service answers the existing one instead.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, MonthlyReport):
            # A form stays the one of its project and month.
            fields["project"].read_only = True
            fields["period"].read_only = True
        return fields

    def validate(self, attrs):
        # Refuse rather than ignore a status (or derived figure) change by edit, so the caller
        # learns it did not happen. Values sent back unchanged (read, edited, sent) are fine.
        current = self.instance if isinstance(self.instance, MonthlyReport) else MonthlyReport()
        initial = self.initial_data if hasattr(self.initial_data, "get") else {}
        changed = [
            name
            for name in WORKFLOW_FIELDS
            if name in initial and not _same(initial.get(name), getattr(current, name))
        ]
        if changed:
            message = _(
                "状态、审核意见和本年累计只能由报送、审核等操作变更或自动计算"
                "（POST /api/v1/progress/{id}/{操作}/）。"
            )
            raise serializers.ValidationError({name: [message] for name in changed})
        return attrs


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    """One form, with what the caller may do with it now and its history."""

    allowed_actions = serializers.SerializerMethodField(
        help_text=_("当前用户现在可以执行的操作（POST /api/v1/progress/{id}/{操作}/）")
    )
    events = ProgressEventSerializer(many=True, read_only=True)

    class Meta(MonthlyReportSerializer.Meta):
        fields = [*MonthlyReportSerializer.Meta.fields, "allowed_actions", "events"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ACTIONS)))
    def get_allowed_actions(self, report: MonthlyReport) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return services.allowed_actions(report, user)


# --- writing: the workflow actions ----------------------------------------------------------


class ProgressSubmitSerializer(serializers.Serializer):
    """报送: no body; the form's own values are checked again (形象进度 is required)."""


class ProgressApproveSerializer(serializers.Serializer):
    """审核通过: an optional comment."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ProgressReturnSerializer(serializers.Serializer):
    """退回: what the county is to correct."""

    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("退回意见（必填，空则拒绝：comment_required）"),
    )


class ProgressReopenSerializer(serializers.Serializer):
    """重新打开 an approved form: the reason is kept on the record."""

    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("重新打开的原因（必填，空则拒绝：reason_required）"),
    )


# --- the month of a region: template, handbook, filing status --------------------------------


class MonthQuerySerializer(serializers.Serializer):
    """``?period=YYYY-MM&region=<code>``: a month (default: this month) and a region in the
    caller's scope (default: all of it)."""

    period = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("月份 YYYY-MM，默认本月")
    )
    region = region_code_field(_("6位行政区划代码，含其下级地区；默认本人管辖范围"), optional=True)


class FilingCountsSerializer(serializers.Serializer):
    active = serializers.IntegerField(help_text=_("应报项目数（在库、签约至投产之间）"))
    draft = serializers.IntegerField(help_text=_("草稿"))
    submitted = serializers.IntegerField(help_text=_("已报送待审核"))
    approved = serializers.IntegerField(help_text=_("已审核"))
    returned = serializers.IntegerField(help_text=_("已退回"))
    filed = serializers.IntegerField(help_text=_("已报送（含已审核）"))
    missing = serializers.IntegerField(help_text=_("未报送"))


class FilingRowSerializer(FilingCountsSerializer):
    """One county's filing for the month."""

    region = serializers.CharField(source="region.code", help_text=_("县区行政区划代码"))
    region_name = serializers.CharField(source="region.name")


class FilingStatusSerializer(serializers.Serializer):
    period = serializers.CharField()
    deadline = serializers.DateField(help_text=_("本月报送截止日"))
    total = FilingCountsSerializer(help_text=_("各县区合计"))
    rows = FilingRowSerializer(many=True)


class MissingProjectSerializer(serializers.ModelSerializer):
    """An active project with no form submitted for the month."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "code", "name", "region", "region_name", "stage", "stage_display"]
        read_only_fields = fields


# --- the Excel import -----------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("填好的月度进展模板（.xlsx，由 GET /api/v1/progress/template/ 下载）"),
        error_messages={
            "required": _("请选择要导入的 .xlsx 文件。"),
            "empty": _("上传的文件是空的。"),
            "invalid": _("没有收到文件，请以 multipart/form-data 上传 file 字段。"),
        },
    )
    period = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("所选月份 YYYY-MM；填写时须与文件中的填报月份一致"),
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("Excel 行号"))
    column = serializers.CharField(allow_blank=True, help_text=_("列名"))
    message = serializers.CharField()


class ProgressImportSerializer(serializers.ModelSerializer):
    """An uploaded workbook and what became of it; a large one is imported by a background
    job: poll this until ``finished``."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    finished = serializers.BooleanField(read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("进度（0–100）"))
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    created_by_name = serializers.CharField(source="created_by", read_only=True)
    errors = ImportErrorSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text=_("本导入任务的状态地址"))

    class Meta:
        model = ProgressImport
        fields = [
            "id",
            "url",
            "status",
            "status_display",
            "finished",
            "percent",
            "period",
            "region",
            "region_name",
            "file_name",
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "unchanged",
            "message",
            "errors",
            "created_by",
            "created_by_name",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job: ProgressImport) -> str:
        return import_url(job, self.context.get("request"))


def import_url(job: ProgressImport, request=None) -> str:
    return reverse("api:progress-import-detail", args=[job.pk], request=request)


class ImportDoneSerializer(serializers.Serializer):
    """A file imported at once."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    created = serializers.IntegerField(help_text=_("新增"))
    updated = serializers.IntegerField(help_text=_("更新"))
    unchanged = serializers.IntegerField(help_text=_("未变化（同一文件再次导入时全部未变化）"))
    message = serializers.CharField()


class ImportQueuedSerializer(serializers.Serializer):
    """A large file: imported by a background job; poll ``url``."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    percent = serializers.IntegerField()
    total_rows = serializers.IntegerField()
    url = serializers.CharField(help_text=_("导入任务状态地址（GET）"))
    message = serializers.CharField()


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"$ref": "#/components/schemas/ImportError"}},
            {"type": "object", "additionalProperties": {"type": "array", "items": {}}},
        ]
    }
)
class ImportErrorsField(serializers.JSONField):
    """The row errors of a refused import, or a refused request's errors by field."""


class ImportRefusedSerializer(serializers.Serializer):
    """Nothing imported: the rows' errors by Excel row and column (``rows_invalid``), or the
    file refused as a whole (``file_refused``, with ``errors.file``)."""

    code = serializers.CharField()
    message = serializers.CharField()
    id = serializers.IntegerField(required=False, help_text=_("导入任务编号（行校验未通过时）"))
    errors = ImportErrorsField(
        required=False,
        help_text=_(
            "rows_invalid：按 Excel 行列的错误列表；请求本身不合格（如未选文件）时为"
            "字段名 → 错误说明的对象，与其他接口的 validation_error 相同"
        ),
    )
