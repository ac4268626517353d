"""The weekly meeting's agenda as the pages show it (碰头会, SPEC §6): the read side of
:func:`issues.services.meeting_create`.

The stored agenda says which projects are heard, in which order and how (逐个过堂 or within a
city's batch, 逐批过堂), and which issues were open when it was built. What the meeting looks at
is computed here, as of ``today``: each issue's current state (overdue first), the
milestones whose total float is negative (the ones that make the start date slip), and the
approvals still running past the time limit their department promised (SPEC §7).

Queries are bounded: the items with their projects and issues come in three queries, the
schedules of every project on the agenda are computed from two more, the overdue approvals come
in one (plus the working-day calendar, read once), however long the agenda is.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region
from approvals.models import RUNNING_STATUSES, Approval
from projects.models import Project
from schedule.impact import Impact, blocks_by_project, impacts
from schedule.models import Milestone, MilestoneStatus
from schedule.recompute import milestones_by_project, nodes_of
from schedule.scheduling import ScheduleError
from schedule.workdays import current_calendar

from .models import AgendaItem, Issue, Meeting


@dataclass
class AgendaIssue:
    """One linked issue with what the meeting needs to see at a glance."""

    issue: Issue
    overdue: bool
    #: calendar days past the deadline, as the meeting counts them
    days_overdue: int
    #: what it costs the construction start, when it blocks a milestone (schedule.impact)
    impact: Impact | None = None


@dataclass
class RiskMilestone:
    """A milestone not yet done whose total float is negative: it already makes the start late."""

    milestone: Milestone
    latest_finish: datetime.date | None
    forecast_finish: datetime.date
    total_float: int

    @property
    def name(self) -> str:
        return self.milestone.name


@dataclass
class OverdueApproval:
    """An approval still running after the day its department promised to decide it."""

    approval: Approval
    #: working days past the promised day, as the department's time limit counts them
    workdays_overdue: int


@dataclass
class AgendaEntry:
    """One project heard at the meeting."""

    item: AgendaItem
    issues: list[AgendaIssue]
    risks: list[RiskMilestone]
    #: why the schedule could not be computed (a broken milestone network), else ""
    schedule_error: str = ""
    forecast_start: datetime.date | None = None
    planned_start: datetime.date | None = None
    approvals: list[OverdueApproval] = field(default_factory=list)

    @property
    def project(self) -> Project:
        return self.item.project

    @property
    def open_issues(self) -> list[AgendaIssue]:
        return [entry for entry in self.issues if entry.issue.is_open]

    @property
    def overdue_count(self) -> int:
        return sum(1 for entry in self.issues if entry.overdue)

    @property
    def quiet(self) -> bool:
        """Nothing open: no open issue, no milestone at risk, no approval past its promise and
        a schedule that computes. A provincial or "两重" project is heard all the same, in one
        line of status."""
        return not (self.open_issues or self.risks or self.approvals or self.schedule_error)


@dataclass
class Batch:
    """The projects of one city heard together (逐批过堂); ``city`` is None for projects that
    belong to no city (e.g. filed at the province)."""

    city: Region | None
    entries: list[AgendaEntry] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.city.name if self.city is not None else _("其他")


@dataclass
class Agenda:
    meeting: Meeting
    today: datetime.date
    one_by_one: list[AgendaEntry]
    batches: list[Batch]

    @property
    def entries(self) -> list[AgendaEntry]:
        return self.one_by_one + [entry for batch in self.batches for entry in batch.entries]

    @property
    def batched_count(self) -> int:
        return sum(len(batch.entries) for batch in self.batches)

    @property
    def project_count(self) -> int:
        return len(self.entries)

    @property
    def open_issue_count(self) -> int:
        return sum(len(entry.open_issues) for entry in self.entries)

    @property
    def overdue_issue_count(self) -> int:
        return sum(entry.overdue_count for entry in self.entries)

    @property
    def at_risk_count(self) -> int:
        return sum(1 for entry in self.entries if entry.risks)

    @property
    def overdue_approval_count(self) -> int:
        return sum(len(entry.approvals) for entry in self.entries)

    @property
    def quiet_count(self) -> int:
        return sum(1 for entry in self.entries if entry.quiet)

    @property
    def decided_count(self) -> int:
        return sum(1 for entry in self.entries if entry.item.decision)


def agenda(meeting: Meeting, today: datetime.date | None = None, user=None) -> Agenda:
    """The meeting's agenda ready for the pages: 逐个过堂 in order, then one batch per city.

    For a department liaison (``user`` who sees only their unit's tickets) the agenda keeps
    just the projects with tickets assigned to their unit or overdue approvals their unit
    handles, and just those tickets and approvals (SPEC §2)."""
    today = today or timezone.localdate()
    issues = Issue.objects.select_related("unit").order_by()
    approvals = Approval.objects.all()
    items = meeting.items.select_related("project", "project__region", "batch_region", "decided_by")
    if user is not None and user.sees_only_assignments:
        issues = Issue.objects.for_user(user).select_related("unit").order_by()
        approvals = Approval.objects.for_user(user)
        late = approvals.filter(status__in=RUNNING_STATUSES).overdue(today)
        items = items.filter(
            Q(issues__in=issues) | Q(project__in=late.values("project_id"))
        ).distinct()
    items = list(items.prefetch_related(Prefetch("issues", queryset=issues)))
    projects = [item.project for item in items]
    calendar = functools.cache(current_calendar)  # read at most once, and only when needed
    schedules = _schedules(projects, today, calendar)
    late_approvals = _overdue_approvals(approvals, projects, today, calendar)

    one_by_one: list[AgendaEntry] = []
    batches: dict[str | None, Batch] = {}
    for item in items:
        schedule = dict(schedules.get(item.project_id, {}))
        entry = AgendaEntry(
            item=item,
            issues=_issues(item, today, schedule.pop("impacts", {})),
            approvals=late_approvals.get(item.project_id, []),
            **{"risks": [], **schedule},
        )
        if item.mode == AgendaItem.Mode.ONE_BY_ONE:
            one_by_one.append(entry)
        else:
            batch = batches.setdefault(item.batch_region_id, Batch(city=item.batch_region))
            batch.entries.append(entry)
    return Agenda(
        meeting=meeting, today=today, one_by_one=one_by_one, batches=list(batches.values())
    )


def _issues(item: AgendaItem, today: datetime.date, impacts: dict) -> list[AgendaIssue]:
    """The item's issues, overdue first (longest overdue first), then by deadline; each with
    what it costs the construction start if it blocks a milestone."""
    rows = []
    for issue in item.issues.all():
        overdue = issue.is_overdue(today)
        days = (today - issue.deadline).days if overdue else 0
        rows.append(
            AgendaIssue(
                issue=issue, overdue=overdue, days_overdue=days, impact=impacts.get(issue.pk)
            )
        )
    rows.sort(
        key=lambda row: (
            not row.overdue,
            not row.issue.is_open,
            row.issue.deadline or datetime.date.max,
            row.issue.reported_at,
            row.issue.pk,
        )
    )
    return rows


def _overdue_approvals(
    approvals, projects: list[Project], today: datetime.date, calendar
) -> dict[int, list[OverdueApproval]]:
    """Per project on the agenda: its approvals running past the promise, longest overdue
    first (one query)."""
    if not projects:
        return {}
    rows = (
        approvals.filter(project__in=[p.pk for p in projects], status__in=RUNNING_STATUSES)
        .overdue(today)
        .select_related("kind", "unit", "specialist")
        .order_by("promise_due_on", "kind__position", "pk")
    )
    found: dict[int, list[OverdueApproval]] = defaultdict(list)
    for approval in rows:
        days = calendar().workdays_between(approval.promise_due_on, today)
        found[approval.project_id].append(OverdueApproval(approval, workdays_overdue=days))
    return found


def _schedules(projects: list[Project], today: datetime.date, calendar) -> dict[int, dict]:
    """Per project on the agenda: its milestones at risk, forecast start or the schedule error.

    Computed from the milestones as they are now (the stored summary may be a day old)."""
    if not projects:
        return {}
    milestones = milestones_by_project(p.pk for p in projects)
    if not milestones:
        return {}
    blocks = blocks_by_project(list(milestones))
    result = {}
    for project in projects:
        rows = milestones.get(project.pk)
        if not rows:
            continue
        nodes = nodes_of(rows)
        try:
            schedule, weighed = impacts(
                nodes,
                planned_start=project.planned_start,
                today=today,
                calendar=calendar(),
                blocks=blocks.get(project.pk, []),
            )
        except ScheduleError as error:
            result[project.pk] = {"schedule_error": error.message}
            continue
        by_id = schedule.by_id()
        risks = []
        for milestone in rows:
            node = by_id[milestone.pk]
            if (
                milestone.status != MilestoneStatus.DONE
                and node.total_float is not None
                and node.total_float < 0
            ):
                risks.append(
                    RiskMilestone(
                        milestone=milestone,
                        latest_finish=node.latest_finish,
                        forecast_finish=node.earliest_finish,
                        total_float=node.total_float,
                    )
                )
        result[project.pk] = {
            "risks": risks,
            "planned_start": schedule.anchor_date,
            "forecast_start": schedule.forecast_anchor_date,
            "impacts": {impact.issue_id: impact for impact in weighed},
        }
    return result
