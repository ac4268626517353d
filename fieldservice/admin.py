from django.contrib import admin

from .models import Assignment, Visit, VisitProblem


class _ReadOnly(admin.ModelAdmin):
    """Read here: specialists are assigned and visits recorded on the platform's pages and in
    its API, which check the scope and raise the problems as tickets."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(_ReadOnly):
    list_display = ["project", "specialist", "assigned_on", "assigned_by"]
    search_fields = ["project__name", "project__code", "specialist__full_name"]
    list_select_related = ["project", "specialist", "assigned_by"]


class VisitProblemInline(admin.TabularInline):
    model = VisitProblem
    fields = ["issue"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = ["project", "visited_on", "visitor_kind", "visitors", "recorded_by"]
    list_filter = ["visitor_kind"]
    search_fields = ["project__name", "project__code", "visitors", "findings"]
    list_select_related = ["project", "recorded_by"]
    date_hierarchy = "visited_on"
    inlines = [VisitProblemInline]
