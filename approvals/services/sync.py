"""The bulk sync of the online approval platform: all or nothing, following the platform's own
state; every change is an event (``approval.sync``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError, NotPermitted
from projects.codes import normalize_project_code
from projects.models import Project
from schedule.workdays import current_calendar

from ..models import (
    DECIDED_STATUSES,
    RUNNING_STATUSES,
    Approval,
    ApprovalKind,
    ApprovalStatus,
)
from .figures import _fix_dates
from .records import default_authority, default_unit
from .workflow import WORKFLOW, _finish_milestone

S = ApprovalStatus

# --- sync from the online approval platform --------------------------------------------------

SYNC_FIELDS = ("submitted_on", "accepted_on", "decided_on", "document_no")


class SyncRefused(DomainError):
    """A sync batch with errors: nothing was written. ``rows`` maps row index → field errors."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        super().__init__(
            _("同步数据有%(count)d行错误，全部未写入，请修正后重新推送。") % {"count": len(rows)},
            code="sync_rejected",
        )


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _sync_row_errors(
    row: dict, projects: dict, kinds: dict, existing: dict, today
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    code = normalize_project_code(row.get("project_code") or "")
    if not code:
        add("project_code", _("请提供项目代码。"))
    elif code not in projects:
        add(
            "project_code",
            _("项目代码“%(code)s”不在项目库中或不在您的管辖范围内。") % {"code": code},
        )
    if row.get("kind") not in kinds:
        add("kind", _("未知的审批类型“%(kind)s”。") % {"kind": row.get("kind")})
    status = row.get("status")
    if status not in S.values:
        add("status", _("未知的审批状态“%(status)s”。") % {"status": status})
        return errors
    _date_errors(row, status, today, add)
    if status == S.APPROVED and not (row.get("document_no") or "").strip():
        add("document_no", _("已批复的事项须提供批复文号。"))
    project, kind = projects.get(code), kinds.get(row.get("kind"))
    if project is not None and kind is not None:
        current = existing.get((project.pk, kind.code))
        if current is not None and current.status == S.APPROVED and status != S.APPROVED:
            add(
                "status",
                _("该事项已批复，不能由同步改回“%(status)s”。") % {"status": S(status).label},
            )
        if current is None and default_unit(project, kind, default_authority(project)) is None:
            add("kind", _("找不到该审批类型的办理单位，请先在平台登记该审批事项。"))
    return errors


def _date_errors(row: dict, status: str, today, add) -> None:
    """The dates a row of ``status`` must and must not carry, and their order."""
    submitted, accepted, decided = (
        row.get(f) for f in ("submitted_on", "accepted_on", "decided_on")
    )
    needs = {
        "submitted_on": status in (S.SUBMITTED, *RUNNING_STATUSES, *DECIDED_STATUSES),
        "accepted_on": status in (*RUNNING_STATUSES, *DECIDED_STATUSES),
        "decided_on": status in DECIDED_STATUSES,
    }
    for field, needed in needs.items():
        value = row.get(field)
        if needed and value is None:
            add(field, _("状态为“%(status)s”时必须提供该日期。") % {"status": S(status).label})
        if not needed and value is not None and field != "submitted_on":
            add(field, _("状态为“%(status)s”时不应有该日期。") % {"status": S(status).label})
        if value is not None and value > today:
            add(field, _("日期不能晚于今天。"))
    if submitted and accepted and accepted < submitted:
        add("accepted_on", _("受理日期不能早于申报日期。"))
    if accepted and decided and decided < accepted:
        add("decided_on", _("批复日期不能早于受理日期。"))


@transaction.atomic
def approval_sync(*, by, rows: list[dict]) -> SyncResult:
    """Upsert the platform's approvals on (project code, kind); all or nothing. A batch sent
    twice changes nothing the second time."""
    if not by.can_edit_library:
        raise NotPermitted(_("您没有同步审批数据的权限。"), code="not_permitted")
    codes = {normalize_project_code(row.get("project_code") or "") for row in rows}
    projects = {
        p.code: p
        for p in Project.objects.for_user(by)
        .filter(code__in=codes)
        .select_related("region", "unit")
    }
    kinds = {kind.code: kind for kind in ApprovalKind.objects.all()}
    existing = {
        (a.project_id, a.kind_id): a
        for a in Approval.objects.select_for_update().filter(project__in=projects.values())
    }
    today = timezone.localdate()
    errors = {}
    seen = {}
    for index, row in enumerate(rows):
        row_errors = _sync_row_errors(row, projects, kinds, existing, today)
        key = (normalize_project_code(row.get("project_code") or ""), row.get("kind"))
        if key in seen:
            row_errors.setdefault("kind", []).append(
                _("与第%(row)d行重复（同一项目同一审批类型）。") % {"row": seen[key] + 1}
            )
        seen[key] = index
        if row_errors:
            errors[index] = row_errors
    if errors:
        raise SyncRefused(errors)

    result = SyncResult()
    calendar = current_calendar()
    for row in rows:
        project = projects[normalize_project_code(row["project_code"])]
        kind = kinds[row["kind"]]
        approval = Approval.objects.select_for_update().filter(project=project, kind=kind).first()
        created = approval is None
        if created:
            authority = default_authority(project)
            approval = Approval(
                project=project,
                kind=kind,
                authority_level=authority,
                unit=default_unit(project, kind, authority),
                promised_days=kind.promised_days,
            )
        incoming = {field: row.get(field) for field in SYNC_FIELDS}
        incoming["document_no"] = (incoming["document_no"] or approval.document_no or "").strip()
        current = {field: getattr(approval, field) for field in SYNC_FIELDS}
        if not created and approval.status == row["status"] and current == incoming:
            result.unchanged += 1
            continue
        before = approval.status
        approval.status = row["status"]
        for field, value in incoming.items():
            setattr(approval, field, value)
        _fix_dates(approval, calendar)
        approval.save()
        WORKFLOW.record(
            approval,
            "sync",
            by,
            before={"status": before},
            comment=_("在线审批平台同步"),
            date=row.get("decided_on") or row.get("accepted_on") or row.get("submitted_on"),
            synced=True,
        )
        _finish_milestone(approval, by)
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result
