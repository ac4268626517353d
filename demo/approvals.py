"""Demo approvals (要素保障审批, SPEC §7) for the admitted projects waiting to start.

Each approval follows the project's milestone of its kind, so the library tells one story: a
milestone already done was approved on the day it finished; one in progress has its approval
being prepared, filed, under review — some past the promised time limit, some well within it —
returned for correction or refused; one not reached yet has its approval not started or in
preparation. The working days each department took follow seed 000 measures 7–11: EIA mostly
at least 30% faster than promised, soil & water decided the day it was filed, energy reviews by
the date fixed for the project, a few departments late.

Approvals are written as history, each step with its own past day and the person who took it,
in bulk: every approval and step passes the checks of :mod:`approvals.services`
(``new_approval``, ``approval_step``) and the rows are those ``approval_create`` and
``approval_transition`` would leave. Approving one finishes its milestone, which here is
already done on that very day, so the schedules stay as the milestone demo left them.
Everything comes from seeded random generators; nothing is written when approvals exist.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Region, Unit, User
from approvals import services
from approvals.models import (
    Approval,
    ApprovalEvent,
    ApprovalKind,
    ApprovalStatus,
    AuthorityLevel,
)
from projects.models import Admission, Project, Stage
from schedule.models import Milestone, MilestoneStatus
from schedule.workdays import WorkdayCalendar, current_calendar

from .projects import short_name

SEED = 2026
S = ApprovalStatus

#: kind → document number prefix of a provincial department, and of a city or county one
#: (after the place's short name); the permits carry certificate numbers instead
DOCUMENT_PREFIXES = {
    "land": ("苏自然资预", "自然资规预"),
    "forestry": ("苏林地审字", "林地审字"),
    "eia": ("苏环审", "环审"),
    "energy": ("苏发改能审", "发改能审"),
    "soil_water": ("苏水许可", "水许可"),
}
#: the county departments that issue the permits (SPEC §2: county counterparts)
PERMIT_DEPARTMENTS = {
    "planning_permit": "自然资源和规划局",
    "construction_permit": "住房和城乡建设局",
}
#: users who keep a department's approvals up to date and serve as specialists (一项目一专员)
LIAISONS = ("liaison", "jiangyin_liaison")
REFUSALS = {
    "eia": "项目所在区域大气环境容量不足，VOCs总量来源未落实，不予批复。",
    "energy": "项目能效水平未达到行业标杆水平，不予通过节能审查。",
    "land": "项目选址涉及永久基本农田，不予通过用地预审。",
    "forestry": "项目使用林地涉及生态公益林，不予同意。",
    "planning_permit": "建设工程设计方案不符合控制性详细规划，不予核发。",
}
RETURNS = "申报材料不齐全，请补正后重新报送。"


@dataclass
class Plan:
    """One approval to write: its final state and the days of its history."""

    project: Project
    kind: ApprovalKind
    unit: Unit
    authority_level: str
    status: str
    submitted_on: datetime.date | None = None
    accepted_on: datetime.date | None = None
    decided_on: datetime.date | None = None
    #: a first filing returned for correction before the one that was accepted
    first_submitted_on: datetime.date | None = None
    #: further editable fields for ``approval_create`` (planned submission, fixed target day)
    fields: dict = field(default_factory=dict)
    document_no: str = ""
    #: the milestone of the approval's kind, which approving it finishes
    milestone: Milestone | None = None


class DemoApprovals:
    """Plans every approval first (so the document numbers follow the decision days), then
    writes each one through the approval services."""

    def __init__(self, users: dict[str, User]):
        self.users = users
        self.today = timezone.localdate()
        self.calendar: WorkdayCalendar = current_calendar()
        self.kinds = {kind.code: kind for kind in ApprovalKind.objects.all()}
        self.liaisons = {users[name].unit_id: users[name] for name in LIAISONS if name in users}

    def run(self) -> None:
        if Approval.objects.exists():
            return
        plans = [plan for project in self.projects() for plan in self.plan(project)]
        self.number(plans)
        self.write(plans)

    def projects(self):
        """Admitted projects not started yet, with their key milestones (as the milestone demo
        left them)."""
        return (
            Project.objects.filter(
                admission=Admission.ADMITTED,
                stage__in=[Stage.PLANNING, Stage.SIGNED, Stage.FILED],
                milestones__isnull=False,
            )
            .select_related("region", "unit")
            .prefetch_related("milestones__responsible_unit")
            .distinct()
            .order_by("id")
        )

    # -- deciding what happened ---------------------------------------------------------------

    def plan(self, project: Project) -> list[Plan]:
        rng = random.Random(f"{SEED}-approvals-{project.pk}-{project.name}")
        milestones = sorted(project.milestones.all(), key=lambda m: m.position)
        plans = []
        for kind in self.kinds.values():
            # the milestone the approval finishes (the first of its kind, as the service does)
            milestone = next((m for m in milestones if m.kind == kind.milestone_kind), None)
            if milestone is None:
                continue  # the project's template does not need it
            if milestone.status == MilestoneStatus.DONE:
                plan = self.decided(project, kind, milestone, rng)
            elif milestone.status == MilestoneStatus.IN_PROGRESS:
                plan = self.under_way(project, kind, milestone, rng)
            else:
                plan = self.ahead(project, kind, milestone, rng)
            if plan is not None:
                plans.append(plan)
        return plans

    def new_plan(self, project: Project, kind: ApprovalKind, milestone, status: str) -> Plan:
        unit, level = self.handler(project, kind, milestone)
        return Plan(
            project=project,
            kind=kind,
            unit=unit,
            authority_level=level,
            status=status,
            milestone=milestone,
        )

    def handler(self, project: Project, kind: ApprovalKind, milestone) -> tuple[Unit, str]:
        """The county department for the permits; else the department responsible for the
        milestone (the provincial one, or 江阴's own natural-resources bureau)."""
        region = project.region
        suffix = PERMIT_DEPARTMENTS.get(kind.code)
        if suffix and region.level == Region.Level.COUNTY:
            unit = Unit.objects.get_or_create(
                name=f"{region.name}{suffix}",
                region=region,
                defaults={"kind": Unit.Kind.DEPARTMENT},
            )[0]
            return unit, AuthorityLevel.COUNTY
        unit = milestone.responsible_unit
        if unit is None or unit.kind != Unit.Kind.DEPARTMENT:
            level = services.default_authority(project)
            return services.default_unit(project, kind, level), level
        return unit, _level_of(unit.region)

    def working_days_taken(self, kind: ApprovalKind, rng: random.Random) -> int:
        """How long the department took from acceptance to decision (working days)."""
        promised, draw = kind.promised_days, rng.random()
        if kind.code == "soil_water":  # 即来即办、当日办结, with the odd exception
            return 0 if draw < 0.85 else rng.randint(1, 3)
        if kind.code == "eia":  # 30% faster than promised, mostly
            if draw < 0.7:
                return rng.randint(promised // 4, int(promised * 0.7))
            return rng.randint(int(promised * 0.7) + 1, promised + (8 if draw > 0.92 else 0))
        if draw < 0.1:  # late
            return promised + rng.randint(1, max(2, promised // 3))
        return rng.randint(max(1, promised // 4), promised)

    def decided(self, project, kind, milestone: Milestone, rng) -> Plan:
        """Approved on the day the milestone finished."""
        plan = self.new_plan(project, kind, milestone, S.APPROVED)
        plan.decided_on = milestone.actual_finish
        days = self.working_days_taken(kind, rng)
        if kind.code == "energy":
            # 限定批复日期: the office and the department fix the day for each project
            target = rng.randint(12, 18)
            days = min(days, target) if rng.random() < 0.85 else target + rng.randint(1, 3)
        if days == 0:
            plan.accepted_on = plan.submitted_on = plan.decided_on
        else:
            decided = self.calendar.previous_workday(plan.decided_on)
            plan.accepted_on = self.calendar.add_workdays(decided, -days)
            plan.submitted_on = plan.accepted_on - datetime.timedelta(days=rng.randrange(0, 4))
        if kind.code == "energy":
            plan.fields["fixed_target_on"] = self.calendar.add_workdays(plan.accepted_on, target)
        if kind.code in ("land", "eia") and rng.random() < 0.12:
            plan.first_submitted_on = plan.submitted_on - datetime.timedelta(
                days=rng.randrange(10, 25)
            )
        return plan

    def under_way(self, project, kind, milestone: Milestone, rng) -> Plan:
        """Being prepared, filed, under review (past the promise or not), returned or refused."""
        draw = rng.random()
        since = min(milestone.actual_start, self.today)
        if draw < 0.1 or (kind.code == "soil_water" and draw < 0.5):
            return self.new_plan(project, kind, milestone, S.PREPARING)
        if draw < 0.2 or kind.code == "soil_water":  # filed, not accepted yet
            plan = self.new_plan(project, kind, milestone, S.SUBMITTED)
            plan.submitted_on = min(
                since + datetime.timedelta(days=rng.randrange(0, 5)), self.today
            )
            return plan
        promised = kind.promised_days
        today = self.calendar.previous_workday(self.today)
        if draw < 0.84:
            # most of them past the promise by up to three weeks, the others within it
            if rng.random() < 0.6:
                ago = promised + rng.randint(1, 15)
            else:
                ago = rng.randint(0, max(0, promised - 2))
            status = S.ACCEPTED if ago < 3 else S.UNDER_REVIEW
        elif draw < 0.9:
            ago, status = rng.randint(3, promised), S.RETURNED
        else:
            if kind.code not in REFUSALS:
                return self.new_plan(project, kind, milestone, S.PREPARING)
            ago, status = promised + rng.randint(-4, 4), S.REFUSED
        plan = self.new_plan(project, kind, milestone, status)
        plan.accepted_on = self.calendar.add_workdays(today, -ago)
        plan.submitted_on = plan.accepted_on - datetime.timedelta(days=rng.randrange(0, 4))
        if status == S.REFUSED:
            plan.decided_on = self.calendar.add_workdays(plan.accepted_on, max(1, ago - 3))
            plan.decided_on = min(plan.decided_on, self.today)
        if kind.code == "energy":
            plan.fields["fixed_target_on"] = self.calendar.add_workdays(
                plan.accepted_on, rng.randint(12, 18)
            )
        return plan

    def ahead(self, project, kind, milestone: Milestone, rng) -> Plan | None:
        """Not reached yet: a few are registered, not started or with materials in hand."""
        draw = rng.random()
        if draw >= 0.3:
            return None
        status = S.PREPARING if draw < 0.12 else S.NOT_STARTED
        plan = self.new_plan(project, kind, milestone, status)
        plan.fields["planned_submission_on"] = self.today + datetime.timedelta(
            days=rng.randint(10, 90)
        )
        return plan

    def number(self, plans: list[Plan]) -> None:
        """批复文号 in the order the documents were issued, per issuing series and year."""
        rng = random.Random(f"{SEED}-approval-numbers")
        series: dict[tuple[str, int], int] = {}
        approved = sorted(
            (plan for plan in plans if plan.status == S.APPROVED),
            key=lambda plan: (plan.decided_on, plan.project.pk, plan.kind.position),
        )
        for plan in approved:
            year, region = plan.decided_on.year, plan.project.region_id
            if plan.kind.code == "planning_permit":
                key = (f"地字第{region}", year)
            elif plan.kind.code == "construction_permit":
                key = (region, year)
            else:
                provincial, local = DOCUMENT_PREFIXES.get(plan.kind.code, ("苏审", "审"))
                prefix = (
                    provincial
                    if plan.unit.region.level == Region.Level.PROVINCE
                    else f"{short_name(plan.unit.region)}{local}"
                )
                key = (prefix, year)
            serial = series.get(key, rng.randint(8, 60)) + rng.randint(1, 4)
            series[key] = serial
            prefix = key[0]
            if plan.kind.code == "planning_permit":
                plan.document_no = f"{prefix}{year}{serial:05d}号"
            elif plan.kind.code == "construction_permit":
                plan.document_no = f"{region}{plan.decided_on:%Y%m%d}{serial % 100:02d}01"
            else:
                plan.document_no = f"{prefix}〔{year}〕{serial}号"

    # -- writing it as history ----------------------------------------------------------------

    def write(self, plans: list[Plan]) -> None:
        office = self.users["province_office"]
        today = timezone.localdate()
        approvals, events, finishing = [], [], []
        for plan in plans:
            liaison = self.liaisons.get(plan.unit.pk)
            by = liaison or office  # a department with a demo liaison keeps its own approvals
            approval = services.new_approval(
                project=plan.project,
                kind=plan.kind,
                unit=plan.unit,
                authority_level=plan.authority_level,
                specialist=liaison,
                **plan.fields,
            )
            for status, date, comment in self.steps(plan):
                before = services.approval_step(
                    approval,
                    status,
                    date,
                    plan.document_no if status == S.APPROVED else "",
                    today=today,
                    calendar=self.calendar,
                )
                events.append(
                    ApprovalEvent(
                        approval=approval,
                        from_status=before,
                        to_status=status,
                        date=date,
                        actor=by,
                        comment=comment.strip(),
                    )
                )
            approvals.append(approval)
            finished = plan.milestone is not None and plan.milestone.actual_finish
            if approval.status == S.APPROVED and finished != approval.decided_on:
                finishing.append((approval, by))
        Approval.objects.bulk_create(approvals, batch_size=500)
        ApprovalEvent.objects.bulk_create(events, batch_size=1000)
        for approval, by in finishing:  # none: approvals are decided the day it finished
            services._finish_milestone(approval, by)

    def steps(self, plan: Plan) -> list[tuple[str, datetime.date | None, str]]:
        """The status changes that lead to the plan's final state: (status, day, comment)."""
        steps: list[tuple[str, datetime.date | None, str]] = []
        if plan.status == S.PREPARING:
            steps.append((S.PREPARING, None, ""))
        if plan.first_submitted_on is not None:
            steps += [(S.SUBMITTED, plan.first_submitted_on, ""), (S.RETURNED, None, RETURNS)]
        if plan.submitted_on is not None:
            steps.append((S.SUBMITTED, plan.submitted_on, ""))
        if plan.accepted_on is not None:
            steps.append((S.ACCEPTED, plan.accepted_on, ""))
            same_day = plan.decided_on is not None and plan.decided_on == plan.accepted_on
            if plan.status != S.ACCEPTED and not same_day:
                steps.append((S.UNDER_REVIEW, None, ""))
        if plan.status == S.RETURNED:
            steps.append((S.RETURNED, None, RETURNS))
        elif plan.status == S.REFUSED:
            steps.append((S.REFUSED, plan.decided_on, REFUSALS[plan.kind.code]))
        elif plan.status == S.APPROVED:
            steps.append((S.APPROVED, plan.decided_on, ""))
        return steps


def _level_of(region: Region) -> str:
    return {
        Region.Level.PROVINCE: AuthorityLevel.PROVINCE,
        Region.Level.CITY: AuthorityLevel.CITY,
    }.get(region.level, AuthorityLevel.COUNTY)
