"""Writes to the monthly forms (SPEC §8). Pages, the API, the Excel import and the demo all
call these; every step checks who may take it and records a ``ProgressEvent``.

Draft → submitted (the county) → approved, locked (the city or province office)
                              ↘ returned with a comment → edited → submitted again
Approved → returned again only by an office reopening it with a reason.
"""

import datetime
import operator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role
from core.exceptions import DomainError, NotPermitted
from core.workflow import Action, Required, Workflow
from issues import services as issue_services
from issues.models import Category as IssueCategory
from issues.models import Source
from projects import services as project_services
from projects.models import STAGE_DATE_FIELDS, Project, Stage

from .models import (
    ACTIVE_STAGES,
    EDITABLE,
    PERIOD_RE,
    REPORTABLE_STAGES,
    MonthlyReport,
    ProgressAction,
    ProgressEvent,
    ReportStatus,
    active_projects,
    period_bounds,
    period_of,
)

#: what a filer writes; everything else is derived or set by the workflow
INPUT_FIELDS = (
    "investment_this_month",
    "physical_progress",
    "percent_complete",
    "new_stage",
    "stage_date",
    "problems",
    "problem_category",
)
FILER_ROLES = (Role.Code.COUNTY_FILER, Role.Code.OFFICE_STAFF, Role.Code.API_CLIENT)
REVIEW_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY)


# --- who may do what ------------------------------------------------------------------------


def in_scope(project: Project, user) -> bool:
    return Project.objects.for_user(user).filter(pk=project.pk).exists()


def may_file(project: Project, user) -> bool:
    """County filers, offices and API clients file the forms of the projects in their scope."""
    return user.has_role(*FILER_ROLES) and in_scope(project, user)


def may_review(report: MonthlyReport, user) -> bool:
    """The city or province office over the project approves, returns and reopens."""
    if not in_scope(report.project, user):
        return False
    if user.sees_everything:
        return True
    return (
        user.is_office_staff
        and user.region_id is not None
        and user.region.level in REVIEW_LEVELS
        and user.region_id != report.project.region_id
    )


def _own_submission(report: MonthlyReport, user) -> bool:
    """Nobody approves a form they submitted themselves (a system administrator aside)."""
    return report.submitted_by_id == user.pk and not user.sees_everything


def allowed_actions(report: MonthlyReport, user) -> list[str]:
    """The workflow steps this user may take on this form now (for pages and the API)."""
    return WORKFLOW.allowed_actions(report, user)


# --- validation -----------------------------------------------------------------------------


def check_period(period: str, today: datetime.date | None = None) -> str:
    period = (period or "").strip()
    if not PERIOD_RE.match(period):
        raise DomainError(
            _("月份格式应为 YYYY-MM，例如 2026-11。"), code="invalid_period", field="period"
        )
    today = today or timezone.localdate()
    if period > period_of(today):
        raise DomainError(
            _("不能填报未来月份（%(period)s）的进展。") % {"period": period},
            code="future_period",
            field="period",
        )
    return period


def _decimal(value, field: str, label: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("%(label)s应为数字。") % {"label": label})
        return None
    if not number.is_finite():
        errors.setdefault(field, []).append(_("%(label)s应为数字。") % {"label": label})
        return None
    try:
        return number.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than a decimal holds (e.g. 1e30 typed in Excel)
        errors.setdefault(field, []).append(_("%(label)s数值过大。") % {"label": label})
        return None


def _year_total_without(project: Project, period: str) -> Decimal:
    """This year's other months, as filed so far."""
    year = period[:4]
    return MonthlyReport.objects.filter(project=project, period__startswith=f"{year}-").exclude(
        period=period
    ).aggregate(total=Sum("investment_this_month"))["total"] or Decimal(0)


def _year_months(project_ids, period: str) -> dict[int, list[tuple[str, Decimal]]]:
    """The months of ``period``'s year filed so far for each project, in order (one query)."""
    months: dict[int, list[tuple[str, Decimal]]] = {}
    rows = (
        MonthlyReport.objects.filter(project_id__in=project_ids, period__startswith=period[:5])
        .order_by("project_id", "period")
        .values_list("project_id", "period", "investment_this_month")
    )
    for project_id, month, amount in rows:
        months.setdefault(project_id, []).append((month, amount))
    return months


def _total_without(months: list[tuple[str, Decimal]], period: str) -> Decimal:
    return sum((amount for month, amount in months if month != period), Decimal(0))


def clean_values(project: Project, period: str, data: dict, current: MonthlyReport | None = None):
    """Check a form's values for ``project`` and ``period``; return them cleaned, or raise a
    ValidationError naming every field that is wrong (in Chinese)."""
    return _clean(project, period, data, current, partial(_year_total_without, project, period))


def clean_many(period: str, forms: dict[int, tuple[Project, dict]]) -> dict[int, dict]:
    """Check the forms of many projects for one month at once, in one query: ``forms`` maps a
    project id to ``(project, data)``; answers ``{project_id: {field: [messages]}}`` for the
    forms that fail (as ``clean_values`` would name them)."""
    months = _year_months(list(forms), period)
    errors = {}
    for project_id, (project, data) in forms.items():
        other_months = partial(_total_without, months.get(project_id, []), period)
        try:
            _clean(project, period, data, None, other_months)
        except ValidationError as error:
            errors[project_id] = error.message_dict
    return errors


def _clean(project, period, data, current, year_total_without) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}

    money = _decimal(
        data.get("investment_this_month"), "investment_this_month", _("本月完成投资"), errors
    )
    if money is not None and money < 0:
        errors.setdefault("investment_this_month", []).append(_("本月完成投资不能为负数。"))
    values["investment_this_month"] = money if money is not None else Decimal("0.00")

    percent = _decimal(
        data.get("percent_complete"), "percent_complete", _("工程完成百分比"), errors
    )
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        errors.setdefault("percent_complete", []).append(_("工程完成百分比应在0到100之间。"))
    values["percent_complete"] = percent

    values["physical_progress"] = str(data.get("physical_progress") or "").strip()
    values["problems"] = str(data.get("problems") or "").strip()
    category = str(data.get("problem_category") or "").strip()
    if category and category not in IssueCategory.values:
        errors.setdefault("problem_category", []).append(_("未知的问题类别。"))
    values["problem_category"] = category if values["problems"] else ""
    if values["problems"] and not values["problem_category"]:
        values["problem_category"] = IssueCategory.OTHER

    if "investment_this_month" not in errors and money is not None:
        year_total = year_total_without() + values["investment_this_month"]
        if year_total > project.total_investment:
            errors.setdefault("investment_this_month", []).append(
                _("本年累计完成投资（%(ytd)s万元）不能超过项目总投资（%(total)s万元）。")
                % {"ytd": f"{year_total:,.2f}", "total": f"{project.total_investment:,.2f}"}
            )

    _clean_stage(project, period, data, values, errors, current)
    if errors:
        raise ValidationError(errors)
    return values


def _clean_stage(project, period, data, values, errors, current) -> None:
    stage = str(data.get("new_stage") or "").strip()
    date = data.get("stage_date") or None
    if isinstance(date, datetime.datetime):
        date = date.date()
    if isinstance(date, str):
        try:
            date = datetime.date.fromisoformat(date.strip())
        except ValueError:
            errors.setdefault("stage_date", []).append(_("阶段日期格式应为 YYYY-MM-DD。"))
            return
    values["new_stage"], values["stage_date"] = stage, date
    if not stage and date is None:
        return
    if stage not in {str(s) for s in REPORTABLE_STAGES}:
        errors.setdefault("new_stage", []).append(
            _("本月进入阶段应为开工、竣工、投产或达效之一。")
            if stage
            else _("请选择本月进入的阶段。")
        )
        return
    if date is None:
        errors.setdefault("stage_date", []).append(
            _("请填写进入“%(stage)s”阶段的日期。") % {"stage": Stage(stage).label}
        )
        return
    first, last = period_bounds(period)
    if not first <= date <= last:
        errors.setdefault("stage_date", []).append(
            _("阶段日期应在本月（%(first)s至%(last)s）内。")
            % {"first": first.isoformat(), "last": last.isoformat()}
        )
    if date > timezone.localdate():
        errors.setdefault("stage_date", []).append(_("阶段日期不能晚于今天。"))
    already = getattr(project, STAGE_DATE_FIELDS[stage]) == date and Stage.order(
        project.stage
    ) >= Stage.order(stage)
    if already:
        return  # this form's change has been applied to the project already
    if Stage.order(project.stage) >= Stage.order(stage):
        errors.setdefault("new_stage", []).append(
            _("项目当前已处于“%(current)s”阶段，不能再报告进入“%(stage)s”。")
            % {"current": Stage(project.stage).label, "stage": Stage(stage).label}
        )
        return
    for earlier, field in STAGE_DATE_FIELDS.items():
        reached = getattr(project, field)
        if Stage.order(earlier) < Stage.order(stage) and reached and date < reached:
            errors.setdefault("stage_date", []).append(
                _("阶段日期不能早于项目“%(stage)s”日期（%(date)s）。")
                % {"stage": Stage(earlier).label, "date": reached.isoformat()}
            )
            break


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
            period__startswith=period[:5],
            period__gt=period,
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
    context=lambda report: {
        "project_id": report.project_id,
        "region": report.project.region_id,
        "units": (report.project.unit_id,),
    },
    stamps={ReportStatus.SUBMITTED: "submitted_at", ReportStatus.APPROVED: "approved_at",
            ReportStatus.RETURNED: "returned_at"},
    actions=[
        Action(A.SUBMIT, A.SUBMIT.label, frozenset(EDITABLE), ReportStatus.SUBMITTED,
               who=_files),
        Action(A.APPROVE, A.APPROVE.label, frozenset({ReportStatus.SUBMITTED}),
               ReportStatus.APPROVED, who=_reviews, check=_not_own),
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


def _earlier_pending(report: MonthlyReport) -> None:
    earlier = (
        MonthlyReport.objects.filter(
            project_id=report.project_id,
            period__startswith=report.period[:5],
            period__lt=report.period,
        )
        .exclude(status=ReportStatus.APPROVED)
        .order_by("period")
        .values_list("period", flat=True)
        .first()
    )
    if earlier:
        raise DomainError(
            _("请先审核该项目本年更早月份（%(period)s）的进展，再审核%(this)s。")
            % {"period": earlier, "this": report.period},
            code="earlier_month_pending",
        )


@transaction.atomic
def report_approve(*, report: MonthlyReport, by, comment: str = "") -> MonthlyReport:
    """审核通过: the form is locked; a stage change on it moves the project through the stage
    service; this year's completed investment of the project follows the latest month."""

    def change(report: MonthlyReport, values: dict) -> None:
        _earlier_pending(report)
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


@transaction.atomic
def month_approve(*, region, period: str, by) -> int:
    """全部审核通过: every submitted form of a region's month (projects registered there), in
    one transaction — any refusal approves none and names the project. Answers the count."""
    reports = (
        MonthlyReport.objects.for_user(by)
        .filter(period=period, project__region=region, status=ReportStatus.SUBMITTED)
        .with_related()
        .order_by("project_id")
    )
    approved = 0
    for report in reports:
        try:
            report_approve(report=report, by=by)
        except DomainError as refused:
            raise type(refused)(
                f"{report.project.name} {refused.messages[0]}",
                code=refused.code,
                field=refused.field,
            ) from refused
        approved += 1
    return approved


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


# --- a county's month at once ----------------------------------------------------------------


@dataclass
class SheetResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    submitted: int = 0
    skipped: int = 0


def _blank(row: dict) -> bool:
    return not any(str(row.get(name) or "").strip() for name in INPUT_FIELDS)


def _row_errors(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {getattr(error, "field", None) or "__all__": error.messages}


@transaction.atomic
def sheet_save(
    *,
    rows: dict[int, dict],
    period: str,
    by,
    submit: bool = False,
    action: str = ProgressAction.UPDATE,
) -> SheetResult:
    """Save (and, with ``submit``, send) the forms of many projects at once: all or nothing.
    ``rows`` maps a project id to its values; rows left blank with no form yet are skipped.
    A ValidationError carries every bad row's errors as ``{project_id: {field: [...]}}``.

    Each row is decided as ``report_save`` decides one form, but the projects are locked
    (in id order, as every writer locks them), the forms read and the year's months summed
    for all rows at once, and the forms written in bulk: a few queries whatever the number
    of rows (a county's Excel import of thousands of rows holds its locks for seconds)."""
    period = check_period(period)
    wanted = list(rows)
    projects = {
        project.pk: project
        for project in Project.objects.for_user(by)
        .filter(pk__in=wanted)
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    files = by.has_role(*FILER_ROLES)
    existing = {
        report.project_id: report
        for report in MonthlyReport.objects.select_for_update().filter(
            project_id__in=list(projects), period=period
        )
    }
    active = set(active_projects().filter(pk__in=list(projects)).values_list("pk", flat=True))
    months = _year_months(list(projects), period)
    later = _later_approved_many(list(projects), period)

    result = SheetResult()
    errors: dict[int, dict] = {}
    decided: list[tuple[Project, MonthlyReport | None, str, dict]] = []
    for project_id, row in rows.items():
        project = projects.get(project_id)
        if project is None:
            errors[project_id] = {"project": [_("所选项目不存在或不在您的管辖范围内。")]}
            continue
        report = existing.get(project_id)
        if report is None and _blank(row):
            result.skipped += 1
            continue
        if not files:
            errors[project_id] = {"__all__": [_("您没有填报月度进展的权限。")]}
            continue
        try:
            outcome, values = _decide(
                project,
                period,
                row,
                report,
                partial(_total_without, months.get(project_id, []), period),
                partial(operator.contains, active, project_id),
                partial(later.get, project_id),
            )
        except ValidationError as error:
            errors[project_id] = _row_errors(error)
            continue
        decided.append((project, report, outcome, values))
    if errors:
        raise SheetErrors(errors)

    reports = _write_sheet(decided, period, by, action, months, result)
    if submit:
        for project_id, report in reports.items():
            if report.status not in EDITABLE:
                continue
            try:
                report_submit(report=report, by=by)
                result.submitted += 1
            except ValidationError as error:
                errors[project_id] = _row_errors(error)
        if errors:
            transaction.set_rollback(True)
            raise SheetErrors(errors)
    return result


def _write_sheet(decided, period, by, action, months, result) -> dict[int, MonthlyReport]:
    """Write the decided forms in bulk, with their events and this year's cumulative."""
    now = timezone.now()
    created, updated, reports, later = [], [], {}, []
    changed_fields: set[str] = set()
    for project, report, outcome, values in decided:
        setattr(result, outcome, getattr(result, outcome) + 1)
        reports[project.pk] = report
        if outcome == "unchanged":
            continue
        if outcome == "created":
            report = MonthlyReport(project=project, period=period, created_by=by, **values)
            reports[project.pk] = report
            created.append(report)
        else:
            for name, value in values.items():
                setattr(report, name, value)
            changed_fields.update(values)
            report.updated_at = now
            updated.append(report)
        # this year's cumulative: the earlier months plus this one; the later months move
        filed = [(m, amount) for m, amount in months.get(project.pk, []) if m != period]
        running = sum((amount for m, amount in filed if m < period), Decimal(0))
        report.investment_ytd = running = running + report.investment_this_month
        for month, amount in filed:
            if month > period:
                running += amount
                later.append((project.pk, month, running))
    MonthlyReport.objects.bulk_create(created, batch_size=500)
    if updated:
        fields = [name for name in INPUT_FIELDS if name in changed_fields]
        MonthlyReport.objects.bulk_update(
            updated, [*fields, "investment_ytd", "updated_at"], batch_size=500
        )
    _move_later_months(later)
    ProgressEvent.objects.bulk_create(
        [
            ProgressEvent(
                report=report,
                action=_first_action(action),
                from_status="",
                to_status=report.status,
                actor=by,
            )
            for report in created
        ]
        + [
            ProgressEvent(
                report=report,
                action=action,
                from_status=report.status,
                to_status=report.status,
                actor=by,
            )
            for report in updated
        ],
        batch_size=1000,
    )
    return reports


def _move_later_months(later: list[tuple[int, str, Decimal]]) -> None:
    """The year-to-date of months after the one written, where it moved."""
    if not later:
        return
    wanted = {(project_id, month): ytd for project_id, month, ytd in later}
    rows = MonthlyReport.objects.filter(
        project_id__in={project_id for project_id, _m, _y in later},
        period__in={month for _p, month, _y in later},
    ).only("pk", "project_id", "period", "investment_ytd")
    moved = []
    for report in rows:
        ytd = wanted.get((report.project_id, report.period))
        if ytd is not None and report.investment_ytd != ytd:
            report.investment_ytd = ytd
            moved.append(report)
    MonthlyReport.objects.bulk_update(moved, ["investment_ytd"], batch_size=500)


class SheetErrors(ValidationError):
    """Errors of many forms: ``rows`` maps a project id to ``{field: [messages]}``."""

    def __init__(self, rows: dict):
        self.rows = rows
        count = len(rows)
        super().__init__(
            _("%(count)s个项目的数据有误，未保存任何数据，请修改后重新提交。") % {"count": count},
            code="rows_invalid",
        )


def missing_projects(period: str, queryset=None):
    """Active projects without a form filed (submitted or approved) for ``period``."""
    from .models import FILED

    queryset = queryset if queryset is not None else Project.objects.all()
    filed = MonthlyReport.objects.filter(period=period, status__in=FILED).values("project_id")
    return queryset.filter(pk__in=active_projects().values("pk"), stage__in=ACTIVE_STAGES).exclude(
        pk__in=filed
    )
