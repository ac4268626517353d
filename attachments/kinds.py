"""The objects files can be attached to, and for each: where it is found for a user (its own
scoped queryset — the one scope rule), who may attach and remove files (whoever may act on it),
and what an event about it names (project, region, units).

An attachment points at its parent through a content type; this table is the only place that
knows which models may be parents. Adding one is a row here, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet, TextChoices
from django.utils.translation import gettext_lazy as _

from approvals.models import Approval
from approvals.services import workflow as approval_workflow
from core.workflow import about_project
from issues.models import Issue, Meeting
from issues.services import meetings as meeting_services
from issues.services import workflow as issue_workflow
from projects.models import Project


class ParentType(TextChoices):
    """What an attachment belongs to (the API's ``parent_type``, the pages' address)."""

    APPROVAL = "approval", _("审批事项（批复文件）")
    ISSUE = "issue", _("困难问题（问题照片、佐证材料）")
    MEETING = "meeting", _("碰头会（会议纪要）")
    PROJECT = "project", _("项目（一项一档）")


@dataclass(frozen=True)
class ParentKind:
    type: ParentType
    model: type[Model]
    #: the parents ``user`` may see: the model's own scope rule
    visible: Callable[[object], QuerySet]
    #: whether ``user`` may attach files to ``parent`` and remove them (it is in scope already)
    may_attach: Callable[[Model, object], bool]
    #: an event's context about ``parent``: project_id, region, units
    about: Callable[[Model], dict]


def _issue_parties(issue: Issue, user) -> bool:
    # the office at the ticket's level, the handling unit, the project unit: those who act on it
    return bool(issue_workflow.parties(issue, user))


def _editor(project: Project, user) -> bool:
    # a project's record is edited by the library's editors (office staff, API clients)
    return user.can_edit_library


KINDS: dict[str, ParentKind] = {
    kind.type.value: kind
    for kind in (
        ParentKind(
            ParentType.APPROVAL,
            Approval,
            lambda user: Approval.objects.for_user(user).select_related("project", "kind"),
            approval_workflow.may_edit,
            approval_workflow.WORKFLOW.context,
        ),
        ParentKind(
            ParentType.ISSUE,
            Issue,
            lambda user: Issue.objects.for_user(user).select_related("project", "region"),
            _issue_parties,
            issue_workflow.WORKFLOW.context,
        ),
        ParentKind(
            ParentType.MEETING,
            Meeting,
            lambda user: Meeting.objects.for_user(user),
            lambda meeting, user: meeting_services.can_record_decision(user, meeting),
            lambda meeting: {"region": meeting.region_id},
        ),
        ParentKind(
            ParentType.PROJECT,
            Project,
            lambda user: Project.objects.for_user(user),
            _editor,
            about_project,
        ),
    )
}


def kind_of(obj: Model) -> ParentKind:
    """The kind of a parent object (a model not in :data:`KINDS` is a programming error)."""
    for kind in KINDS.values():
        if isinstance(obj, kind.model):
            return kind
    raise LookupError(f"{obj._meta.label} cannot have attachments")
