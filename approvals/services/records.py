"""Registering and editing approvals (the library's editors and the handling departments)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.exceptions import DomainError, NotPermitted
from projects.models import Project, Tier
from schedule.services import HANDLER_KEYWORDS
from schedule.workdays import current_calendar

from ..models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    AuthorityLevel,
)
from .figures import _fix_dates
from .workflow import may_edit

S = ApprovalStatus

EDITABLE_FIELDS = frozenset(
    {
        "unit",
        "authority_level",
        "promised_days",
        "planned_submission_on",
        "fixed_target_on",
        "document_no",
        "specialist",
        "note",
    }
)


#: fields the handling department may not change on its own approvals
OFFICE_ONLY_FIELDS = frozenset({"unit", "authority_level", "promised_days", "fixed_target_on"})


# --- create and edit ------------------------------------------------------------------------


def default_authority(project: Project) -> str:
    if project.tier in (Tier.PROVINCIAL_IMPLEMENTATION, Tier.PROVINCIAL_RESERVE):
        return AuthorityLevel.PROVINCE
    return {"province": AuthorityLevel.PROVINCE, "city": AuthorityLevel.CITY}.get(
        project.region.level, AuthorityLevel.COUNTY
    )


def default_unit(project: Project, kind: ApprovalKind, authority_level: str) -> Unit | None:
    """The department of the kind's handler at the authority's level (or the nearest one
    above it), else the office there."""
    chain = project.region.lineage()  # county, city, province
    start = {AuthorityLevel.COUNTY: 0, AuthorityLevel.CITY: 1}.get(authority_level, 2)
    levels = chain[min(start, len(chain) - 1) :] if len(chain) > 1 else chain
    keyword = HANDLER_KEYWORDS.get(kind.handler, "")
    units = list(
        Unit.objects.filter(region_id__in=levels, kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE])
    )
    units.sort(key=lambda unit: levels.index(unit.region_id))
    for unit in units:
        if unit.kind == Unit.Kind.DEPARTMENT and keyword and keyword in unit.name:
            return unit
    return next((unit for unit in units if unit.kind == Unit.Kind.OFFICE), None)


def _check_writer(by, project: Project) -> None:
    if not by.can_edit_library:
        raise NotPermitted(_("您没有登记审批事项的权限。"), code="not_permitted")
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )


def _check_fields(approval: Approval) -> None:
    if approval.unit.kind == Unit.Kind.ENTERPRISE:
        raise DomainError(_("办理单位应为审批部门。"), code="invalid_unit", field="unit")
    lineage = approval.project.region.lineage()
    if approval.unit.region_id not in lineage:
        raise DomainError(
            _("办理单位应为项目所在县（市、区）、设区市或省级的部门。"),
            code="unit_out_of_scope",
            field="unit",
        )
    specialist = approval.specialist
    if specialist is not None and not (
        specialist.unit_id == approval.unit_id or specialist.region_id in lineage
    ):
        raise DomainError(
            _("服务专员应为办理单位或项目所在地区的工作人员。"),
            code="specialist_out_of_scope",
            field="specialist",
        )
    if approval.promised_days is None or approval.promised_days > 365:
        raise DomainError(
            _("承诺时限应为0至365个工作日。"), code="invalid_promise", field="promised_days"
        )
    if approval.authority_level not in AuthorityLevel.values:
        raise DomainError(_("未知的审批层级。"), code="invalid_level", field="authority_level")


@transaction.atomic
def approval_create(
    *,
    by,
    project: Project,
    kind: ApprovalKind,
    unit: Unit | None = None,
    authority_level: str = "",
    promised_days: int | None = None,
    **fields,
) -> Approval:
    """Register an approval a project needs (one per kind), with the kind's defaults."""
    _check_writer(by, project)
    if Approval.objects.filter(project=project, kind=kind).exists():
        raise DomainError(
            _("该项目已登记“%(kind)s”审批事项。") % {"kind": kind.name},
            code="approval_exists",
            field="kind",
        )
    approval = new_approval(
        project=project,
        kind=kind,
        unit=unit,
        authority_level=authority_level,
        promised_days=promised_days,
        **fields,
    )
    approval.save()
    return approval


def new_approval(
    *,
    project: Project,
    kind: ApprovalKind,
    unit: Unit | None = None,
    authority_level: str = "",
    promised_days: int | None = None,
    **fields,
) -> Approval:
    """The approval :func:`approval_create` registers, with the kind's defaults and checked, not
    saved yet: for callers that write many at once (the demo data)."""
    unknown = fields.keys() - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown approval fields: {sorted(unknown)}")
    authority_level = authority_level or default_authority(project)
    unit = unit or default_unit(project, kind, authority_level)
    if unit is None:
        raise DomainError(_("请指定办理单位。"), code="required", field="unit")
    approval = Approval(
        project=project,
        kind=kind,
        unit=unit,
        authority_level=authority_level,
        promised_days=kind.promised_days if promised_days is None else promised_days,
        **fields,
    )
    _check_fields(approval)
    return approval


@transaction.atomic
def approval_update(*, approval: Approval, by, **fields) -> Approval:
    """Edit what is not the status (the status changes only through transitions)."""
    unknown = fields.keys() - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown approval fields: {sorted(unknown)}")
    locked = (
        Approval.objects.select_for_update(of=("self",))
        .select_related("kind", "unit", "project__region")
        .get(pk=approval.pk)
    )
    if not may_edit(locked, by):
        raise NotPermitted(_("您没有修改该审批事项的权限。"), code="not_permitted")
    if fields.keys() & OFFICE_ONLY_FIELDS and not by.can_edit_library:
        # The department does not set its own promise, target or who handles it.
        raise NotPermitted(
            _("承诺时限、限定日期、办理单位和审批层级由重大办登记，办理部门不能修改。"),
            code="not_permitted",
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_fields(locked)
    _fix_dates(locked, current_calendar())
    locked.save()
    return locked
