"""Indicators and targets (SPEC §9, §12): the 五率 / 四率 / new-start figures of a region in the
caller's scope, each with its numerator, denominator and target; the projects behind any
figure; the figures of the regions below (to flag the lagging ones); and the targets, set by
the offices for their region and the regions below it."""

import django_filters
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.filtersets import RegionBelowMixin, region_filter
from accounts.models import Region
from core.api.pagination import PageNumberPagination
from indicators import selectors, services
from indicators.models import Indicator, ProjectGroup, SubPeriod, Target
from projects.models import Project

from .serializers import (
    FigureSerializer,
    IndicatorProjectSerializer,
    IndicatorProjectsQuerySerializer,
    IndicatorQuerySerializer,
    ProjectGroupSerializer,
    RegionFiguresSerializer,
    TargetSerializer,
)


class IndicatorViewSet(viewsets.GenericViewSet):
    """Figures are computed over the projects the caller may see, for a region in their scope
    (default: their own) and everything below it, from 1 January to the end of ``period``."""

    serializer_class = FigureSerializer
    filter_backends: list = []
    pagination_class = None

    def _query(self, request, serializer_class=IndicatorQuerySerializer) -> dict:
        query = serializer_class(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        user = request.user
        region = values["region"] or user.home_region()
        if region is None or not Region.objects.for_user(user).filter(pk=region.pk).exists():
            raise Http404
        values["region"] = region
        group = values.get("group")
        if (
            group is not None
            and not ProjectGroup.objects.for_user(user).filter(pk=group.pk).exists()
        ):
            raise Http404  # another region's own group: not found, as its region would be
        values["year"] = values.get("year") or timezone.localdate().year
        values["projects"] = Project.objects.for_user(user)
        return values

    @extend_schema(
        parameters=[IndicatorQuerySerializer], responses={200: FigureSerializer(many=True)}
    )
    def list(self, request):
        """Every indicator for the region: Wuxi's 五率, Huai'an's 四率, the start rate of the
        projects planned to start this year and the number of new starts, each against the
        region's target for the year (or part of it)."""
        q = self._query(request)
        figures = selectors.indicators(
            q["region"], q["year"], q["period"], queryset=q["projects"], group=q["group"]
        )
        return Response(FigureSerializer(figures, many=True).data)

    @extend_schema(
        parameters=[IndicatorQuerySerializer], responses={200: RegionFiguresSerializer(many=True)}
    )
    @action(detail=False, methods=["get"], url_path="by-region", url_name="by-region")
    def by_region(self, request):
        """The same figures for each region directly below the one asked (a city's counties,
        the province's cities), each against its own targets, with the indicators it lags on."""
        q = self._query(request)
        rows = [
            {
                "region": region,
                "figures": figures,
                "lagging": [figure.indicator for figure in figures if figure.lagging],
            }
            for region, figures in selectors.indicators_by_region(
                q["region"], q["year"], q["period"], queryset=q["projects"], group=q["group"]
            )
        ]
        return Response(RegionFiguresSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[IndicatorProjectsQuerySerializer],
        responses={200: IndicatorProjectSerializer(many=True)},
    )
    @action(
        detail=False,
        methods=["get"],
        serializer_class=IndicatorProjectSerializer,
        pagination_class=PageNumberPagination,
    )
    def projects(self, request):
        """The projects behind a figure: those counted in its denominator (default) or its
        numerator — the same definition as the figure, so the counts agree."""
        q = self._query(request, IndicatorProjectsQuerySerializer)
        rows = (
            selectors.projects_behind(
                q["indicator"],
                q["region"],
                q["year"],
                q["period"],
                part=q["part"],
                queryset=q["projects"],
                group=q["group"],
            )
            .select_related("region")
            .order_by("region_id", "code", "pk")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ProjectGroupViewSet(viewsets.ReadOnlyModelViewSet):
    """The project groups the caller may ask figures and set targets for: the shipped ones
    (found by rule) and those of the offices of their region, above and below it."""

    serializer_class = ProjectGroupSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return ProjectGroup.objects.for_user(self.request.user)


# --- targets ---------------------------------------------------------------------------------


WHOLE_YEAR = "year"


class TargetFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region = region_filter()
    year = django_filters.NumberFilter(label=gettext_lazy("年度"))
    group = django_filters.CharFilter(
        method="filter_group",
        label=gettext_lazy("项目分组"),
        help_text=gettext_lazy("分组代码；all 为本地区全部项目的目标"),
    )
    indicator = django_filters.MultipleChoiceFilter(
        choices=Indicator.choices, label=gettext_lazy("指标"), help_text=gettext_lazy("可多选")
    )
    sub_period = django_filters.ChoiceFilter(
        choices=[(WHOLE_YEAR, gettext_lazy("全年")), *SubPeriod.choices[1:]],
        method="filter_sub_period",
        label=gettext_lazy("时段"),
        help_text=gettext_lazy("year 为全年目标"),
    )

    class Meta:
        model = Target
        fields = ["region", "year", "indicator", "sub_period"]

    def filter_group(self, queryset, name, value):
        if not value:
            return queryset
        if value == "all":
            return queryset.filter(group__isnull=True)
        return queryset.filter(group__code=value)

    def filter_sub_period(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(sub_period="" if value == WHOLE_YEAR else value)


class TargetPermission(permissions.BasePermission):
    """Everyone reads the targets of their region, those below and those above it; office
    staff (and system administrators) write those of their region and below."""

    message = gettext_lazy("只有重大办工作人员可以设定本地区及下级地区的目标。")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return user.sees_everything or user.is_office_staff

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return services.may_set(request.user, obj.region)


class TargetViewSet(viewsets.ModelViewSet):
    """Targets per region, year, indicator and (optionally) part of the year."""

    serializer_class = TargetSerializer
    permission_classes = [permissions.IsAuthenticated, TargetPermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = TargetFilterSet
    ordering_fields = ["region", "year", "indicator", "sub_period", "updated_at"]

    def get_queryset(self):
        return Target.objects.for_user(self.request.user).select_related(
            "region", "group", "set_by"
        )

    def perform_create(self, serializer):
        serializer.instance = services.target_save(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.target_save(
            target=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.target_delete(instance, by=self.request.user)
