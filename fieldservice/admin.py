"""Read here: specialists are assigned and visits recorded on the platform's pages and in its
API, which check the scope and raise the problems as tickets."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Assignment, Visit, VisitProblem


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["project", "specialist", "assigned_on", "assigned_by"]
    search_fields = ["project__name", "project__code", "specialist__full_name"]
    list_select_related = ["project", "specialist", "assigned_by"]


class VisitProblemInline(ReadOnlyInline):
    model = VisitProblem
    fields = ["issue"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["project", "visited_on", "visitor_kind", "visitors", "recorded_by"]
    list_filter = ["visitor_kind"]
    search_fields = ["project__name", "project__code", "visitors", "findings"]
    list_select_related = ["project", "recorded_by"]
    date_hierarchy = "visited_on"
    inlines = [VisitProblemInline]
