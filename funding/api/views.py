"""Funding (SPEC §11, §12): channels, quotas, funding records, the REITs pipeline, financing
needs and matches in the caller's scope, each write one call of ``funding.services``; and the
summary figures of ``funding.selectors``."""

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Region
from funding import selectors, services
from funding.filtersets import (
    FinancingMatchFilterSet,
    FinancingNeedFilterSet,
    FundingRecordFilterSet,
    QuotaFilterSet,
    ReitsProjectFilterSet,
)
from funding.models import (
    FinancialInstitution,
    FinancingMatch,
    FinancingNeed,
    FundingChannel,
    FundingRecord,
    Quota,
    ReitsEvent,
    ReitsProject,
)

from .serializers import (
    FinancialInstitutionSerializer,
    FinancingMatchSerializer,
    FinancingNeedSerializer,
    FundingChannelSerializer,
    FundingRecordSerializer,
    FundingSummarySerializer,
    MatchUpdateSerializer,
    NeedPushSerializer,
    QuotaSerializer,
    ReitsAdvanceSerializer,
    ReitsCreateSerializer,
    ReitsProjectDetailSerializer,
    ReitsProjectSerializer,
    SummaryQuerySerializer,
)


class FundingWritePermission(permissions.BasePermission):
    """Reading follows scope; writing is for editors (office staff, API clients). A write to
    an object is judged after it is found, so an out-of-scope object stays "not found"."""

    message = _("您没有维护资金数据的权限。")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or view.detail:
            return True
        return request.user.can_edit_library

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or request.user.can_edit_library


class FundingViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, FundingWritePermission]
    filter_backends = [DjangoFilterBackend]

    def _answer(self, obj, serializer_class=None, code=status.HTTP_200_OK) -> Response:
        """The object as read afresh through the scoped queryset."""
        obj = self.get_queryset().get(pk=obj.pk)
        serializer_class = serializer_class or self.get_serializer_class()
        return Response(
            serializer_class(obj, context=self.get_serializer_context()).data, status=code
        )


class FundingChannelViewSet(viewsets.ReadOnlyModelViewSet):
    """The shipped channels of money (专项债, REITs, 超长期特别国债 …)."""

    serializer_class = FundingChannelSerializer
    queryset = FundingChannel.objects.all()
    filter_backends: list = []
    pagination_class = None


class FinancialInstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Financial institutions financing needs are pushed to."""

    serializer_class = FinancialInstitutionSerializer
    queryset = FinancialInstitution.objects.all()
    filter_backends: list = []
    pagination_class = None


class QuotaViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    FundingViewSet,
):
    """Quotas per channel, year and region in the caller's scope (万元)."""

    serializer_class = QuotaSerializer
    filterset_class = QuotaFilterSet

    def get_queryset(self):
        return Quota.objects.for_user(self.request.user).select_related("channel", "region")

    def create(self, request):
        """Set a region's quota for a channel and year (the region in the caller's scope)."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quota = services.quota_save(by=request.user, **payload.validated_data)
        return self._answer(quota, code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        """Change the amount, deadline or note of a quota."""
        quota = self.get_object()
        payload = self.get_serializer(quota, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        fields = {
            "amount": quota.amount,
            "issuance_deadline": quota.issuance_deadline,
            "note": quota.note,
            "over_reason": quota.over_reason,
            **payload.validated_data,
        }
        quota = services.quota_save(
            by=request.user, channel=quota.channel, year=quota.year, region=quota.region, **fields
        )
        return self._answer(quota)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


class FundingRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    FundingViewSet,
):
    """Projects' funding records in the caller's scope. Refused when used > issued, issued >
    allocated, an amount is negative, or special-bond capital exceeds 25 % of the bond amount,
    with a Chinese message naming the field."""

    serializer_class = FundingRecordSerializer
    filterset_class = FundingRecordFilterSet

    def get_queryset(self):
        return FundingRecord.objects.for_user(self.request.user).select_related(
            "project", "channel"
        )

    def create(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = services.record_create(by=request.user, **payload.validated_data)
        return self._answer(record, code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        """Change the amounts, dates, batch or note (project, channel and year stay)."""
        record = self.get_object()
        payload = self.get_serializer(record, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        record = services.record_update(record=record, by=request.user, **payload.validated_data)
        return self._answer(record)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


class ReitsProjectViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, FundingViewSet
):
    """Projects in the REITs pipeline (储备 → 地方申报 → 省级审核 → 已报国家 → 注册 → 上市发行),
    moved one stage at a time by ``advance``, each step in ``events``."""

    serializer_class = ReitsProjectSerializer
    filterset_class = ReitsProjectFilterSet

    def get_queryset(self):
        queryset = ReitsProject.objects.for_user(self.request.user).select_related("project")
        if self.detail or self.action == "create":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=ReitsEvent.objects.select_related("actor"))
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return ReitsCreateSerializer
        if self.action == "advance":
            return ReitsAdvanceSerializer
        if self.detail:
            return ReitsProjectDetailSerializer
        return super().get_serializer_class()

    @extend_schema(request=ReitsCreateSerializer, responses={201: ReitsProjectDetailSerializer})
    def create(self, request):
        """Put a project into the REITs reserve on a date."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reits = services.reits_add(by=request.user, **payload.validated_data)
        return self._answer(reits, ReitsProjectDetailSerializer, status.HTTP_201_CREATED)

    @extend_schema(request=ReitsAdvanceSerializer, responses={200: ReitsProjectDetailSerializer})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """Move to the next stage on a date (never skipping one, never back)."""
        reits = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reits = services.reits_advance(reits=reits, by=request.user, **payload.validated_data)
        return self._answer(reits, ReitsProjectDetailSerializer)


class FinancingNeedViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, FundingViewSet
):
    """Projects' financing needs in the caller's scope with the institutions they were pushed
    to; ``push`` sends a need to more institutions."""

    serializer_class = FinancingNeedSerializer
    filterset_class = FinancingNeedFilterSet

    def get_queryset(self):
        return (
            FinancingNeed.objects.for_user(self.request.user)
            .select_related("project")
            .prefetch_related(
                Prefetch(
                    "matches",
                    queryset=FinancingMatch.objects.select_related("institution").order_by(
                        "institution__name"
                    ),
                )
            )
        )

    def get_serializer_class(self):
        if self.action == "push":
            return NeedPushSerializer
        return super().get_serializer_class()

    def create(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        need = services.need_create(by=request.user, **payload.validated_data)
        return self._answer(need, code=status.HTTP_201_CREATED)

    @extend_schema(request=NeedPushSerializer, responses={200: FinancingNeedSerializer})
    @action(detail=True, methods=["post"])
    def push(self, request, pk=None):
        """Push the need to financial institutions (一次推送多家)."""
        need = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.need_push(need=need, by=request.user, **payload.validated_data)
        return self._answer(need, FinancingNeedSerializer)


class FinancingMatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FundingViewSet):
    """Needs pushed to institutions and how far they got; ``update-state`` moves one forward
    (pushed → in talks → credit granted → disbursed; never back)."""

    serializer_class = FinancingMatchSerializer
    filterset_class = FinancingMatchFilterSet

    def get_queryset(self):
        return FinancingMatch.objects.for_user(self.request.user).select_related(
            "need__project", "institution"
        )

    def get_serializer_class(self):
        if self.action == "update_state":
            return MatchUpdateSerializer
        return super().get_serializer_class()

    @extend_schema(request=MatchUpdateSerializer, responses={200: FinancingMatchSerializer})
    @action(detail=True, methods=["post"], url_path="update-state", url_name="update-state")
    def update_state(self, request, pk=None):
        match = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        match = services.match_update(match=match, by=request.user, **payload.validated_data)
        return self._answer(match, FinancingMatchSerializer)


class FundingSummaryView(generics.GenericAPIView):
    """The funding figures for a year, a region (with everything below it; default: the
    caller's scope) and optionally one channel."""

    serializer_class = FundingSummarySerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="年度"),
            OpenApiParameter(
                "region", OpenApiTypes.STR, description="6位行政区划代码，含其下级地区"
            ),
            OpenApiParameter("channel", OpenApiTypes.STR, description="资金渠道代码"),
        ],
        responses={200: FundingSummarySerializer},
    )
    def get(self, request):
        """Per channel: quota (the region's own, else the sum of the level below), allocated,
        issued, used, capital, projects, deadline, issuance and use progress; REITs counts by
        stage; financing needs total, matched, credit granted and disbursed."""
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        region = query.validated_data["region"]
        if region is not None and not Region.objects.for_user(user).filter(pk=region.pk).exists():
            raise Http404
        channel = query.validated_data["channel"]
        figures = {
            "channels": selectors.channel_summary(
                user,
                year=query.validated_data["year"],
                region=region,
                channel=channel.code if channel else None,
            ),
            "reits": [
                {"stage": stage, "label": label, "count": count}
                for stage, label, count in selectors.reits_funnel(user, region=region)
            ],
            "financing": selectors.financing_summary(user, region=region),
        }
        return Response(self.get_serializer(figures).data)
