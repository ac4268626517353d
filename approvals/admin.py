from django.contrib import admin

from .models import Approval, ApprovalEvent, ApprovalKind


@admin.register(ApprovalKind)
class ApprovalKindAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "handler",
        "promised_days",
        "target_rule",
        "target_share",
        "same_day_with_specialist",
    ]


class ApprovalEventInline(admin.TabularInline):
    model = ApprovalEvent
    fields = ["at", "from_status", "to_status", "date", "actor", "synced", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read here; approvals change through the platform's pages, API and sync."""

    list_display = ["project", "kind", "unit", "status", "accepted_on", "promise_due_on"]
    list_filter = ["kind", "status", "authority_level"]
    search_fields = ["project__name", "project__code", "document_no"]
    inlines = [ApprovalEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
