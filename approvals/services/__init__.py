"""Writes to approvals: create, edit, status changes, and the bulk sync of the online approval
platform. Every status change goes through the one table :data:`WORKFLOW` (or the sync, which
follows the platform's own state) and leaves an :class:`~approvals.models.ApprovalEvent`; an
approval that is granted finishes its linked milestone and the schedule recomputes.

- :mod:`.workflow`: who may change an approval, the table of its steps, the step itself;
- :mod:`.figures`: promise and target dates, working days, how an approval stands;
- :mod:`.records`: registering and editing approvals;
- :mod:`.sync`: the online approval platform's bulk sync;
- :mod:`.deadlines`: the daily job telling of approvals near or past their promised date.
"""

from .deadlines import announce_due
from .figures import Figures, figures, refresh_dates, target_days
from .records import (
    EDITABLE_FIELDS,
    OFFICE_ONLY_FIELDS,
    approval_create,
    approval_update,
    default_authority,
    default_unit,
    new_approval,
)
from .sync import SYNC_FIELDS, SyncRefused, SyncResult, approval_sync
from .workflow import (
    ACTION_LABELS,
    ACTIONS,
    STATUS_DATES,
    TRANSITIONS,
    WORKFLOW,
    allowed_actions,
    approval_step,
    approval_transition,
    may_edit,
)

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "EDITABLE_FIELDS",
    "Figures",
    "OFFICE_ONLY_FIELDS",
    "STATUS_DATES",
    "SYNC_FIELDS",
    "SyncRefused",
    "SyncResult",
    "TRANSITIONS",
    "WORKFLOW",
    "allowed_actions",
    "announce_due",
    "approval_create",
    "approval_step",
    "approval_sync",
    "approval_transition",
    "approval_update",
    "default_authority",
    "default_unit",
    "figures",
    "may_edit",
    "new_approval",
    "refresh_dates",
    "target_days",
]
