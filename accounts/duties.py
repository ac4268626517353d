"""Separation of duties (三权分立, GB/T 22239-2019 level 3): three administrators, none holding
another's rights.

- the system administrator keeps users, units, regions, reference data and the calendar, and
  cannot read the audit trail;
- the security administrator keeps role assignments, lockouts, password and session policy,
  tokens and two-factor resets, and changes no business data;
- the audit administrator reads and exports the audit trail only (its own pages, not the admin).

No person holds two of these roles: :func:`check_roles` refuses it, and a guard on the
``User.roles`` relation refuses it whoever writes (the admin, a service, the shell); a
database constraint cannot see across a many-to-many table. What each administrator may do in
the Django admin comes from their role alone (:class:`RoleBackend`, the one authentication
backend): Django's groups and per-user permissions are not used and not offered. A superuser
exists only to bootstrap an installation from the command line (``createsuperuser``): the admin
offers no way to grant it.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import Role, User

R = Role.Code
#: the three administrator roles, of which a person holds at most one
ADMINISTRATOR_ROLES = frozenset({R.SYSTEM_ADMIN, R.SECURITY_ADMIN, R.AUDIT_ADMIN})
#: the roles that use the Django admin (the audit administrator has pages of their own)
ADMIN_SITE_ROLES = frozenset({R.SYSTEM_ADMIN, R.SECURITY_ADMIN})

ALL = frozenset({"view", "add", "change", "delete"})
VIEW = frozenset({"view"})
#: model (``app_label.modelname``) → what each administrator role may do with it in the admin
ADMIN_PARTS: dict[str, dict[str, frozenset[str]]] = {
    R.SYSTEM_ADMIN: {
        # people and organisation (their roles are the security administrator's)
        "accounts.user": ALL,
        "accounts.unit": ALL,
        "accounts.region": ALL,
        "accounts.role": VIEW,
        # reference data and the calendar
        "schedule.calendarday": ALL,
        "schedule.calendaryear": ALL,
        "schedule.scheduletemplate": ALL,
        "approvals.approvalkind": ALL,
        "funding.fundingchannel": ALL,
        "funding.financialinstitution": ALL,
        "projects.tag": ALL,
        "indicators.target": ALL,
    },
    R.SECURITY_ADMIN: {
        # role assignments: the user's roles field only (accounts/admin.py)
        "accounts.user": frozenset({"view", "change"}),
        "accounts.role": VIEW,
        # API tokens; second factors are reset on their own page (/accounts/otp/devices/),
        # which shows no key (the admin's device pages would)
        "authtoken.tokenproxy": frozenset({"view", "delete"}),
        "authtoken.token": frozenset({"view", "delete"}),
    },
}


def role_names(codes) -> str:
    return "、".join(str(label) for code, label in Role.Code.choices if code in codes)


def check_roles(codes) -> None:
    """Refuse a set of role codes that holds two administrator roles (a Chinese message)."""
    held = ADMINISTRATOR_ROLES & set(codes)
    if len(held) > 1:
        raise ValidationError(
            _("三权分立：系统管理员、安全管理员和审计管理员不能由同一人兼任（%(roles)s）。")
            % {"roles": role_names(held)},
            code="separation_of_duties",
        )


@receiver(m2m_changed, sender=User.roles.through)
def _guard_roles(sender, instance, action, reverse, pk_set, **kwargs):
    """Every write to a user's roles passes here: adding a role that makes a second
    administrator role is refused, from either side of the relation."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # role.users.add(user, …)
        if instance.code not in ADMINISTRATOR_ROLES:
            return
        for user in User.objects.filter(pk__in=pk_set):
            check_roles({*user.roles.values_list("code", flat=True), instance.code})
        return
    check_roles({*instance.roles.values_list("code", flat=True), *pk_set})
    instance.__dict__.pop("role_codes", None)  # the cached codes are stale after the change


def admin_part(user) -> dict[str, frozenset[str]]:
    """The models an administrator may work with in the admin, and how."""
    part: dict[str, frozenset[str]] = {}
    for code in user.role_codes & ADMIN_SITE_ROLES:
        for model, actions in ADMIN_PARTS[code].items():
            part[model] = part.get(model, frozenset()) | actions
    return part


class RoleBackend(ModelBackend):
    """Sign-in as Django's, permissions from the administrator roles (:data:`ADMIN_PARTS`): a
    superuser has every permission, an active staff member with an administrator role those of
    its part, nobody anything through groups or per-user permissions."""

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if user_obj.is_superuser:
            return True
        if not user_obj.is_staff:
            return False
        app_label, _dot, codename = perm.partition(".")
        action, _sep, model = codename.partition("_")
        return action in admin_part(user_obj).get(f"{app_label}.{model}", frozenset())

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if user_obj.is_superuser:
            return True
        if not user_obj.is_staff:
            return False
        return any(model.startswith(f"{app_label}.") for model in admin_part(user_obj))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return {
            f"{model.split('.')[0]}.{action}_{model.split('.')[1]}"
            for model, actions in admin_part(user_obj).items()
            for action in actions
        }

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()


def uses_admin_site(user) -> bool:
    """Whether the Django admin is for this person (the navigation's link, the site's door)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.is_superuser or bool(user.role_codes & ADMIN_SITE_ROLES)
