from django.contrib import admin

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read here. Documents are requested, retried and published through the platform's pages,
    API and ``generate_report`` command, which check who may do what; a published one is the
    record leaders read and never changes (the model refuses it too). A draft may be deleted,
    e.g. a job started for the wrong office."""

    list_display = [
        "title",
        "kind",
        "period",
        "number",
        "unit",
        "status",
        "progress",
        "attempts",
        "created_at",
        "published_at",
    ]
    list_filter = ["kind", "status", "year", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "period", "unit__name", "error"]
    list_select_related = ["unit"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # The bulk delete goes around Report.delete() (a queryset delete) and so around the
        # guard on published reports: drafts are deleted one at a time, from their page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)
