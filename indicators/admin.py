from django.contrib import admin

from .models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "indicator", "sub_period", "value", "note", "set_by"]
    list_filter = ["year", "indicator", "sub_period"]
    search_fields = ["region__name", "region__code", "note"]
    list_select_related = ["region", "set_by"]
    readonly_fields = ["set_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)
