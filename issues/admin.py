"""Admin: tickets and their records are read here; they change only through the workflow."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AgendaItem, Interview, Issue, IssueEvent, Meeting, Notice


class IssueEventInline(admin.TabularInline):
    model = IssueEvent
    fields = [
        "at",
        "kind",
        "from_status",
        "to_status",
        "from_level",
        "to_level",
        "actor",
        "comment",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "region", "level", "status", "unit", "deadline"]
    list_filter = ["status", "level", "category", "source"]
    search_fields = ["title", "external_id", "project__name", "project__code"]
    inlines = [IssueEventInline]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["issued_on", "unit", "issue", "deadline"]
    list_filter = ["issued_on"]


@admin.register(Interview)
class InterviewAdmin(ReadOnlyAdmin):
    list_display = ["triggered_on", "unit", "kind", "notice_count"]
    list_filter = ["kind"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["position", "mode", "batch_region", "project", "decision"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["date", "title", "region"]
    inlines = [AgendaItemInline]
