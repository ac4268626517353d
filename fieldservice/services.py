"""Writes of 走访服务: naming a project's service specialist, and recording a visit with the
problems it brought back — each through the issues app's intake, all in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.events import publish
from core.exceptions import DomainError, NotPermitted
from issues.models import Source
from issues.services import issue_report
from projects.models import Project

from .models import Assignment, Visit, VisitorKind, VisitProblem

#: who may serve as a project's specialist: people who see the whole region of the project and
#: may report its problems as tickets (``issues.services.intake.REPORTER_ROLES``), so that
#: every problem they bring back can be filed by them
SPECIALIST_ROLES = (Role.Code.OFFICE_STAFF, Role.Code.COUNTY_FILER)


@dataclass(frozen=True)
class Problem:
    """A problem raised on a visit, as it is filed: the ticket's title, category, description."""

    title: str
    category: str
    description: str = ""


def _in_scope(by, project: Project) -> None:
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )


def eligible_specialists(project: Project):
    """Active people who may be the project's specialist: office staff or county filers of
    the project's county, its city or the province (their scope covers the project)."""
    return (
        User.objects.filter(
            is_active=True,
            roles__code__in=SPECIALIST_ROLES,
            region_id__in=project.region.lineage(),
        )
        .select_related("region", "unit")
        .distinct()
        .order_by("region_id", "full_name", "username")
    )


def may_assign(user) -> bool:
    """Office staff name the specialists of the projects in their scope."""
    return user.is_office_staff


def may_record(user, project: Project, assignment: Assignment | None) -> bool:
    """Office staff, and the project's own specialist, record its visits (the project in the
    user's scope is checked apart)."""
    return user.is_office_staff or (
        assignment is not None and assignment.specialist_id == getattr(user, "pk", None)
    )


def assignment_of(project: Project) -> Assignment | None:
    return Assignment.objects.select_related("specialist").filter(project=project).first()


@transaction.atomic
def assignment_set(*, by, project: Project, specialist: User) -> Assignment:
    """Name (or replace) the project's service specialist. Replacing the person keeps the
    date the project first had one."""
    _in_scope(by, project)
    if not may_assign(by):
        raise NotPermitted(_("只有重大办工作人员可以指定服务专员。"), code="not_permitted")
    if not eligible_specialists(project).filter(pk=specialist.pk).exists():
        raise DomainError(
            _(
                "服务专员应为项目所在县（市、区）、设区市或省级的重大办工作人员或县区填报人"
                "（可以上报该项目的困难问题）。"
            ),
            code="specialist_out_of_scope",
            field="specialist",
        )
    assignment = Assignment.objects.select_for_update().filter(project=project).first()
    if assignment is None:
        return Assignment.objects.create(project=project, specialist=specialist, assigned_by=by)
    if assignment.specialist_id != specialist.pk:
        assignment.specialist = specialist
        assignment.assigned_by = by
        assignment.save()
    return assignment


@transaction.atomic
def assignment_clear(*, by, project: Project) -> None:
    """The project no longer has a service specialist (its visits stay)."""
    _in_scope(by, project)
    if not may_assign(by):
        raise NotPermitted(_("只有重大办工作人员可以指定服务专员。"), code="not_permitted")
    for assignment in Assignment.objects.select_for_update().filter(project=project):
        assignment.delete()


def _visitors(visitor_kind: str, visitors: str, project: Project, assignment) -> str:
    """The names given, else the specialist's or the linked leader's on record."""
    visitors = (visitors or "").strip()
    if not visitors and visitor_kind == VisitorKind.SPECIALIST and assignment is not None:
        visitors = str(assignment.specialist)
    if not visitors and visitor_kind == VisitorKind.LEADER:
        visitors = project.responsible_leader.strip()
    if not visitors:
        raise DomainError(_("请填写走访人。"), code="visitors_required", field="visitors")
    return visitors


def _check_visit(visited_on: datetime.date | None, visitor_kind: str, findings: str) -> str:
    if visited_on is None:
        raise DomainError(_("请填写走访日期。"), code="date_required", field="visited_on")
    if visited_on > timezone.localdate():
        raise DomainError(_("走访日期不能晚于今天。"), code="visit_in_future", field="visited_on")
    if visitor_kind not in VisitorKind.values:
        raise DomainError(
            _("请选择走访人类型（服务专员或挂钩领导）。"),
            code="invalid_visitor_kind",
            field="visitor_kind",
        )
    findings = (findings or "").strip()
    if not findings:
        raise DomainError(_("请填写走访发现。"), code="findings_required", field="findings")
    return findings


def _file(by, visit: Visit, number: int, problem: Problem) -> VisitProblem:
    """One problem as a ticket, through the issues app's intake (its checks, its event)."""
    where = _("%(day)s%(kind)s%(names)s走访时提出。") % {
        "day": visit.visited_on.isoformat(),
        "kind": visit.get_visitor_kind_display(),
        "names": visit.visitors,
    }
    description = "\n".join(part for part in ((problem.description or "").strip(), where) if part)
    try:
        issue = issue_report(
            by=by,
            project=visit.project,
            title=problem.title,
            category=problem.category,
            description=description,
            source=Source.FIELD_SERVICE,
        )
    except NotPermitted:
        raise
    except DomainError as error:
        raise DomainError(
            _("第%(n)s个问题：%(message)s") % {"n": number, "message": " ".join(error.messages)},
            code=error.code,
            field="problems",
        ) from error
    return VisitProblem.objects.create(visit=visit, issue=issue)


@transaction.atomic
def visit_record(
    *,
    by,
    project: Project,
    visited_on: datetime.date | None,
    visitor_kind: str,
    findings: str,
    visitors: str = "",
    problems: tuple[Problem, ...] | list[Problem] = (),
) -> Visit:
    """Record a visit (走访/帮办) and file each problem it raised as an issue ticket linked
    back to it. A refusal of any part — the visit or one of its problems — changes nothing."""
    _in_scope(by, project)
    assignment = assignment_of(project)
    if not may_record(by, project, assignment):
        raise NotPermitted(
            _("只有重大办工作人员或该项目的服务专员可以记录走访。"), code="not_permitted"
        )
    findings = _check_visit(visited_on, visitor_kind, findings)
    visit = Visit.objects.create(
        project=project,
        visited_on=visited_on,
        visitor_kind=visitor_kind,
        visitors=_visitors(visitor_kind, visitors, project, assignment),
        findings=findings,
        recorded_by=by,
    )
    filed = [_file(by, visit, n, problem) for n, problem in enumerate(problems, start=1)]
    publish(
        "visit.record",
        visit,
        project_id=project.pk,
        region=project.region_id,
        units=(project.unit_id,),
        actor=by,
        payload={
            "visited_on": visited_on.isoformat(),
            "visitor_kind": visitor_kind,
            "visitors": visit.visitors,
            "issues": [row.issue_id for row in filed],
        },
    )
    return visit
