"""Saving a form and its workflow steps: draft → submitted (the county) → approved, locked (the
city or province office); submitted → returned with a comment → edited → submitted again;
approved → returned again only by an office reopening it with a reason. Every step goes
through :data:`WORKFLOW` and records a ``ProgressEvent``."""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import DomainError, NotPermitted
from core.workflow import Action, Required, Workflow, about_project
from issues import services as issue_services
from issues.models import Category as IssueCategory
from issues.models import Source
from projects import services as project_services
from projects.models import Project, Stage

from ..models import (
    EDITABLE,
    MonthlyReport,
    ProgressAction,
    ProgressEvent,
    ReportStatus,
    active_projects,
    month_label,
)
from .rules import (
    FILER_ROLES,
    INPUT_FIELDS,
    _clean,
    _own_submission,
    _year_total_without,
    check_period,
    clean_values,
    in_scope,
    may_review,
    year_of,
)

# --- writing --------------------------------------------------------------------------------


def _event(report, action, by, before: str, comment: str = "") -> None:
    WORKFLOW.record(report, action, by, before={"status": before}, comment=comment)


def recompute_ytd(project: Project, year: str | int) -> None:
    """``investment_ytd`` of each month of a project's year: that month plus the earlier ones."""
    running = Decimal(0)
    changed = []
    reports = MonthlyReport.objects.filter(project=project, period__startswith=f"{year}-")
    for report in reports.order_by("period"):
        running += report.investment_this_month
        if report.investment_ytd != running:
            report.investment_ytd = running
            changed.append(report)
    MonthlyReport.objects.bulk_update(changed, ["investment_ytd"])


def _check_filer(project: Project, by) -> None:
    if not in_scope(project, by):
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )
    if not by.has_role(*FILER_ROLES):
        raise NotPermitted(_("您没有填报月度进展的权限。"), code="not_permitted")


def _unknown_fields(data: dict) -> None:
    unknown = set(data) - set(INPUT_FIELDS)
    if unknown:
        raise DomainError(
            _("以下字段不能填写：%(fields)s。") % {"fields": "、".join(sorted(unknown))},
            code="field_read_only",
        )


def _later_approved(project_id: int, period: str) -> str | None:
    """The latest month after ``period`` in the same year whose form is approved, if any."""
    return (
        MonthlyReport.objects.filter(
            project_id=project_id,
            period__startswith=period[:5],
            period__gt=period,
            status=ReportStatus.APPROVED,
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


def _later_approved_many(project_ids, period: str) -> dict[int, str]:
    rows = (
        MonthlyReport.objects.filter(
            project_id__in=project_ids,
            period__gt=period,
            period__lte=year_of(period)["period__lte"],
            status=ReportStatus.APPROVED,
        )
        .values("project_id")
        .annotate(latest=Max("period"))
        .values_list("project_id", "latest")
    )
    return dict(rows)


def _history_locked(project: Project, period: str, later: str) -> DomainError:
    return DomainError(
        _(
            "%(project)s %(later)s的进展已审核通过，不能再填报或修改更早的%(period)s；"
            "如需更正，请重大办从最近的月份起依次重新打开。"
        )
        % {"project": project.name, "later": later, "period": period},
        code="later_month_approved",
    )


def _decide(
    project, period, data, report, year_total_without, active, later_approved=lambda: None
) -> tuple[str, dict]:
    """What saving ``data`` on ``report`` (None: no form yet) comes to, once the project and
    the form are locked: ``("created", values)``, ``("updated", changed values)`` or
    ``("unchanged", {})``; raises ValidationError / DomainError when it may not be saved.
    ``year_total_without``, ``active`` and ``later_approved`` are called only when needed
    (each may query). A month before an approved month of the same year is history: it
    may no longer be created or changed, so what was approved cannot drift."""
    _unknown_fields(data)
    if report is not None and not report.editable:
        try:
            values = _clean(
                project, period, {**_values(report), **data}, report, year_total_without
            )
        except ValidationError:
            values = None  # different from what was filed, whatever is wrong with it
        if values is not None and all(
            getattr(report, name) == value for name, value in values.items()
        ):
            return "unchanged", {}  # the same figures again (e.g. a file uploaded twice)
        raise DomainError(
            _("%(project)s %(period)s的进展%(status)s，不能修改。")
            % {"project": project.name, "period": period, "status": report.get_status_display()},
            code="report_locked",
        )
    if report is None and not active():
        raise DomainError(
            _("项目“%(name)s”不在月度调度范围内（须已入库，处于签约至投产之间的阶段）。")
            % {"name": project.name},
            code="project_not_active",
            field="project",
        )
    merged = {**(_values(report) if report else {}), **data}
    values = _clean(project, period, merged, report, year_total_without)
    changed = (
        values
        if report is None
        else {name: value for name, value in values.items() if getattr(report, name) != value}
    )
    if not changed:
        return "unchanged", {}
    later = later_approved()
    if later:
        raise _history_locked(project, period, later)
    return ("created", values) if report is None else ("updated", changed)


def _first_action(action: str) -> str:
    return ProgressAction.IMPORT if action == ProgressAction.IMPORT else ProgressAction.CREATE


@transaction.atomic
def report_save(
    *, project: Project, period: str, by, action: str = ProgressAction.UPDATE, **data
) -> tuple[MonthlyReport, str]:
    """Create or change the form of ``project`` for ``period`` while the county may still
    change it. Answers the form and ``"created"``, ``"updated"`` or ``"unchanged"``."""
    period = check_period(period)
    _check_filer(project, by)
    _unknown_fields(data)
    project = Project.objects.select_for_update().get(pk=project.pk)
    report = (
        MonthlyReport.objects.select_for_update().filter(project=project, period=period).first()
    )
    outcome, values = _decide(
        project,
        period,
        data,
        report,
        partial(_year_total_without, project, period),
        lambda: active_projects().filter(pk=project.pk).exists(),
        partial(_later_approved, project.pk, period),
    )
    if outcome == "unchanged":
        return report, outcome
    if outcome == "created":
        report = MonthlyReport(project=project, period=period, created_by=by, **values)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError as clash:
            # The project row is locked above, so only a writer that skipped the lock gets here.
            raise DomainError(
                _("该项目本月进展已由他人填报，请刷新后再试。"), code="report_exists"
            ) from clash
        _event(report, _first_action(action), by, "")
    else:
        for name, value in values.items():
            setattr(report, name, value)
        report.save()
        _event(report, action, by, report.status)
    recompute_ytd(project, period[:4])
    report.refresh_from_db(fields=["investment_ytd"])
    return report, outcome


def _values(report: MonthlyReport) -> dict:
    return {name: getattr(report, name) for name in INPUT_FIELDS}


def _locked(report: MonthlyReport) -> MonthlyReport:
    """The form, locked for a workflow step. Every writer locks the project first and then
    the form (as report_save does), so two writers of the same form queue instead of
    deadlocking; only the form's own row is locked, not its project's region."""
    list(Project.objects.select_for_update().filter(pk=report.project_id).values_list("pk"))
    return (
        MonthlyReport.objects.select_for_update(of=("self",))
        .select_related("project", "project__region")
        .get(pk=report.pk)
    )


def _files(report: MonthlyReport, user) -> bool:
    _check_filer(report.project, user)
    return True


def _reviews(report: MonthlyReport, user) -> bool:
    if not may_review(report, user):
        raise NotPermitted(_("月度进展由项目所在地的市级或省级重大办审核。"), code="not_permitted")
    return True


def _not_own(report: MonthlyReport, user) -> None:
    if user is not None and _own_submission(report, user):
        raise NotPermitted(_("不能审核本人报送的进展。"), code="own_report")


class EarlierMonthPending(DomainError):
    """审核通过 refused: an earlier month of the same project and year is not yet approved.
    ``period`` is that month (its sheet is where to go first), ``status`` its form's."""

    def __init__(self, report: MonthlyReport, period: str, status: str):
        self.period, self.status = period, status
        super().__init__(
            _("请先审核通过%(earlier)s的月报（该月目前为“%(status)s”），再审核%(this)s的月报。")
            % {
                "earlier": month_label(period),
                "status": ReportStatus(status).label,
                "this": month_label(report.period),
            },
            code="earlier_month_pending",
        )


_UNKNOWN = object()


def _earlier_pending(report: MonthlyReport) -> None:
    """Months are approved in order: refuse while an earlier month of the same project and
    year is not approved. Reads the form's ``earlier_pending`` annotation when it was loaded
    ``with_earlier_pending()`` (a sheet asks it of many forms at once), else asks."""
    period = getattr(report, "earlier_pending", _UNKNOWN)
    status = getattr(report, "earlier_pending_status", None)
    if period is _UNKNOWN:
        found = (
            MonthlyReport.objects.filter(pk=report.pk)
            .with_earlier_pending()
            .values_list("earlier_pending", "earlier_pending_status")
            .get()
        )
        period, status = found
    if period:
        raise EarlierMonthPending(report, period, status)


def _approvable(report: MonthlyReport, user) -> None:
    """审核通过's own conditions, besides who reviews: not one's own submission, and no
    earlier month of the project pending."""
    _not_own(report, user)
    _earlier_pending(report)


def _refusal(report: MonthlyReport, action: Action) -> DomainError:
    return DomainError(
        _("进展当前为“%(status)s”，不能%(action)s。")
        % {"status": report.get_status_display(), "action": action.label},
        code="invalid_transition",
    )


A = ProgressAction
#: the monthly form's workflow: the county files, the city or province office reviews
WORKFLOW = Workflow(
    name="progress",
    model=MonthlyReport,
    states=ReportStatus,
    event_model=ProgressEvent,
    event_subject="report",
    who_first=True,
    refusal=_refusal,
    unknown=("invalid_action", gettext_lazy("未知的操作。")),
    lock=_locked,
    context=lambda report: about_project(report.project),
    stamps={ReportStatus.SUBMITTED: "submitted_at", ReportStatus.APPROVED: "approved_at",
            ReportStatus.RETURNED: "returned_at"},
    actions=[
        Action(A.SUBMIT, A.SUBMIT.label, frozenset(EDITABLE), ReportStatus.SUBMITTED,
               who=_files),
        Action(A.APPROVE, A.APPROVE.label, frozenset({ReportStatus.SUBMITTED}),
               ReportStatus.APPROVED, who=_reviews, check=_approvable),
        Action(A.RETURN, A.RETURN.label, frozenset({ReportStatus.SUBMITTED}),
               ReportStatus.RETURNED, who=_reviews,
               requires=(Required("comment", gettext_lazy("退回时请写明需要修改的内容。"),
                                  "comment_required"),)),
        Action(A.REOPEN, A.REOPEN.label, frozenset({ReportStatus.APPROVED}),
               ReportStatus.RETURNED, who=_reviews,
               requires=(Required("reason", gettext_lazy("重新打开已审核的进展必须填写原因。"),
                                  "reason_required"),)),
    ],
)  # fmt: skip


def allowed_actions(report: MonthlyReport, user) -> list[str]:
    """The workflow steps this user may take on this form now (for pages and the API)."""
    return WORKFLOW.allowed_actions(report, user)


def report_submit(*, report: MonthlyReport, by) -> MonthlyReport:
    """报送: the county sends the form for review. Problems written on it become an issue
    ticket of the project (once per form)."""

    def change(report: MonthlyReport, values: dict) -> None:
        clean_values(report.project, report.period, _values(report), report)
        if not report.physical_progress:
            raise ValidationError({"physical_progress": [_("报送前请填写形象进度。")]})
        report.submitted_by = by
        if report.problems and report.issue_id is None:
            report.issue = _problem_ticket(report, by)

    return WORKFLOW.perform(report, A.SUBMIT, by, change=change)


def _problem_ticket(report: MonthlyReport, by):
    first_line = report.problems.splitlines()[0].strip()
    title = _("%(period)s月报反映：%(text)s") % {"period": report.period, "text": first_line}
    return issue_services.issue_report(
        by=by,
        project=report.project,
        title=title[:120],
        category=report.problem_category or IssueCategory.OTHER,
        description=report.problems,
        source=Source.COUNTY,
        external_id=f"progress-{report.pk}",
    )


@transaction.atomic
def report_approve(*, report: MonthlyReport, by, comment: str = "") -> MonthlyReport:
    """审核通过: the form is locked; a stage change on it moves the project through the stage
    service; this year's completed investment of the project follows the latest month."""

    def change(report: MonthlyReport, values: dict) -> None:
        project = report.project
        if report.new_stage and Stage.order(project.stage) < Stage.order(report.new_stage):
            project_services.project_transition(
                project=project, stage=report.new_stage, date=report.stage_date, by=by
            )
        report.approved_by = by
        report.review_comment = comment.strip()

    report = WORKFLOW.perform(report, A.APPROVE, by, change=change, comment=comment.strip())
    _follow_investment(report, by)
    return report


def _follow_investment(report: MonthlyReport, by) -> None:
    """The project's 本年完成投资 is the sum of its approved months of the current year (only
    reviewed figures reach the library); 累计完成投资 moves by the same difference."""
    year = str(timezone.localdate().year)
    if report.period[:4] != year:
        return
    approved = MonthlyReport.objects.filter(
        project_id=report.project_id,
        period__startswith=f"{year}-",
        status=ReportStatus.APPROVED,
    ).aggregate(total=Sum("investment_this_month"))["total"] or Decimal(0)
    project = Project.objects.select_for_update().get(pk=report.project_id)
    if project.completed_investment_year == approved:
        return
    delta = approved - project.completed_investment_year
    project_services.project_update(
        project=project,
        by=by,
        completed_investment_year=approved,
        completed_investment_total=max(Decimal(0), project.completed_investment_total + delta),
    )


def report_return(*, report: MonthlyReport, by, comment: str) -> MonthlyReport:
    """退回: the office sends the form back to the county with what to correct."""

    def change(report: MonthlyReport, values: dict) -> str:
        report.returned_by = by
        report.review_comment = values["comment"]
        return values["comment"]

    return WORKFLOW.perform(report, A.RETURN, by, data={"comment": comment}, change=change)


@transaction.atomic
def report_reopen(*, report: MonthlyReport, by, reason: str) -> MonthlyReport:
    """重新打开: an approved form goes back to the county, with the office's reason kept on
    the record. A stage change already applied stays; undoing it is a stage correction."""

    def change(report: MonthlyReport, values: dict) -> str:
        later = _later_approved(report.project_id, report.period)
        if later:
            raise DomainError(
                _("该项目%(later)s的进展已审核通过，请先重新打开%(later)s，再重新打开%(this)s。")
                % {"later": later, "this": report.period},
                code="later_month_approved",
            )
        report.returned_by = by
        report.review_comment = values["reason"]
        return values["reason"]

    report = WORKFLOW.perform(report, A.REOPEN, by, data={"reason": reason}, change=change)
    _follow_investment(report, by)
    return report


@dataclass
class MonthApproval:
    """What 全部审核通过 did: the forms approved, in the order they were, and the forms left
    as they were, each with the refusal it met (``(form, refusal)``)."""

    approved: list[MonthlyReport] = field(default_factory=list)
    skipped: list[tuple[MonthlyReport, DomainError]] = field(default_factory=list)


def month_approve(*, region, period: str, by) -> MonthApproval:
    """全部审核通过 on a region's month: every submitted form of the month (projects
    registered in the region) and, before them, the submitted forms of the same projects'
    earlier months of the year that hold them back — month by month, earlier first, so a
    project whose October and November both wait is approved in both.

    Each form is approved on its own (its own transaction, through ``report_approve``): a
    form refused — an earlier month not submitted, the reviewer's own submission, … — is
    skipped with its reason, and the forms after it go on; a later month of a project whose
    earlier month was refused is refused by the same check and skipped too."""
    mine = MonthlyReport.objects.for_user(by).filter(
        project__region=region, status=ReportStatus.SUBMITTED
    )
    this_month = mine.filter(period=period)
    reports = (
        mine.filter(
            period__lte=period,
            period__startswith=period[:5],
            project_id__in=this_month.values("project_id"),
        )
        .with_related()
        .order_by("period", "project_id")
    )
    done = MonthApproval()
    for report in reports:
        try:
            done.approved.append(report_approve(report=report, by=by))
        except DomainError as refused:
            done.skipped.append((report, refused))
    return done


def review_steps(reports, user) -> dict[int, tuple[list[str], DomainError | None]]:
    """For the forms of one region's month in ``user``'s scope (a sheet): per form id, the
    workflow steps ``user`` may take now and — for a submitted form the user reviews but may
    not approve yet — the refusal 审核通过 would meet (the step's own check, so a page shows
    the reason instead of a button that would fail).

    Who reviews is the same for every form of one region, so the steps are asked once per
    kind of form (its status, whether ``user`` submitted it, the earlier month pending — load
    the forms ``with_earlier_pending()``), not once per form."""
    found: dict[tuple, tuple[list[str], DomainError | None]] = {}
    answers = {}
    approve = WORKFLOW.action(A.APPROVE)
    for report in reports:
        key = (
            report.status,
            report.submitted_by_id == user.pk,
            getattr(report, "earlier_pending", None),
            getattr(report, "earlier_pending_status", None),
        )
        if key not in found:
            allowed = WORKFLOW.allowed_actions(report, user)
            blocked = None
            if A.APPROVE not in allowed and A.RETURN in allowed:
                try:
                    approve.check(report, user)
                except DomainError as refused:
                    blocked = refused
            found[key] = (allowed, blocked)
        answers[report.pk] = found[key]
    return answers


def report_act(*, report: MonthlyReport, action: str, by, **data) -> MonthlyReport:
    """One workflow step by name (pages and API actions)."""
    WORKFLOW.action(action)  # refuses an unknown action
    steps = {
        A.SUBMIT: lambda: report_submit(report=report, by=by),
        A.APPROVE: lambda: report_approve(report=report, by=by, comment=data.get("comment", "")),
        A.RETURN: lambda: report_return(report=report, by=by, comment=data.get("comment", "")),
        A.REOPEN: lambda: report_reopen(report=report, by=by, reason=data.get("reason", "")),
    }
    return steps[action]()
