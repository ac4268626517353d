"""Demo monthly forms written as history: a month's form as decided (:class:`Form`), then the
rows and the workflow events it leaves, each with the times it happened rather than now.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from progress import services
from progress.models import MonthlyReport, ProgressAction, ProgressEvent, ReportStatus
from projects.models import Project


@dataclass
class Form:
    """One month's form, decided before anything is written."""

    project: Project
    period: str
    amount: Decimal
    ytd: Decimal = Decimal(0)
    progress: str = ""
    percent: Decimal | None = None
    new_stage: str = ""
    stage_date: datetime.date | None = None
    status: str = ReportStatus.APPROVED
    last: bool = False  # the project's latest month written here
    steps: list = field(default_factory=list)  # (action, actor, moment, comment)

    def values(self) -> dict:
        return {
            "investment_this_month": self.amount,
            "physical_progress": self.progress,
            "percent_complete": self.percent,
            "new_stage": self.new_stage,
            "stage_date": self.stage_date,
        }


@contextmanager
def _own_timestamps(model):
    """Bulk-write rows with the creation and change times set on them (history), not now."""
    fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    fields += [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def write_forms(forms: list[Form]) -> list[MonthlyReport]:
    """Write forms as history after the services' own checks: every form with a stage
    change and every project's latest month (whose check of this year's cumulative covers
    the months before it); the others are non-negative by construction."""
    for form in forms:
        if form.new_stage or form.last:
            services.clean_values(form.project, form.period, form.values())
    reports = []
    for form in forms:
        steps = {action: (actor, at) for action, actor, at, _c in form.steps}
        created_by, created_at = steps[ProgressAction.CREATE]
        report = MonthlyReport(
            project=form.project,
            period=form.period,
            investment_this_month=form.amount,
            investment_ytd=form.ytd,
            physical_progress=form.progress,
            percent_complete=form.percent,
            new_stage=form.new_stage,
            stage_date=form.stage_date,
            status=form.status,
            created_by=created_by,
        )
        if ProgressAction.SUBMIT in steps:
            report.submitted_by, report.submitted_at = steps[ProgressAction.SUBMIT]
        if ProgressAction.APPROVE in steps:
            report.approved_by, report.approved_at = steps[ProgressAction.APPROVE]
        reports.append(report)
    for form, report in zip(forms, reports, strict=True):
        report.created_at = form.steps[0][2]
        report.updated_at = form.steps[-1][2]
    with _own_timestamps(MonthlyReport):
        MonthlyReport.objects.bulk_create(reports, batch_size=500)
    events = []
    for form, report in zip(forms, reports, strict=True):
        status = ""
        for action, actor, at, comment in form.steps:
            after = {
                ProgressAction.CREATE: ReportStatus.DRAFT,
                ProgressAction.SUBMIT: ReportStatus.SUBMITTED,
                ProgressAction.APPROVE: ReportStatus.APPROVED,
            }[action]
            # the history follows the workflow: create, submit from a draft, approve a
            # submitted form
            assert (action, status) in (
                (ProgressAction.CREATE, ""),
                (ProgressAction.SUBMIT, ReportStatus.DRAFT),
                (ProgressAction.APPROVE, ReportStatus.SUBMITTED),
            ), (action, status)
            events.append(
                ProgressEvent(
                    report=report,
                    action=action,
                    from_status=status,
                    to_status=after,
                    actor=actor,
                    at=at,
                    comment=comment,
                )
            )
            status = after
    ProgressEvent.objects.bulk_create(events, batch_size=1000)
    return reports
