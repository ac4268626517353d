"""Funding as other systems see it: channels, quotas, funding records (万元), the REITs pipeline
with its history, financing needs and their matches, the small bodies of the actions and the
summary figures. Money is a decimal string in 万元."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.fields import region_code_field
from core.api.scoped import ScopedPrimaryKeyRelatedField
from funding.models import (
    FinancialInstitution,
    FinancingMatch,
    FinancingNeed,
    FundingChannel,
    FundingRecord,
    MatchState,
    Quota,
    ReitsEvent,
    ReitsProject,
    ReitsStage,
)
from projects.models import Project

PROJECT_NOT_FOUND = _("所选项目不存在或不在您的管辖范围内。")


def _scoped_project_field(**extra):
    """Only projects the caller may see can be named: others are "not found"."""
    return ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        help_text=_("项目编号"),
        error_messages={"does_not_exist": PROJECT_NOT_FOUND},
        **extra,
    )


def _channel_field(**extra):
    return serializers.PrimaryKeyRelatedField(
        queryset=FundingChannel.objects.all(),
        help_text=_("资金渠道代码"),
        error_messages={"does_not_exist": _("资金渠道“{pk_value}”不存在。")},
        **extra,
    )


# --- channels and quotas -----------------------------------------------------------------------


class FundingChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingChannel
        fields = ["code", "name", "position", "has_quota", "note"]
        read_only_fields = fields


class QuotaSerializer(serializers.ModelSerializer):
    """A region's quota for a channel and year. Channel, year and region are fixed once set;
    issued and used amounts are not typed here — see ``/api/v1/funding/summary/``."""

    channel = _channel_field()
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    region = region_code_field(_("6位行政区划代码"))
    region_name = serializers.CharField(source="region.name", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_("万元"))

    class Meta:
        model = Quota
        fields = [
            "id",
            "channel",
            "channel_name",
            "year",
            "region",
            "region_name",
            "amount",
            "issuance_deadline",
            "note",
            "over_reason",
        ]
        # One quota per channel, year and region: checked below with a message naming it.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Quota):
            for name in ("channel", "year", "region"):
                fields[name].read_only = True
        return fields

    def validate(self, attrs):
        if (
            self.instance is None
            and Quota.objects.filter(
                channel=attrs["channel"], year=attrs["year"], region=attrs["region"]
            ).exists()
        ):
            raise serializers.ValidationError(
                {"region": [_("该地区本年度在此渠道已有额度，请修改已有额度。")]}
            )
        return attrs


# --- funding records -----------------------------------------------------------------------------


class FundingRecordSerializer(serializers.ModelSerializer):
    """Money of one channel for one project in one year and batch (万元): requested →
    allocated (下达) → issued (发行/拨付) → used (支出), and the part used as project capital.
    Project, channel and year are fixed once registered."""

    project = _scoped_project_field()
    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(source="project.name", read_only=True)
    channel = _channel_field()
    channel_name = serializers.CharField(source="channel.name", read_only=True)

    class Meta:
        model = FundingRecord
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "channel",
            "channel_name",
            "year",
            "batch",
            "requested",
            "allocated",
            "issued",
            "used",
            "capital_share",
            "allocated_on",
            "issued_on",
            "used_as_of",
            "note",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        # One record per project, channel, year and batch: the service refuses a second.
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, FundingRecord):
            for name in ("project", "channel", "year"):
                fields[name].read_only = True
        return fields


# --- REITs ---------------------------------------------------------------------------------------


class ReitsEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ReitsEvent
        fields = ["id", "from_stage", "to_stage", "date", "actor_name", "at", "comment"]
        read_only_fields = fields

    def get_actor_name(self, event: ReitsEvent) -> str:
        return str(event.actor) if event.actor_id else str(_("系统"))


class ReitsProjectSerializer(serializers.ModelSerializer):
    """A project in the REITs pipeline with the date of each stage reached."""

    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(source="project.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = ReitsProject
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "stage",
            "stage_display",
            "asset",
            "planned_amount",
            "reserve_on",
            "local_submission_on",
            "provincial_review_on",
            "reported_national_on",
            "registered_on",
            "listed_on",
        ]
        read_only_fields = fields


class ReitsProjectDetailSerializer(ReitsProjectSerializer):
    events = ReitsEventSerializer(many=True, read_only=True)

    class Meta(ReitsProjectSerializer.Meta):
        fields = [*ReitsProjectSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ReitsCreateSerializer(serializers.Serializer):
    """Put a project into the REITs reserve (储备) on a date."""

    project = _scoped_project_field()
    date = serializers.DateField(help_text=_("纳入储备日期"))
    asset = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    planned_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, default=0, help_text=_("万元")
    )


class ReitsAdvanceSerializer(serializers.Serializer):
    """Move to the next stage of the pipeline on a date."""

    stage = serializers.ChoiceField(choices=ReitsStage.choices, help_text=_("下一阶段"))
    date = serializers.DateField(help_text=_("进入该阶段的日期"))
    comment = serializers.CharField(required=False, allow_blank=True, default="")


# --- financing needs and matches ---------------------------------------------------------------


class FinancialInstitutionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = FinancialInstitution
        fields = ["id", "name", "kind", "kind_display"]
        read_only_fields = fields


class FinancingMatchSerializer(serializers.ModelSerializer):
    """A need pushed to an institution and how far it got (万元)."""

    project = serializers.IntegerField(source="need.project_id", read_only=True)
    project_code = serializers.CharField(
        source="need.project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(source="need.project.name", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = FinancingMatch
        fields = [
            "id",
            "need",
            "project",
            "project_code",
            "project_name",
            "institution",
            "institution_name",
            "state",
            "state_display",
            "credit_amount",
            "disbursed_amount",
            "pushed_on",
            "updated_at",
        ]
        read_only_fields = fields


class NeedMatchSerializer(serializers.ModelSerializer):
    """A match as listed under its need."""

    institution_name = serializers.CharField(source="institution.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = FinancingMatch
        fields = [
            "id",
            "institution",
            "institution_name",
            "state",
            "state_display",
            "credit_amount",
            "disbursed_amount",
            "pushed_on",
        ]
        read_only_fields = fields


class FinancingNeedSerializer(serializers.ModelSerializer):
    """A project's financing need (万元) and the institutions it was pushed to."""

    project = _scoped_project_field()
    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(source="project.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_("万元"))
    matches = NeedMatchSerializer(many=True, read_only=True)

    class Meta:
        model = FinancingNeed
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "kind",
            "kind_display",
            "amount",
            "note",
            "created_at",
            "matches",
        ]
        read_only_fields = ["created_at"]


class NeedPushSerializer(serializers.Serializer):
    """Push the need to one or more institutions (those already pushed are kept)."""

    institutions = serializers.PrimaryKeyRelatedField(
        queryset=FinancialInstitution.objects.all(),
        many=True,
        allow_empty=False,
        help_text=_("金融机构编号"),
    )
    date = serializers.DateField(required=False, allow_null=True, default=None)


class MatchUpdateSerializer(serializers.Serializer):
    """Move a match forward (pushed → in talks → credit granted → disbursed) with its amounts."""

    state = serializers.ChoiceField(choices=MatchState.choices)
    credit_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    disbursed_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )


# --- summary -------------------------------------------------------------------------------------


def _money(**extra):
    return serializers.DecimalField(max_digits=None, decimal_places=2, **extra)


def _share(**extra):
    return serializers.DecimalField(max_digits=None, decimal_places=4, allow_null=True, **extra)


class SummaryQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        help_text=_("年度（必填）"),
        error_messages={"required": _("请指定年度（year）。"), "invalid": _("年度应为整数。")},
    )
    region = region_code_field(_("6位行政区划代码，含其下级地区"), optional=True)
    channel = serializers.SlugRelatedField(
        slug_field="code",
        queryset=FundingChannel.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("资金渠道代码"),
        error_messages={"does_not_exist": _("资金渠道“{value}”不存在。")},
    )


class ChannelFiguresSerializer(serializers.Serializer):
    """One channel's figures for the region (with everything below it) and year."""

    channel = serializers.CharField(source="channel.code")
    channel_name = serializers.CharField(source="channel.name")
    year = serializers.IntegerField()
    quota = _money(
        allow_null=True, help_text=_("额度（万元）：本地区额度，无则为下一级地区额度之和")
    )
    allocated = _money(help_text=_("下达（万元）"))
    issued = _money(help_text=_("发行/拨付（万元）"))
    used = _money(help_text=_("支出（万元）"))
    capital = _money(help_text=_("用作资本金（万元）"))
    projects = serializers.IntegerField(help_text=_("项目数"))
    deadline = serializers.DateField(allow_null=True, help_text=_("发行（下达）截止日期"))
    issuance_progress = _share(help_text=_("发行进度：发行 ÷ 额度"))
    use_progress = _share(help_text=_("支出进度：支出 ÷ 发行"))
    behind_deadline = serializers.SerializerMethodField(
        help_text=_("已过截止日期而额度尚未发行完毕")
    )

    def get_behind_deadline(self, figures) -> bool:
        return figures.behind_deadline(timezone.localdate())


class ReitsStageCountSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=ReitsStage.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class FinancingFiguresSerializer(serializers.Serializer):
    needs = serializers.IntegerField(help_text=_("融资需求数"))
    total = _money(help_text=_("融资需求总额（万元）"))
    matched = _money(help_text=_("已推送金融机构的需求金额（万元）"))
    credit_granted = _money(help_text=_("已授信（万元）"))
    disbursed = _money(help_text=_("已投放（万元）"))


class FundingSummarySerializer(serializers.Serializer):
    channels = ChannelFiguresSerializer(many=True)
    reits = ReitsStageCountSerializer(many=True)
    financing = FinancingFiguresSerializer()
