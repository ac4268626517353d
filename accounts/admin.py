from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from . import signals
from .models import Region, Role, Unit, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind", "region__level"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


class InitialPasswordForm(AdminPasswordChangeForm):
    """A password an administrator sets is an initial one: changed at the next sign-in."""

    def save(self, commit=True):
        self.user.must_change_password = True
        user = super().save(commit=commit)
        if commit:
            type(user).objects.filter(pk=user.pk).update(must_change_password=True)
        signals.password_changed.send(
            sender=type(user), user=user, by=None, request=None, reason="reset"
        )
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = InitialPasswordForm
    list_display = ["username", "full_name", "region", "unit", "is_active", "is_staff"]
    list_filter = ["roles", "region__level", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    autocomplete_fields = ["region", "unit"]
    list_select_related = ["region", "unit"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("机构与角色"), {"fields": ("full_name", "phone", "region", "unit", "roles")}),
    )
    filter_horizontal = ["roles", "groups", "user_permissions"]

    def save_model(self, request, obj, form, change):
        if not change:  # created with an initial password
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
