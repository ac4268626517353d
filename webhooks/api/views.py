"""Webhook subscriptions for office administrators: the usual create, read, update, delete; the
deliveries of one subscription with every attempt; a new secret. A subscription outside the
caller's scope (owned by someone of another region) is not found (404)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import PageNumberPagination
from webhooks import services
from webhooks.models import DeliveryStatus, Subscription

from .serializers import DeliverySerializer, SubscriptionSerializer


class ManagesWebhooks(permissions.BasePermission):
    message = _("只有重大办工作人员和系统管理员可以管理Webhook订阅。")

    def has_permission(self, request, view):
        return services.may_manage(request.user)


class SubscriptionViewSet(viewsets.ModelViewSet):
    """Subscriptions of the caller's region and below (system administrators: all, the 12345
    hotline's callback included)."""

    serializer_class = SubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesWebhooks]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Subscription.objects.for_user(self.request.user).select_related("region", "owner")

    def perform_create(self, serializer):
        serializer.instance = services.subscription_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.subscription_update(
            serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.subscription_delete(instance, by=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=DeliveryStatus.values,
                description=_("只看某一状态：pending 待发送、delivered 已送达、failed 发送失败"),
            )
        ],
        responses={200: DeliverySerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=DeliverySerializer,
        pagination_class=PageNumberPagination,
    )
    def deliveries(self, request, pk=None):
        """The subscription's deliveries, newest first, each with its attempts."""
        subscription = self.get_object()
        rows = subscription.deliveries.prefetch_related("attempt_log").order_by(
            "-created_at", "-pk"
        )
        wanted = request.query_params.get("status")
        if wanted in DeliveryStatus.values:
            rows = rows.filter(status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret; the old one stops working at once. The answer shows it."""
        subscription = services.subscription_rotate_secret(self.get_object(), by=request.user)
        data = SubscriptionSerializer(
            subscription, context={**self.get_serializer_context(), "reveal_secret": True}
        ).data
        return Response(data, status=status.HTTP_200_OK)
