"""The issue workflow (SPEC §5) and the weekly meeting (§6): the only code that changes tickets.

Pages, API actions, the daily sweep task and the ``sweep_issues`` command all call these
functions. Each step locks the ticket, checks the transition table and who may take it, writes
the new state and an immutable :class:`~issues.models.IssueEvent` in one transaction; a refused
step raises :class:`~core.exceptions.DomainError` (or :class:`~core.exceptions.NotPermitted`)
with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role, Unit
from approvals.models import RUNNING_STATUSES, Approval
from core.exceptions import DomainError, NotPermitted
from projects.codes import normalize_project_code
from projects.models import Project, Tier
from schedule.workdays import WorkdayCalendar, current_calendar

from .models import (
    FINAL_STATUSES,
    HANDLING_STATUSES,
    OPEN_STATUSES,
    AgendaItem,
    Category,
    EventKind,
    Interview,
    Issue,
    IssueEvent,
    Level,
    Meeting,
    Notice,
    Source,
    Status,
)

logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays (note); escalate resets to reported
    by: frozenset[str]
    label: str


#: the transition table: action → from which statuses, to which status, by whom
TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(
        frozenset({Status.REPORTED}), Status.ACCEPTED, frozenset({OFFICE}), gettext_lazy("受理")
    ),
    "assign": Transition(
        frozenset({Status.ACCEPTED}), Status.ASSIGNED, frozenset({OFFICE}), gettext_lazy("交办")
    ),
    "start": Transition(
        frozenset({Status.ASSIGNED}),
        Status.IN_PROGRESS,
        frozenset({HANDLER}),
        gettext_lazy("开始办理"),
    ),
    "note": Transition(
        frozenset({Status.IN_PROGRESS}), None, frozenset({HANDLER}), gettext_lazy("进展反馈")
    ),
    "resolve": Transition(
        frozenset({Status.IN_PROGRESS}), Status.RESOLVED, frozenset({HANDLER}), gettext_lazy("办结")
    ),
    "confirm": Transition(
        frozenset({Status.RESOLVED}),
        Status.CONFIRMED,
        frozenset({PROJECT_UNIT, OFFICE}),
        gettext_lazy("确认满意"),
    ),
    "return": Transition(
        frozenset({Status.RESOLVED}),
        Status.IN_PROGRESS,
        frozenset({PROJECT_UNIT, OFFICE}),
        gettext_lazy("退回重办"),
    ),
    "close": Transition(
        frozenset({Status.CONFIRMED}), Status.CLOSED, frozenset({OFFICE}), gettext_lazy("销号")
    ),
    "escalate": Transition(
        frozenset({Status.REPORTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}),
        Status.REPORTED,
        frozenset({OFFICE}),
        gettext_lazy("上提"),
    ),
    "reject": Transition(
        frozenset({Status.REPORTED, Status.ACCEPTED}),
        Status.REJECTED,
        frozenset({OFFICE}),
        gettext_lazy("不予受理"),
    ),
}
ACTIONS = tuple(TRANSITIONS)

#: the timestamp each status sets when it is reached
STATUS_TIMESTAMPS = {
    Status.ACCEPTED: "accepted_at",
    Status.ASSIGNED: "assigned_at",
    Status.IN_PROGRESS: "started_at",
    Status.RESOLVED: "resolved_at",
    Status.CONFIRMED: "confirmed_at",
    Status.CLOSED: "closed_at",
    Status.REJECTED: "rejected_at",
}


def allowed_actions(issue: Issue, user) -> list[str]:
    """The actions this user may take on the ticket now (the page shows only these)."""
    roles = parties(issue, user)
    actions = []
    for action, rule in TRANSITIONS.items():
        if issue.status not in rule.sources or not (roles & rule.by):
            continue
        if action == "escalate" and Level.above(issue.level) is None:
            continue
        actions.append(action)
    return actions


def check_action(issue: Issue, action: str, by) -> frozenset[str]:
    """Refuse an action not in the table for this status, or not this user's to take."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise DomainError(
            _("未知的办理操作“%(action)s”。") % {"action": action}, code="unknown_action"
        )
    if issue.status not in rule.sources:
        raise DomainError(
            _("问题当前为“%(status)s”，不能%(action)s。")
            % {"status": Status(issue.status).label, "action": rule.label},
            code="illegal_transition",
        )
    roles = parties(issue, by)
    if not roles & rule.by:
        who = "、".join(str(PARTY_LABELS[party]) for party in sorted(rule.by))
        raise NotPermitted(
            _("只有%(who)s可以%(action)s此问题。") % {"who": who, "action": rule.label},
            code="not_permitted",
        )
    return roles


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code="required", field=field)
    return value


def _event(issue: Issue, kind: str, by, *, before: Issue | None = None, comment="", **extra):
    before = before or issue
    return IssueEvent.objects.create(
        issue=issue,
        kind=kind,
        from_status=before.status,
        to_status=issue.status,
        from_level=before.level,
        to_level=issue.level,
        actor=by,
        comment=comment,
        **extra,
    )


@dataclass(frozen=True)
class _Snapshot:
    status: str
    level: str


def _locked(issue: Issue, action: str, by) -> tuple[Issue, _Snapshot]:
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("region", "project")
        .get(pk=issue.pk)
    )
    check_action(locked, action, by)
    return locked, _Snapshot(locked.status, locked.level)


def _move(issue: Issue, before: _Snapshot, kind: str, by, comment: str, now=None) -> Issue:
    now = now or timezone.now()
    field = STATUS_TIMESTAMPS.get(issue.status)
    if field and issue.status != before.status:
        setattr(issue, field, now)
    if issue.status not in HANDLING_STATUSES:
        issue.overdue_since = None
    issue.save()
    _event(issue, kind, by, before=before, comment=comment)  # type: ignore[arg-type]
    return issue


# --- deadlines -----------------------------------------------------------------------------


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


# --- intake --------------------------------------------------------------------------------

REPORTER_ROLES = frozenset(
    {
        Role.Code.OFFICE_STAFF,
        Role.Code.COUNTY_FILER,
        Role.Code.PROJECT_UNIT_CONTACT,
        Role.Code.API_CLIENT,
    }
)


#: who may push tickets from another system: calling systems and the offices standing in
INTAKE_ROLES = frozenset({Role.Code.API_CLIENT, Role.Code.OFFICE_STAFF})


def _default_source(by) -> str:
    codes = by.role_codes
    if Role.Code.OFFICE_STAFF in codes:
        return Source.FIELD_SERVICE
    if Role.Code.COUNTY_FILER in codes:
        return Source.COUNTY
    return Source.ENTERPRISE


def _rank(level: str) -> int:
    return list(Level).index(Level(level))


def _level_for(region: Region, level: str | None, by) -> str:
    """A ticket starts at its region's level. Only an office may file it higher, up to its own
    level (the province office also for the provincial government) — everyone else goes
    through the offices below, which escalate with a recorded reason."""
    lowest = Level.of_region(region)
    if not level or level == lowest:
        return lowest
    if level not in Level.values:
        raise DomainError(_("未知的事权层级。"), code="invalid_level", field="level")
    if _rank(level) < _rank(lowest):
        raise DomainError(
            _("“%(region)s”的问题不能定为%(level)s事权。")
            % {"region": region.name, "level": Level(level).label},
            code="invalid_level",
            field="level",
        )
    highest = None
    if by.sees_everything:
        highest = Level.GOVERNMENT
    elif Role.Code.OFFICE_STAFF in by.role_codes and by.region is not None:
        highest = Level.of_region(by.region)
        if highest == Level.PROVINCE:
            highest = Level.GOVERNMENT
    if highest is None or _rank(level) > _rank(highest):
        raise DomainError(
            _("问题按项目所在地区的层级上报，由该层级重大办受理；需上级协调的，由重大办上提。"),
            code="invalid_level",
            field="level",
        )
    return level


def _check_category(category: str) -> None:
    if category not in Category.values:
        raise DomainError(_("请选择问题类别。"), code="invalid_category", field="category")


@transaction.atomic
def issue_report(
    *,
    by,
    project: Project,
    title: str,
    category: str,
    description: str = "",
    source: str | None = None,
    milestone=None,
    level: str | None = None,
    external_id: str = "",
) -> Issue:
    """A county filer, a project unit or an office reports a difficulty of a project."""
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )
    if not by.has_role(*REPORTER_ROLES):
        raise NotPermitted(_("您没有上报困难问题的权限。"), code="not_permitted")
    if milestone is not None and milestone.project_id != project.pk:
        raise DomainError(
            _("所选关键节点不属于该项目。"), code="milestone_other_project", field="milestone"
        )
    title = _required(title, "title", _("请填写问题标题。"))
    _check_category(category)
    source = source or _default_source(by)
    if source not in Source.values:
        raise DomainError(_("未知的问题来源。"), code="invalid_source", field="source")
    issue = Issue.objects.create(
        project=project,
        milestone=milestone,
        region=project.region,
        title=title,
        description=description.strip(),
        category=category,
        source=source,
        external_id=external_id.strip(),
        level=_level_for(project.region, level, by),
        reported_by=by,
        reporter_name=str(by),
        reporter_phone=by.phone,
    )
    _event(issue, EventKind.REPORT, by, comment=issue.description)
    return issue


def issue_intake(
    *,
    by,
    source: str,
    external_id: str,
    region_code: str,
    title: str,
    category: str,
    project_code: str = "",
    project_name: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    description: str = "",
) -> tuple[Issue, bool]:
    """An issue pushed by another system (the 12345 hotline). Idempotent on
    ``(source, external_id)``: a repeated call, even one racing the first, returns the ticket
    already made and changes nothing. Returns ``(issue, created)``."""
    if not (by.sees_everything or by.has_role(*INTAKE_ROLES)):
        raise NotPermitted(
            _("只有系统接口或重大办工作人员可以推送问题工单。"), code="not_permitted"
        )
    external_id = _required(external_id, "external_id", _("请提供来源系统的工单编号。"))
    if source not in Source.values:
        raise DomainError(_("未知的问题来源。"), code="invalid_source", field="source")
    existing = _existing(by, source, external_id)
    if existing is not None:
        return existing, False

    title = _required(title, "title", _("请填写问题标题。"))
    _check_category(category)
    region = Region.objects.for_user(by).filter(code=region_code).first()
    if region is None:
        raise DomainError(
            _("行政区划代码“%(code)s”不存在或不在您的管辖范围内。") % {"code": region_code},
            code="region_out_of_scope",
            field="region",
        )
    project = _match_project(by, region, project_code, project_name)
    if project is not None:
        region = project.region
    values = {
        "project": project,
        "region": region,
        "title": title,
        "description": (description or "").strip(),
        "category": category,
        "source": source,
        "external_id": external_id,
        "project_hint": " ".join(p for p in (project_code.strip(), project_name.strip()) if p),
        "reporter_name": (reporter_name or "").strip(),
        "reporter_phone": (reporter_phone or "").strip(),
        "reported_by": by,
        "level": Level.of_region(region),
    }
    try:
        with transaction.atomic():
            issue = Issue.objects.create(**values)
            comment = "" if project else _("未匹配到项目库中的项目，请重大办甄别。")
            _event(issue, EventKind.REPORT, by, comment=comment)
    except IntegrityError:
        # The same ticket arrived twice at once and the other call stored it first.
        existing = _existing(by, source, external_id)
        if existing is None:
            raise
        return existing, False
    return issue, True


def _existing(by, source: str, external_id: str) -> Issue | None:
    found = Issue.objects.filter(source=source, external_id=external_id).first()
    if found is not None and not Issue.objects.for_user(by).filter(pk=found.pk).exists():
        raise DomainError(
            _("该来源的工单编号已被使用。"), code="external_id_taken", field="external_id"
        )
    return found


def _match_project(by, region: Region, code: str, name: str) -> Project | None:
    projects = Project.objects.for_user(by)
    code = normalize_project_code(code or "")
    if code:
        found = projects.filter(code=code).first()
        if found is not None:
            return found
    name = (name or "").strip()
    if name:
        matches = list(projects.filter(name=name, region__code__startswith=region.scope_prefix)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def may_link_project(issue: Issue, user) -> bool:
    """Whether the page should offer 匹配项目 for this unmatched ticket to this user."""
    return (
        issue.project_id is None
        and issue.status not in FINAL_STATUSES
        and OFFICE in parties(issue, user)
    )


@transaction.atomic
def issue_link_project(*, issue: Issue, by, project: Project, comment: str = "") -> Issue:
    """Triage of an unmatched ticket (e.g. from the 12345 hotline): the office at its level
    names the project it concerns. The ticket moves to that project's region; its status and
    level stay."""
    locked = Issue.objects.select_for_update(of=("self",)).select_related("region").get(pk=issue.pk)
    if OFFICE not in parties(locked, by):
        raise NotPermitted(_("只有问题所在层级的重大办可以为问题匹配项目。"), code="not_permitted")
    if locked.project_id is not None:
        raise DomainError(_("该问题已关联项目。"), code="already_matched", field="project")
    if locked.status in FINAL_STATUSES:
        raise DomainError(_("已办结归档的问题不能再匹配项目。"), code="illegal_transition")
    level_region = Region.objects.get(code=locked.level_region_code())
    in_reach = Project.objects.for_user(by).filter(
        pk=project.pk, region__code__startswith=level_region.scope_prefix
    )
    if not in_reach.exists():
        raise DomainError(
            _("所选项目不在%(region)s范围内或不在您的管辖范围内。") % {"region": level_region.name},
            code="project_out_of_scope",
            field="project",
        )
    if _rank(locked.level) < _rank(Level.of_region(project.region)):
        raise DomainError(
            _("所选项目所在地区高于问题的事权层级，请先上提。"),
            code="project_out_of_scope",
            field="project",
        )
    before = _Snapshot(locked.status, locked.level)
    locked.project = project
    locked.region = project.region
    text = _("匹配到项目“%(name)s”。") % {"name": project.name}
    return _move(locked, before, EventKind.MATCH, by, f"{text}{comment.strip()}")


# --- the workflow steps --------------------------------------------------------------------


@transaction.atomic
def issue_accept(*, issue: Issue, by, comment: str = "") -> Issue:
    issue, before = _locked(issue, "accept", by)
    issue.status = Status.ACCEPTED
    return _move(issue, before, EventKind.ACCEPT, by, comment.strip())


@transaction.atomic
def issue_reject(*, issue: Issue, by, reason: str) -> Issue:
    issue, before = _locked(issue, "reject", by)
    reason = _required(reason, "reason", _("请说明不予受理的原因（如重复问题、不属于困难问题）。"))
    issue.status = Status.REJECTED
    return _move(issue, before, EventKind.REJECT, by, reason)


@transaction.atomic
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
    issue, before = _locked(issue, "assign", by)
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
    leader = _required(responsible_leader, "responsible_leader", _("请填写责任领导。"))
    person = _required(responsible_person, "responsible_person", _("请填写责任人。"))
    plan = _required(solution, "solution", _("请填写解决方案。"))
    today = timezone.localdate()
    calendar = current_calendar()
    if deadline is None:
        deadline = default_deadline(issue.level, issue.category, today, calendar)
    elif deadline < today:
        raise DomainError(_("办结时限不能早于今天。"), code="deadline_past", field="deadline")
    latest = today + datetime.timedelta(days=settings.ISSUE_DEADLINE_MAX_DAYS)
    if deadline > latest:
        raise DomainError(
            _("办结时限最迟为%(date)s（限期办结，不超过%(days)d天）。")
            % {"date": latest.isoformat(), "days": settings.ISSUE_DEADLINE_MAX_DAYS},
            code="deadline_too_far",
            field="deadline",
        )
    provisional = calendar.provisional_years(today, deadline)
    issue.unit = unit
    issue.responsible_leader = leader
    issue.responsible_person = person
    issue.solution = plan
    issue.deadline = deadline
    issue.status = Status.ASSIGNED
    note = _("交办%(unit)s，限%(deadline)s前办结。") % {
        "unit": unit.name,
        "deadline": deadline.isoformat(),
    }
    if provisional:
        note += _("（%(years)s年节假日安排尚未录入，工作日暂按周末休息计算。）") % {
            "years": "、".join(str(year) for year in provisional)
        }
    return _move(issue, before, EventKind.ASSIGN, by, f"{note}{comment.strip()}")


@transaction.atomic
def issue_start(*, issue: Issue, by, comment: str = "") -> Issue:
    issue, before = _locked(issue, "start", by)
    issue.status = Status.IN_PROGRESS
    return _move(issue, before, EventKind.START, by, comment.strip())


@transaction.atomic
def issue_note(*, issue: Issue, by, comment: str) -> Issue:
    """即时反馈: progress feedback from the handling unit; the status stays."""
    issue, before = _locked(issue, "note", by)
    comment = _required(comment, "comment", _("请填写办理进展。"))
    return _move(issue, before, EventKind.NOTE, by, comment)


@transaction.atomic
def issue_resolve(*, issue: Issue, by, resolution: str) -> Issue:
    issue, before = _locked(issue, "resolve", by)
    issue.resolution = _required(resolution, "resolution", _("请填写办理结果。"))
    issue.status = Status.RESOLVED
    return _move(issue, before, EventKind.RESOLVE, by, issue.resolution)


@transaction.atomic
def issue_confirm(*, issue: Issue, by, reason: str = "") -> Issue:
    """The project unit is satisfied (企业满意); office staff may confirm for it only with a
    recorded reason."""
    issue, before = _locked(issue, "confirm", by)
    if PROJECT_UNIT not in parties(issue, by):
        reason = _required(
            reason, "reason", _("代项目单位确认时，请说明原因（如已电话回访企业表示满意）。")
        )
    issue.status = Status.CONFIRMED
    return _move(issue, before, EventKind.CONFIRM, by, reason.strip())


@transaction.atomic
def issue_return(*, issue: Issue, by, reason: str) -> Issue:
    issue, before = _locked(issue, "return", by)
    reason = _required(reason, "reason", _("请说明退回重办的原因。"))
    issue.status = Status.IN_PROGRESS
    return _move(issue, before, EventKind.RETURN, by, reason)


@transaction.atomic
def issue_close(*, issue: Issue, by, comment: str = "") -> Issue:
    issue, before = _locked(issue, "close", by)
    issue.status = Status.CLOSED
    return _move(issue, before, EventKind.CLOSE, by, comment.strip())


@transaction.atomic
def issue_escalate(*, issue: Issue, by, reason: str) -> Issue:
    """上提 one level (county → city → province → government); the ticket is reported afresh
    at the new level for that office to accept and dispatch."""
    with transaction.atomic():
        issue, before = _locked(issue, "escalate", by)
        return _escalate(issue, before, by, reason)


def _escalate(issue: Issue, before: _Snapshot, by, reason: str) -> Issue:
    higher = Level.above(issue.level)
    if higher is None:
        raise DomainError(
            _("问题已提交省政府协调，不能再上提。"), code="escalation_end", field="level"
        )
    reason = _required(reason, "reason", _("请说明上提的原因。"))
    now = timezone.now()
    issue.level = higher
    issue.status = Status.REPORTED
    issue.escalated_at = now
    # The new level's office dispatches afresh (五到位 at its level).
    issue.unit = None
    issue.responsible_leader = issue.responsible_person = issue.solution = ""
    issue.deadline = None
    issue.reminded_for = None
    return _move(issue, before, EventKind.ESCALATE, by, reason, now)


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
    function = ACTION_FUNCTIONS.get(action)
    if function is None:
        check_action(issue, action, by)  # raises: unknown action
    return function(issue=issue, by=by, **data)


# --- the daily sweep -----------------------------------------------------------------------


def sweep(today: datetime.date | None = None) -> Counter:
    """Reminders, overdue marks, 通报, 约谈 and automatic escalation for ``today``.

    Idempotent, also when two runs overlap: each ticket is locked and re-checked before it is
    changed, so a second run (or a ticket resolved meanwhile) finds nothing left to do. Each
    ticket is handled in its own transaction; one that fails is logged and counted as
    ``failed`` without stopping the others. Returns what it did.
    """
    today = today or timezone.localdate()
    calendar = current_calendar()
    done: Counter = Counter()
    handling = Issue.objects.filter(status__in=HANDLING_STATUSES, deadline__isnull=False)

    # Reminders not yet sent for the current deadline.
    for issue in handling.filter(deadline__gte=today).exclude(reminded_for=F("deadline")):
        done["reminded"] += _each(issue, _remind, today, calendar, done) or 0

    # Late tickets not yet marked, or marked but whose spell has no notice yet.
    noticed = Notice.objects.filter(issue=OuterRef("pk"), overdue_since=OuterRef("overdue_since"))
    unnoticed = handling.filter(deadline__lt=today).filter(
        Q(overdue_since__isnull=True) | ~Exists(noticed)
    )
    for issue in unnoticed:
        marked, noticed_now, interviews = _each(issue, _overdue, today, calendar, done) or (0, 0, 0)
        done["overdue"] += marked
        done["notices"] += noticed_now
        done["interviews"] += interviews

    levels = [level for level in settings.ISSUE_ESCALATE_AFTER_WORKDAYS if Level.above(level)]
    for issue in handling.filter(deadline__lt=today, level__in=levels):
        done["escalated"] += _each(issue, _auto_escalate, today, calendar, done) or 0
    return +done  # only what was actually done


def _each(issue: Issue, step, today: datetime.date, calendar: WorkdayCalendar, done: Counter):
    """Run one sweep step for one ticket; a failure is logged and counted, and the sweep goes
    on with the other tickets."""
    try:
        with transaction.atomic():
            return step(issue, today, calendar)
    except Exception:
        logger.exception("sweep %s: ticket %s failed in %s", today, issue.pk, step.__name__)
        done["failed"] += 1
        return None


def _lock_handling(issue: Issue) -> Issue | None:
    """The ticket, locked, if it is still being handled against a deadline."""
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(pk=issue.pk, status__in=HANDLING_STATUSES, deadline__isnull=False)
        .first()
    )
    return locked


def _remind(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> int:
    locked = _lock_handling(issue)
    if locked is None or locked.reminded_for == locked.deadline or locked.deadline < today:
        return 0
    if calendar.workdays_between(today, locked.deadline) > settings.ISSUE_REMIND_WORKDAYS:
        return 0
    locked.reminded_for = locked.deadline
    locked.save(update_fields=["reminded_for", "updated_at"])
    _event(
        locked,
        EventKind.REMIND,
        None,
        comment=_("距办结时限%(deadline)s不足%(days)d个工作日（%(date)s提醒）。")
        % {
            "deadline": locked.deadline.isoformat(),
            "days": settings.ISSUE_REMIND_WORKDAYS + 1,
            "date": today.isoformat(),
        },
    )
    return 1


def _overdue(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> tuple[int, int, int]:
    locked = _lock_handling(issue)
    if locked is None or locked.deadline >= today:
        return 0, 0, 0
    marked = 0
    if locked.overdue_since is None:
        locked.overdue_since = today
        locked.save(update_fields=["overdue_since", "updated_at"])
        _event(
            locked,
            EventKind.OVERDUE,
            None,
            comment=_("已超过办结时限%(deadline)s。") % {"deadline": locked.deadline.isoformat()},
        )
        marked = 1
    notice, created = Notice.objects.get_or_create(
        issue=locked,
        overdue_since=locked.overdue_since,
        defaults={"unit": locked.unit, "issued_on": today, "deadline": locked.deadline},
    )
    interviews = 0
    if created:
        _event(
            locked,
            EventKind.NOTICE,
            None,
            comment=_("逾期未办结，通报%(unit)s。") % {"unit": locked.unit.name},
        )
        interviews = _interviews(notice.unit, today)
    return marked, int(created), interviews


def _auto_escalate(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> int:
    locked = _lock_handling(issue)
    if locked is None or locked.deadline >= today:
        return 0
    after = settings.ISSUE_ESCALATE_AFTER_WORKDAYS.get(locked.level)
    late = calendar.workdays_between(locked.deadline, today)
    if after is None or Level.above(locked.level) is None or late < after:
        return 0
    reason = _("逾期%(days)d个工作日未办结，自动上提（%(date)s巡检）。") % {
        "days": late,
        "date": today.isoformat(),
    }
    _escalate(locked, _Snapshot(locked.status, locked.level), None, reason)
    return 1


def _interviews(unit: Unit, today: datetime.date) -> int:
    """一通报、两约谈: 2 notices in the window → deputy leader's interview, 3 → principal's."""
    window_start = today - datetime.timedelta(days=settings.ISSUE_NOTICE_WINDOW_DAYS - 1)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one sweep counts at a time
    notices = list(Notice.objects.filter(unit=unit, issued_on__range=(window_start, today)))
    made = 0
    for kind, threshold in settings.ISSUE_INTERVIEW_THRESHOLDS.items():
        if len(notices) < threshold:
            continue
        if Interview.objects.filter(
            unit=unit, kind=kind, triggered_on__range=(window_start, today)
        ).exists():
            continue
        interview = Interview.objects.create(
            unit=unit, kind=kind, triggered_on=today, notice_count=len(notices)
        )
        interview.notices.set(notices)
        made += 1
    return made


# --- the weekly meeting (碰头会) -------------------------------------------------------------

#: projects heard one by one (逐个过堂); the rest are heard in batches per city
ONE_BY_ONE_TIERS = (Tier.PROVINCIAL_IMPLEMENTATION, Tier.PROVINCIAL_RESERVE)


def _check_meeting_office(by, region: Region | None) -> Region:
    if not by.is_office_staff or region is None:
        raise NotPermitted(_("只有重大办工作人员可以组织碰头会。"), code="not_permitted")
    return region


@transaction.atomic
def meeting_create(
    *, by, date: datetime.date, title: str = "", attending_units=(), region: Region | None = None
) -> Meeting:
    """A meeting of the user's office with its agenda built from the data (SPEC §6): the
    provincial major and "两重" projects one by one, the others in batches per city; each with
    its open issues (overdue first). Only projects with open issues or a start date at risk
    are heard."""
    region = _check_meeting_office(by, region or by.region)
    if not Region.objects.for_user(by).filter(code=region.code).exists():
        raise DomainError(
            _("会议范围不在您的管辖范围内。"), code="region_out_of_scope", field="region"
        )
    return _new_meeting(
        region=region, date=date, title=title, attending_units=attending_units, by=by
    )


@transaction.atomic
def meeting_for_week(*, region: Region, date: datetime.date) -> Meeting:
    """The meeting of ``region`` on ``date`` for the scheduled agenda (no user): the one staff
    already made for that day (the latest, if they made several), else a new one with the
    default title and its agenda built from the data, as :func:`meeting_create` builds it.
    Generating the agenda again never makes a second meeting."""
    # Two jobs for the same office and week take turns (PostgreSQL; SQLite serialises writers).
    Region.objects.select_for_update().filter(pk=region.pk).first()
    existing = Meeting.objects.filter(region=region, date=date).order_by("-pk").first()
    if existing is not None:
        return existing
    return _new_meeting(region=region, date=date)


def _new_meeting(
    *, region: Region, date: datetime.date, title: str = "", attending_units=(), by=None
) -> Meeting:
    title = (title or "").strip() or _("%(region)s重大项目周碰头会（%(date)s）") % {
        "region": region.name,
        "date": date.isoformat(),
    }
    meeting = Meeting.objects.create(date=date, title=title, region=region, created_by=by)
    meeting.attending_units.set(attending_units)
    _build_agenda(meeting, today=date)
    return meeting


def _build_agenda(meeting: Meeting, today: datetime.date) -> None:
    prefix = meeting.region.scope_prefix
    open_issues: dict[int, list[Issue]] = {}
    for issue in (
        Issue.objects.filter(
            status__in=OPEN_STATUSES, project__isnull=False, region__code__startswith=prefix
        )
        .order_by("deadline", "reported_at")
        .only("pk", "project_id", "status", "deadline")
    ):
        open_issues.setdefault(issue.project_id, []).append(issue)
    # Approvals still running past their promise by the meeting's day are heard too (SPEC §6).
    late_approvals = Approval.objects.filter(status__in=RUNNING_STATUSES).overdue(today)
    projects = list(
        Project.objects.filter(
            Q(pk__in=list(open_issues))
            | Q(schedule__at_risk=True)
            | Q(pk__in=late_approvals.values("project_id")),
            region__code__startswith=prefix,
        ).order_by("code", "pk")
    )
    cities = {r.code: r for r in Region.objects.filter(level=Region.Level.CITY)}

    def overdue_first(issue: Issue) -> tuple:
        return (not issue.is_overdue(today), issue.deadline or datetime.date.max)

    def city_of(project: Project) -> Region | None:
        return cities.get(project.region_id[:4] + "00")

    one_by_one = [p for p in projects if p.tier in ONE_BY_ONE_TIERS or p.two_major]
    batched = sorted(
        (p for p in projects if p not in one_by_one),
        key=lambda p: (p.region_id[:4], p.code or "", p.pk),
    )
    position = 0
    for mode, group in ((AgendaItem.Mode.ONE_BY_ONE, one_by_one), (AgendaItem.Mode.BATCH, batched)):
        for project in group:
            position += 1
            item = AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                mode=mode,
                batch_region=city_of(project) if mode == AgendaItem.Mode.BATCH else None,
                project=project,
            )
            item.issues.set(sorted(open_issues.get(project.pk, []), key=overdue_first))


def can_record_decision(user, meeting: Meeting) -> bool:
    """The staff of the office that holds the meeting record its decisions (会商意见)."""
    return user.is_office_staff and (user.sees_everything or user.region_id == meeting.region_id)


@transaction.atomic
def agenda_decide(*, item: AgendaItem, by, decision: str) -> AgendaItem:
    """会商意见 for one agenda item; it becomes an event on each of the item's open issues."""
    meeting = item.meeting
    if not can_record_decision(by, meeting):
        raise NotPermitted(_("只有组织会议的重大办可以记录会商意见。"), code="not_permitted")
    decision = _required(decision, "decision", _("请填写会商意见。"))
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    item.decision = decision
    item.decided_by = by
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "decided_by", "decided_at"])
    for issue in item.issues.filter(status__in=OPEN_STATUSES):
        _event(
            issue,
            EventKind.DECISION,
            by,
            comment=decision,
            meeting=meeting,
        )
    return item
