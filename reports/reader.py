"""The issuing office as the reader of the platform's data.

A document is built by a background job, often with nobody logged in, and its content is
bounded by the issuing office's region — not by whoever pressed the button. The selectors of
the other apps take a ``user`` and start from ``Model.objects.for_user(user)``; this reader
gives them exactly the office's view: its region and everything below it, no unit restriction,
no assignment filter. Using the same selectors is what keeps a document's figures equal to the
platform's own pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Region, Role


@dataclass(frozen=True)
class OfficeReader:
    region: Region

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_anonymous = False
    sees_everything = False
    sees_only_assignments = False
    restricted_to_unit = False
    is_office_staff = True
    can_edit_library = False
    unit_id = None
    unit = None
    pk = None
    role_codes = frozenset({Role.Code.OFFICE_STAFF, Role.Code.LEADER})

    @property
    def region_id(self) -> str:
        return self.region.code

    @property
    def scope_prefix(self) -> str:
        return self.region.scope_prefix

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes & set(codes))

    def __str__(self) -> str:
        return str(self.region)
