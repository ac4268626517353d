"""The one access-scope rule of the platform (SPEC §2).

A user attached to region R sees R and every region below it. GB/T 2260 codes are hierarchical
(32 province · 3202 city · 320281 county), so "R and below" is a prefix match on the 6-digit code
and needs no tree walk: province → first 2 digits, city → first 4, county → all 6.

A project-unit contact (enterprise) whose roles give no region-wide view sees only the rows of
their own unit. A superuser or system administrator sees everything; anybody else with no region
sees nothing.

Every scoped model's manager is built from ``ScopedQuerySet`` and names where its region and
project unit live; lists, detail pages, exports, reports and the API all start from
``Model.objects.for_user(user)``, so out-of-scope objects are simply not found (404).
"""

from __future__ import annotations

from django.db import models


class ScopedQuerySet(models.QuerySet):
    #: lookup path from this model to its Region ("" when the model is Region itself)
    scope_region_path: str = "region"
    #: lookup path to the project unit a unit-restricted user may see; with None such a user
    #: sees nothing of this model, unless it is reference data open to everyone in the region
    scope_unit_path: str | None = None
    scope_reference_data: bool = False

    def for_user(self, user) -> ScopedQuerySet:
        """The rows ``user`` may see: none for an anonymous or inactive user, all for one who
        sees everything; for everyone else the region rule, then the model's :meth:`narrow`."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_everything:
            return self.all()
        return self.narrow(self.in_region_of(user), user)

    def narrow(self, queryset, user):
        """A model's own rule on top of the region rule, for a user who does not see
        everything (override; the default adds nothing)."""
        return queryset

    def in_region(self, prefix: str) -> ScopedQuerySet:
        """The rows whose region code starts with ``prefix`` (override to state the same
        condition in a form the model's indexes serve)."""
        region_code = f"{self.scope_region_path}__code" if self.scope_region_path else "code"
        return self.filter(**{f"{region_code}__startswith": prefix})

    def in_region_of(self, user) -> ScopedQuerySet:
        prefix = user.scope_prefix
        if prefix is None:
            return self.none()
        queryset = self.in_region(prefix)
        if user.restricted_to_unit and not self.scope_reference_data:
            if self.scope_unit_path is None or user.unit_id is None:
                return self.none()
            queryset = queryset.filter(**{self.scope_unit_path: user.unit_id})
        return queryset


class AssignmentScopedQuerySet(ScopedQuerySet):
    """Region scope as everywhere, narrowed for liaisons to their own unit's rows."""

    #: lookup path to the unit whose liaisons see the row
    scope_assigned_unit_path = "unit"

    def narrow(self, queryset, user):
        if not user.sees_only_assignments:
            return queryset
        if user.unit_id is None:
            return queryset.none()
        return queryset.filter(**{self.scope_assigned_unit_path: user.unit_id})


def region_prefix(code: str, level: str) -> str:
    """The code prefix shared by a region and everything below it."""
    return {"province": code[:2], "city": code[:4]}.get(level, code)
