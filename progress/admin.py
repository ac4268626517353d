from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import FilingReminder, MonthlyReport, ProgressEvent, ProgressImport


class ProgressEventInline(admin.TabularInline):
    model = ProgressEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Read here; forms are filled, reviewed and reopened through the platform's pages, API
    and Excel import, which check who may do what and keep the record."""

    list_display = [
        "project",
        "period",
        "investment_this_month",
        "investment_ytd",
        "status",
        "submitted_at",
        "approved_at",
    ]
    list_filter = ["status", "period", "new_stage"]
    search_fields = ["project__name", "project__code", "period"]
    list_select_related = ["project"]
    date_hierarchy = "created_at"
    inlines = [ProgressEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProgressImport)
class ProgressImportAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "region",
        "period",
        "status",
        "total_rows",
        "created",
        "updated",
        "unchanged",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "period"]
    search_fields = ["file_name", "sha256", "created_by__username"]
    list_select_related = ["region", "created_by"]


@admin.register(FilingReminder)
class FilingReminderAdmin(ReadOnlyAdmin):
    list_display = ["region", "period", "sent_on", "missing", "deadline"]
    list_filter = ["period", "sent_on"]
    list_select_related = ["region"]
