from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Region
from webhooks import services
from webhooks.models import Attempt, Delivery, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    """A webhook subscription. ``secret`` signs the deliveries (see the README's 签名校验); it is
    shown to the subscription's owner, and once to whoever sets a new one."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    events = serializers.ListField(
        child=serializers.CharField(max_length=60),
        help_text=_("事件名称（见事件目录），可写“issue.*”这样的前缀，或“*”表示全部"),
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        allow_null=True,
        help_text=_("6位行政区划代码：只发送该地区及其下级地区的事件（12345热线回调为 null）"),
        error_messages={"does_not_exist": _("行政区划代码“{value}”不存在。")},
    )
    region_name = serializers.CharField(
        source="region.name", read_only=True, allow_null=True
    )
    owner_name = serializers.CharField(
        source="owner", read_only=True, allow_null=True
    )
    active = serializers.BooleanField(
        required=False, help_text=_("false 暂停发送，true 恢复发送（重试时限内未送达的随即补发）")
    )
    secret = serializers.SerializerMethodField(
        help_text=_("签名密钥：只有创建人可见，其他人为 null；更换密钥后的应答中也会显示")
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "url",
            "events",
            "region",
            "region_name",
            "owner",
            "owner_name",
            "active",
            "paused_at",
            "pause_reason",
            "failing_since",
            "consecutive_failures",
            "secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "kind",
            "owner",
            "paused_at",
            "pause_reason",
            "failing_since",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ]

    def get_secret(self, subscription) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if self.context.get("reveal_secret") or services.may_see_secret(subscription, user):
            return subscription.secret or None
        return None


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "at", "ok", "status_code", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    """One event sent (or being sent) to the subscription, with every attempt."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_key",
            "event_name",
            "status",
            "status_display",
            "attempts",
            "created_at",
            "expires_at",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "attempt_log",
        ]
        read_only_fields = fields
