from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ElementNeed, PreReview, PreReviewOpinion, Project, StageChange, Tag


class ElementNeedInline(admin.TabularInline):
    model = ElementNeed
    extra = 0


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "region", "tier", "stage", "admission", "total_investment"]
    list_filter = ["tier", "stage", "sub_library", "category", "admission", "two_major"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["region", "unit", "responsible_unit"]
    list_select_related = ["region"]
    filter_horizontal = ["tags"]
    inlines = [ElementNeedInline]
    # Stage and admission move only through the workflow services, which keep their records.
    readonly_fields = ["stage", "admission"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["project", "from_stage", "to_stage", "date", "is_correction", "actor", "at"]
    list_filter = ["is_correction", "to_stage"]
    list_select_related = ["project", "actor"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PreReviewOpinionInline(admin.TabularInline):
    model = PreReviewOpinion
    extra = 0
    readonly_fields = ["unit", "verdict", "comment", "recorded_by", "recorded_at"]
    can_delete = False


@admin.register(PreReview)
class PreReviewAdmin(admin.ModelAdmin):
    list_display = ["project", "held_on", "result", "concluded_at"]
    list_filter = ["result"]
    readonly_fields = ["result", "concluded_at", "concluded_by"]
    inlines = [PreReviewOpinionInline]
