from django.db.models import Prefetch
from rest_framework import mixins, permissions, viewsets

from core.api.permissions import CanEditLibrary
from schedule import services
from schedule.models import Milestone, ScheduleTemplate, TemplateLink

from .serializers import MilestoneSerializer, ScheduleTemplateSerializer


def milestone_queryset(user):
    return (
        Milestone.objects.for_user(user)
        .select_related("responsible_unit")
        .prefetch_related("predecessor_links")
    )


def milestone_writes(validated: dict) -> tuple[dict, list | None]:
    """Split validated milestone data into plain fields and service predecessors."""
    data = dict(validated)
    predecessors = data.pop("predecessors", None)
    if predecessors is not None:
        predecessors = [
            services.Predecessor(item["milestone"], item.get("lag_days", 0))
            for item in predecessors
        ]
    return data, predecessors


class MilestoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Key milestones within the caller's scope; add them under their project
    (``POST /api/v1/projects/{id}/milestones/``). Every change recomputes the schedule."""

    serializer_class = MilestoneSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditLibrary]
    filterset_fields = ["project", "status", "kind"]

    def get_queryset(self):
        return milestone_queryset(self.request.user)

    def perform_update(self, serializer):
        data, predecessors = milestone_writes(serializer.validated_data)
        services.milestone_update(
            milestone=serializer.instance, by=self.request.user, predecessors=predecessors, **data
        )
        serializer.instance = milestone_queryset(self.request.user).get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.milestone_delete(milestone=instance, by=self.request.user)


class ScheduleTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Schedule templates (office staff edit them on the platform's template pages)."""

    serializer_class = ScheduleTemplateSerializer

    def get_queryset(self):
        return ScheduleTemplate.objects.prefetch_related(
            "steps",
            Prefetch(
                "steps__predecessor_links",
                queryset=TemplateLink.objects.select_related("predecessor"),
            ),
        )
