from django import forms
from django.contrib import admin

from core.exceptions import DomainError
from core.forms import add_service_error

from . import services
from .models import Target


class TargetAdminForm(forms.ModelForm):
    """Refused as the API refuses (``services.target_check``): a region outside the ones the
    signed-in person may set, a second target for the same region, year and period."""

    #: who is setting the target (a subclass per request, see ``TargetAdmin.get_form``)
    by = None

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            services.target_check(self.instance, by=self.by)
        except DomainError as error:
            add_service_error(self, error)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetAdminForm
    list_display = ["region", "group", "year", "indicator", "sub_period", "value", "note", "set_by"]
    list_filter = ["year", "indicator", "sub_period", "group"]
    search_fields = ["region__name", "region__code", "note"]
    list_select_related = ["region", "group", "set_by"]
    readonly_fields = ["set_by", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"by": request.user})

    def save_model(self, request, obj, form, change):
        services.target_save(target=obj, by=request.user)
