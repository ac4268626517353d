"""The issue workflow (SPEC §5): who plays which part for a ticket, the transition table, and
the steps pages, the API and the sweep take through :class:`core.workflow.Workflow`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role, Unit
from core.exceptions import DomainError, NotPermitted
from core.workflow import Action, Required, Workflow
from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import HANDLING_STATUSES, Issue, IssueEvent, Level, Status

# --- who is who, for one ticket ------------------------------------------------------------

OFFICE = "office"  # the office at the issue's level (事权)
HANDLER = "handler"  # the liaisons of the assigned (handling) unit
PROJECT_UNIT = "project_unit"  # the project unit's contacts (the enterprise)

PARTY_LABELS = {
    OFFICE: gettext_lazy("问题所在层级的重大办"),
    HANDLER: gettext_lazy("责任单位联络员"),
    PROJECT_UNIT: gettext_lazy("项目单位"),
}


def parties(issue: Issue, user) -> frozenset[str]:
    """The parts this user plays for this ticket."""
    if user is None or not user.is_authenticated:
        return frozenset()
    found = set()
    if user.sees_everything or (
        Role.Code.OFFICE_STAFF in user.role_codes
        and user.region_id is not None
        and user.region_id == issue.level_region_code()
    ):
        found.add(OFFICE)
    if (
        issue.unit_id is not None
        and user.unit_id == issue.unit_id
        and user.role_codes & {Role.Code.DEPARTMENT_LIAISON, Role.Code.OFFICE_STAFF}
    ):
        found.add(HANDLER)
    if (
        issue.project_id is not None
        and user.unit_id is not None
        and user.unit_id == issue.project.unit_id
        and Role.Code.PROJECT_UNIT_CONTACT in user.role_codes
    ):
        found.add(PROJECT_UNIT)
    return frozenset(found)


def played_by(*roles: str):
    """The predicate "the user plays one of ``roles`` for the ticket"."""
    wanted = frozenset(roles)

    def who(issue: Issue, user) -> bool:
        return bool(parties(issue, user) & wanted)

    who.parties = wanted
    return who


def _not_at_the_top(issue: Issue, user) -> None:
    if Level.above(issue.level) is None:
        raise DomainError(
            _("问题已提交省政府协调，不能再上提。"), code="escalation_end", field="level"
        )


def _refusal(issue: Issue, action: Action) -> DomainError:
    return DomainError(
        _("问题当前为“%(status)s”，不能%(action)s。")
        % {"status": Status(issue.status).label, "action": action.label},
        code="illegal_transition",
    )


def _denial(issue: Issue, action: Action) -> NotPermitted:
    who = "、".join(str(PARTY_LABELS[party]) for party in sorted(action.who.parties))
    return NotPermitted(
        _("只有%(who)s可以%(action)s此问题。") % {"who": who, "action": action.label},
        code="not_permitted",
    )


def _context(issue: Issue) -> dict:
    return {
        "project_id": issue.project_id,
        "region": issue.region_id,
        "units": (issue.unit_id, issue.project.unit_id if issue.project_id else None),
    }


def _locked(issue: Issue) -> Issue:
    return (
        Issue.objects.select_for_update(of=("self",))
        .select_related("region", "project")
        .get(pk=issue.pk)
    )


S = Status
_HANDLING = frozenset({S.REPORTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})

#: the transition table: action → from which statuses, to which status, by whom, needing what
WORKFLOW = Workflow(
    name="issue",
    model=Issue,
    states=Status,
    event_model=IssueEvent,
    event_subject="issue",
    tracked={"level": ("from_level", "to_level")},
    stamps={
        S.ACCEPTED: "accepted_at",
        S.ASSIGNED: "assigned_at",
        S.IN_PROGRESS: "started_at",
        S.RESOLVED: "resolved_at",
        S.CONFIRMED: "confirmed_at",
        S.CLOSED: "closed_at",
        S.REJECTED: "rejected_at",
    },
    refusal=_refusal,
    denial=_denial,
    unknown=("unknown_action", gettext_lazy("未知的办理操作“%(action)s”。")),
    lock=_locked,
    context=_context,
    actions=[
        Action("accept", gettext_lazy("受理"), frozenset({S.REPORTED}), S.ACCEPTED,
               who=played_by(OFFICE)),
        Action("assign", gettext_lazy("交办"), frozenset({S.ACCEPTED}), S.ASSIGNED,
               who=played_by(OFFICE)),
        Action("start", gettext_lazy("开始办理"), frozenset({S.ASSIGNED}), S.IN_PROGRESS,
               who=played_by(HANDLER)),
        Action("note", gettext_lazy("进展反馈"), frozenset({S.IN_PROGRESS}), None,
               who=played_by(HANDLER),
               requires=(Required("comment", gettext_lazy("请填写办理进展。")),)),
        Action("resolve", gettext_lazy("办结"), frozenset({S.IN_PROGRESS}), S.RESOLVED,
               who=played_by(HANDLER),
               requires=(Required("resolution", gettext_lazy("请填写办理结果。")),)),
        Action("confirm", gettext_lazy("确认满意"), frozenset({S.RESOLVED}), S.CONFIRMED,
               who=played_by(PROJECT_UNIT, OFFICE)),
        Action("return", gettext_lazy("退回重办"), frozenset({S.RESOLVED}), S.IN_PROGRESS,
               who=played_by(PROJECT_UNIT, OFFICE),
               requires=(Required("reason", gettext_lazy("请说明退回重办的原因。")),)),
        Action("close", gettext_lazy("销号"), frozenset({S.CONFIRMED}), S.CLOSED,
               who=played_by(OFFICE)),
        Action("escalate", gettext_lazy("上提"), _HANDLING, S.REPORTED,
               who=played_by(OFFICE), check=_not_at_the_top,
               requires=(Required("reason", gettext_lazy("请说明上提的原因。")),)),
        Action("reject", gettext_lazy("不予受理"), frozenset({S.REPORTED, S.ACCEPTED}),
               S.REJECTED, who=played_by(OFFICE),
               requires=(Required("reason", gettext_lazy(
                   "请说明不予受理的原因（如重复问题、不属于困难问题）。")),)),
    ],
)  # fmt: skip
ACTIONS = tuple(WORKFLOW.table)
TRANSITIONS = WORKFLOW.table
#: the timestamp each status sets when it is reached
STATUS_TIMESTAMPS = WORKFLOW.stamps


def allowed_actions(issue: Issue, user) -> list[str]:
    """The actions this user may take on the ticket now (the page shows only these)."""
    return WORKFLOW.allowed_actions(issue, user)


def _settle(issue: Issue) -> None:
    """A ticket no longer being handled against a deadline carries no overdue mark; one no
    longer waiting to be accepted, no 受理超时 mark."""
    if issue.status not in HANDLING_STATUSES:
        issue.overdue_since = None
    if issue.status != S.REPORTED:
        issue.accept_overdue_since = None


def _step(issue: Issue, action: str, by, *, data=None, change=None, comment: str = "") -> Issue:
    def apply(current: Issue, values: dict) -> str | None:
        said = change(current, values) if change is not None else None
        _settle(current)
        return said

    return WORKFLOW.perform(issue, action, by, data=data, change=apply, comment=comment.strip())


def issue_accept(*, issue: Issue, by, comment: str = "") -> Issue:
    return _step(issue, "accept", by, comment=comment)


def issue_reject(*, issue: Issue, by, reason: str) -> Issue:
    return _step(issue, "reject", by, data={"reason": reason}, change=lambda i, v: v["reason"])


def issue_assign(
    *,
    issue: Issue,
    by,
    unit: Unit | None,
    responsible_leader: str,
    responsible_person: str,
    solution: str,
    deadline: datetime.date | None = None,
    comment: str = "",
) -> Issue:
    """交办 with "五到位": unit, leader, person and solution are required; the deadline defaults
    to the configured working days for the level and category."""

    def apply(current: Issue, values: dict) -> str:
        note = _dispatch(current, unit, responsible_leader, responsible_person, solution, deadline)
        return f"{note}{comment.strip()}"

    return _step(issue, "assign", by, change=apply)


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code="required", field=field)
    return value


def _check_unit(issue: Issue, unit: Unit | None) -> Unit:
    if unit is None:
        raise DomainError(_("请指定责任单位。"), code="required", field="unit")
    if unit.kind == Unit.Kind.ENTERPRISE:
        raise DomainError(_("责任单位应为职能部门或重大办。"), code="invalid_unit", field="unit")
    level_region = Region.objects.get(code=issue.level_region_code())
    if not level_region.contains(unit.region_id):
        raise DomainError(
            _("责任单位应在%(region)s范围内。") % {"region": level_region.name},
            code="unit_out_of_scope",
            field="unit",
        )
    return unit


def _dispatch(issue, unit, leader, person, solution, deadline) -> str:
    """Put 五到位 on the ticket; answers the event's note."""
    unit = _check_unit(issue, unit)
    leader = _required(leader, "responsible_leader", _("请填写责任领导。"))
    person = _required(person, "responsible_person", _("请填写责任人。"))
    plan = _required(solution, "solution", _("请填写解决方案。"))
    today = timezone.localdate()
    calendar = current_calendar()
    deadline = _checked_deadline(issue, deadline, today, calendar)
    issue.unit = unit
    issue.responsible_leader = leader
    issue.responsible_person = person
    issue.solution = plan
    issue.deadline = deadline
    note = _("交办%(unit)s，限%(deadline)s前办结。") % {
        "unit": unit.name,
        "deadline": deadline.isoformat(),
    }
    provisional = calendar.provisional_years(today, deadline)
    if provisional:
        note += _("（%(years)s年节假日安排尚未录入，工作日暂按周末休息计算。）") % {
            "years": "、".join(str(year) for year in provisional)
        }
    return note


def _checked_deadline(issue, deadline, today, calendar: WorkdayCalendar) -> datetime.date:
    if deadline is None:
        return default_deadline(issue.level, issue.category, today, calendar)
    if deadline < today:
        raise DomainError(_("办结时限不能早于今天。"), code="deadline_past", field="deadline")
    latest = today + datetime.timedelta(days=settings.ISSUE_DEADLINE_MAX_DAYS)
    if deadline > latest:
        raise DomainError(
            _("办结时限最迟为%(date)s（限期办结，不超过%(days)d天）。")
            % {"date": latest.isoformat(), "days": settings.ISSUE_DEADLINE_MAX_DAYS},
            code="deadline_too_far",
            field="deadline",
        )
    return deadline


def default_deadline_workdays(level: str, category: str) -> int:
    by_category = settings.ISSUE_DEADLINE_WORKDAYS_BY_CATEGORY.get(level, {})
    return by_category.get(category, settings.ISSUE_DEADLINE_WORKDAYS[level])


def default_deadline(
    level: str,
    category: str,
    start: datetime.date | None = None,
    calendar: WorkdayCalendar | None = None,
) -> datetime.date:
    """The time limit (限期) when the office sets none: N working days from ``start``."""
    calendar = calendar or current_calendar()
    return calendar.add_workdays(
        start or timezone.localdate(), default_deadline_workdays(level, category)
    )


def issue_start(*, issue: Issue, by, comment: str = "") -> Issue:
    return _step(issue, "start", by, comment=comment)


def issue_note(*, issue: Issue, by, comment: str) -> Issue:
    """即时反馈: progress feedback from the handling unit; the status stays."""
    return _step(issue, "note", by, data={"comment": comment}, change=lambda i, v: v["comment"])


def issue_resolve(*, issue: Issue, by, resolution: str) -> Issue:
    def apply(current: Issue, values: dict) -> str:
        current.resolution = values["resolution"]
        return current.resolution

    return _step(issue, "resolve", by, data={"resolution": resolution}, change=apply)


def issue_confirm(*, issue: Issue, by, reason: str = "") -> Issue:
    """The project unit is satisfied (企业满意); office staff may confirm for it only with a
    recorded reason."""

    def apply(current: Issue, values: dict) -> str:
        if PROJECT_UNIT not in parties(current, by):
            return _required(
                reason, "reason", _("代项目单位确认时，请说明原因（如已电话回访企业表示满意）。")
            )
        return (reason or "").strip()

    return _step(issue, "confirm", by, change=apply)


def issue_return(*, issue: Issue, by, reason: str) -> Issue:
    return _step(issue, "return", by, data={"reason": reason}, change=lambda i, v: v["reason"])


def issue_close(*, issue: Issue, by, comment: str = "") -> Issue:
    return _step(issue, "close", by, comment=comment)


def issue_escalate(*, issue: Issue, by, reason: str) -> Issue:
    """上提 one level (county → city → province → government); the ticket is reported afresh
    at the new level for that office to accept and dispatch."""

    def apply(current: Issue, values: dict) -> str:
        _lift(current)
        return values["reason"]

    return _step(issue, "escalate", by, data={"reason": reason}, change=apply)


def _lift(issue: Issue) -> None:
    issue.level = Level.above(issue.level)
    issue.escalated_at = timezone.now()
    # The new level's office dispatches afresh (五到位 at its level).
    issue.unit = None
    issue.responsible_leader = issue.responsible_person = issue.solution = ""
    issue.deadline = None
    issue.reminded_for = None
    # A new level, a new time limit for accepting; not handled against a deadline any more.
    issue.overdue_since = issue.accept_overdue_since = None


ACTION_FUNCTIONS = {
    "accept": issue_accept,
    "assign": issue_assign,
    "start": issue_start,
    "note": issue_note,
    "resolve": issue_resolve,
    "confirm": issue_confirm,
    "return": issue_return,
    "close": issue_close,
    "escalate": issue_escalate,
    "reject": issue_reject,
}


def issue_act(*, issue: Issue, action: str, by, **data) -> Issue:
    """Take ``action`` (one of :data:`ACTIONS`) with its data, e.g. from a page or the API."""
    WORKFLOW.action(action)  # refuses an unknown action
    return ACTION_FUNCTIONS[action](issue=issue, by=by, **data)


def check_action(issue: Issue, action: str, by) -> None:
    """Refuse an action not in the table for this status, or not this user's to take."""
    WORKFLOW.check(issue, WORKFLOW.action(action), by)


def record(
    issue: Issue,
    kind: str,
    by=None,
    *,
    comment: str = "",
    units: tuple[int | None, ...] = (),
    payload: dict | None = None,
    **extra,
) -> IssueEvent:
    """An event on the ticket's timeline that is no status step (reported, matched, a
    reminder, an overdue mark, a 通报, a meeting's decision), published like every step.

    ``units`` adds units concerned besides the ticket's own (the unit a 通报 is recorded
    against, the office that has to accept), ``payload`` facts for the listeners (a 通报's
    sequence); the event row and the event's key are those of any step."""
    return WORKFLOW.record(issue, kind, by, comment=comment, units=units, payload=payload, **extra)


@transaction.atomic
def auto_escalate(issue: Issue, reason: str) -> Issue:
    """The sweep lifts a ticket left overdue too long (the platform acts: no user)."""

    def apply(current: Issue, values: dict) -> str:
        _lift(current)
        return values["reason"]

    return WORKFLOW.perform(
        issue, "escalate", None, data={"reason": reason}, change=apply, lock=False
    )
