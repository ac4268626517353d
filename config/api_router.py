"""Every REST resource under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.views import ObtainTokenView, RegionViewSet, UnitViewSet
from approvals.api.views import ApprovalKindViewSet, ApprovalViewSet
from issues.api.views import InterviewViewSet, IssueViewSet, NoticeViewSet
from projects.api.views import ProjectViewSet
from schedule.api.views import MilestoneViewSet, ScheduleTemplateViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("projects", ProjectViewSet, basename="project")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("schedule-templates", ScheduleTemplateViewSet, basename="schedule-template")
router.register("issues", IssueViewSet, basename="issue")
router.register("notices", NoticeViewSet, basename="notice")
router.register("interviews", InterviewViewSet, basename="interview")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("approval-kinds", ApprovalKindViewSet, basename="approval-kind")

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    *router.urls,
]
