"""The only code that changes tickets (SPEC §5) and the weekly meeting (§6).

Pages, API actions, the daily sweep task and the ``sweep_issues`` command all call these
functions. Each workflow step goes through the table in :mod:`.workflow` (one
:class:`core.workflow.Workflow`): it locks the ticket, checks the table and who may take the
step, writes the new state and an immutable :class:`~issues.models.IssueEvent` in one
transaction, and publishes ``issue.<step>`` after commit; a refused step raises
:class:`~core.exceptions.DomainError` (or :class:`~core.exceptions.NotPermitted`) with a
Chinese message and changes nothing.
"""

from .intake import (
    INTAKE_ROLES,
    REPORTER_ROLES,
    issue_intake,
    issue_link_project,
    issue_report,
    may_link_project,
)
from .meetings import (
    ONE_BY_ONE_TIERS,
    agenda_decide,
    can_record_decision,
    meeting_create,
    meeting_for_week,
)
from .sweeping import sweep
from .workflow import (
    ACTION_FUNCTIONS,
    ACTIONS,
    HANDLER,
    OFFICE,
    PARTY_LABELS,
    PROJECT_UNIT,
    STATUS_TIMESTAMPS,
    TRANSITIONS,
    WORKFLOW,
    allowed_actions,
    check_action,
    default_deadline,
    default_deadline_workdays,
    issue_accept,
    issue_act,
    issue_assign,
    issue_close,
    issue_confirm,
    issue_escalate,
    issue_note,
    issue_reject,
    issue_resolve,
    issue_return,
    issue_start,
    parties,
)

__all__ = [
    "ACTIONS",
    "ACTION_FUNCTIONS",
    "HANDLER",
    "INTAKE_ROLES",
    "OFFICE",
    "ONE_BY_ONE_TIERS",
    "PARTY_LABELS",
    "PROJECT_UNIT",
    "REPORTER_ROLES",
    "STATUS_TIMESTAMPS",
    "TRANSITIONS",
    "WORKFLOW",
    "agenda_decide",
    "allowed_actions",
    "can_record_decision",
    "check_action",
    "default_deadline",
    "default_deadline_workdays",
    "issue_accept",
    "issue_act",
    "issue_assign",
    "issue_close",
    "issue_confirm",
    "issue_escalate",
    "issue_intake",
    "issue_link_project",
    "issue_note",
    "issue_reject",
    "issue_report",
    "issue_resolve",
    "issue_return",
    "issue_start",
    "may_link_project",
    "meeting_create",
    "meeting_for_week",
    "parties",
    "sweep",
]
