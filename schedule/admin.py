from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CalendarDay, CalendarYear, Milestone, ScheduleTemplate, TemplateStep


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "note", "updated_at"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["note"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "complete", "source", "updated_at"]


class TemplateStepInline(admin.TabularInline):
    model = TemplateStep
    extra = 0
    # Predecessors are edited on the template page of the platform, which checks for cycles.
    fields = ["position", "kind", "name", "duration_days", "handler"]


@admin.register(ScheduleTemplate)
class ScheduleTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_active", "updated_at"]
    inlines = [TemplateStepInline]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["name", "project", "kind", "status", "duration_days"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "project__name"]
    raw_id_fields = ["project", "responsible_unit"]
