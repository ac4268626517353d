"""The admin of people and organisation, under the separation of duties (accounts/duties.py):
the system administrator keeps users, units and regions but not their roles; the security
administrator assigns roles and nothing else of a user; nobody is made a superuser here (only
``manage.py createsuperuser`` makes one, to bootstrap an installation), and Django's groups and
per-user permissions are not offered: what an administrator may do follows from their role."""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from . import signals
from .duties import check_roles, uses_admin_site
from .models import Region, Role, Unit, User

# The admin's door: the superuser and the system and security administrators (staff); the
# audit administrator works on the audit pages, office staff on the platform's own pages.
_site_permission = admin.site.has_permission


def _administrators_only(request) -> bool:
    return _site_permission(request) and uses_admin_site(request.user)


admin.site.has_permission = _administrators_only


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


class UserChangeForm(auth_forms.UserChangeForm):
    def clean_roles(self):
        roles = self.cleaned_data["roles"]
        check_roles({role.code for role in roles})  # 三权分立: one administrator role at most
        return roles


#: a user's fields besides their roles (the security administrator sees them read-only)
PROFILE_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "last_login",
    "date_joined",
    "full_name",
    "phone",
    "region",
    "unit",
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    change_password_form = InitialPasswordForm
    list_display = ["username", "full_name", "region", "unit", "is_active", "is_staff"]
    list_filter = ["roles", "region__level", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    autocomplete_fields = ["region", "unit"]
    list_select_related = ["region", "unit"]
    # no is_superuser, groups or user_permissions: rights come from roles (accounts/duties.py)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (_("状态"), {"fields": ("is_active", "is_staff")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
        (_("机构与角色"), {"fields": ("full_name", "phone", "region", "unit", "roles")}),
    )
    filter_horizontal = ["roles"]

    def save_model(self, request, obj, form, change):
        if not change:  # created with an initial password
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        user = request.user
        if user.is_superuser:
            return ()
        codes = user.role_codes
        if Role.Code.SECURITY_ADMIN in codes:
            return PROFILE_FIELDS  # roles only
        return ("roles",)  # the system administrator: everything but roles
