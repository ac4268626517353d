"""Every REST resource under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.views import ObtainTokenView, RegionViewSet, UnitViewSet
from approvals.api.views import ApprovalKindViewSet, ApprovalViewSet
from attachments.api.views import AttachmentViewSet
from core.api.exports import ExportViewSet
from fieldservice.api.views import VisitViewSet
from funding.api.views import (
    FinancialInstitutionViewSet,
    FinancingMatchViewSet,
    FinancingNeedViewSet,
    FundingChannelViewSet,
    FundingRecordViewSet,
    FundingSummaryView,
    QuotaViewSet,
    ReitsProjectViewSet,
)
from indicators.api.views import IndicatorViewSet, ProjectGroupViewSet, TargetViewSet
from issues.api.views import InterviewViewSet, IssueViewSet, NoticeViewSet
from opendata.api.views import OC4IDSPackageView
from progress.api.views import MonthlyReportViewSet, ProgressImportViewSet
from projects.api.views import PreReviewViewSet, ProjectViewSet
from reports.api.views import ReportViewSet
from schedule.api.views import MilestoneViewSet, ScheduleTemplateViewSet
from todo.api.views import MyTodoView
from webhooks.api.views import SubscriptionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("projects", ProjectViewSet, basename="project")
router.register("prereviews", PreReviewViewSet, basename="prereview")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("schedule-templates", ScheduleTemplateViewSet, basename="schedule-template")
router.register("issues", IssueViewSet, basename="issue")
router.register("notices", NoticeViewSet, basename="notice")
router.register("interviews", InterviewViewSet, basename="interview")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("approval-kinds", ApprovalKindViewSet, basename="approval-kind")
router.register("funding/channels", FundingChannelViewSet, basename="funding-channel")
router.register("funding/quotas", QuotaViewSet, basename="funding-quota")
router.register("funding/records", FundingRecordViewSet, basename="funding-record")
router.register("funding/reits", ReitsProjectViewSet, basename="funding-reits")
router.register("funding/financing-needs", FinancingNeedViewSet, basename="financing-need")
router.register("funding/financing-matches", FinancingMatchViewSet, basename="financing-match")
router.register(
    "funding/institutions", FinancialInstitutionViewSet, basename="financial-institution"
)
# imports before the forms, so "progress/imports/…" is never read as a form's address
router.register("progress/imports", ProgressImportViewSet, basename="progress-import")
router.register("progress", MonthlyReportViewSet, basename="progress")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("indicator-groups", ProjectGroupViewSet, basename="indicator-group")
router.register("targets", TargetViewSet, basename="target")
router.register("reports", ReportViewSet, basename="report")
router.register("visits", VisitViewSet, basename="visit")
router.register("webhooks", SubscriptionViewSet, basename="webhook")
router.register("exports", ExportViewSet, basename="export")
router.register("attachments", AttachmentViewSet, basename="attachment")

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("funding/summary/", FundingSummaryView.as_view(), name="funding-summary"),
    path("me/todo/", MyTodoView.as_view(), name="me-todo"),
    path("open-data/oc4ids/", OC4IDSPackageView.as_view(), name="open-data-oc4ids"),
    *router.urls,
]
