"""Who may file and review monthly forms, and what a form may hold (SPEC §8)."""

import datetime
from collections import namedtuple
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, Role
from core.exceptions import DomainError
from issues.models import Category as IssueCategory
from projects.models import STAGE_DATE_FIELDS, Project, Stage

from ..models import (
    PERIOD_RE,
    REPORTABLE_STAGES,
    MonthlyReport,
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


#: what the checks of a form read of its project (:func:`_clean`, ``steps._decide``)
PROJECT_FACTS = ("pk", "name", "total_investment", "stage", *STAGE_DATE_FIELDS.values())
ProjectFacts = namedtuple("ProjectFacts", PROJECT_FACTS)


def project_facts(projects) -> dict[int, ProjectFacts]:
    """``projects`` (a queryset) by id, as :data:`PROJECT_FACTS` (what checking their forms
    reads): thousands of projects checked at once hold a small tuple each, not a model."""
    return {row[0]: row for row in map(ProjectFacts._make, projects.values_list(*PROJECT_FACTS))}


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


def year_of(period: str) -> dict:
    """A filter on the forms of ``period``'s year, as a range of months: unlike a "starts
    with" (a LIKE, which PostgreSQL matches row by row) it is read from the index on project
    and month."""
    return {"period__gte": f"{period[:4]}-01", "period__lte": f"{period[:4]}-12"}


def _year_months(project_ids, period: str) -> dict[int, list[tuple[str, Decimal]]]:
    """The months of ``period``'s year filed so far for each project, in order (one query)."""
    months: dict[int, list[tuple[str, Decimal]]] = {}
    rows = (
        MonthlyReport.objects.filter(project_id__in=project_ids, **year_of(period))
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


def clean_many(
    period: str, forms: dict[int, tuple[Project, dict]], months: dict | None = None
) -> dict[int, dict]:
    """Check the forms of many projects for one month at once, in one query: ``forms`` maps a
    project id to ``(project, data)``; answers ``{project_id: {field: [messages]}}`` for the
    forms that fail (as ``clean_values`` would name them). ``months`` (from
    :func:`year_months`), when the caller read them once for more projects, saves the query."""
    if months is None:
        months = _year_months(list(forms), period)
    errors = {}
    for project_id, (project, data) in forms.items():
        other_months = partial(_total_without, months.get(project_id, []), period)
        try:
            _clean(project, period, data, None, other_months)
        except ValidationError as error:
            errors[project_id] = error.message_dict
    return errors


#: the names of two fields in messages, translated only when a message needs them (a form is
#: checked for each of tens of thousands of rows of an import)
MONEY_LABEL = gettext_lazy("本月完成投资")
PERCENT_LABEL = gettext_lazy("工程完成百分比")
ISSUE_CATEGORIES = frozenset(IssueCategory.values)


def _clean(project, period, data, current, year_total_without) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}

    money = _decimal(
        data.get("investment_this_month"), "investment_this_month", MONEY_LABEL, errors
    )
    if money is not None and money < 0:
        errors.setdefault("investment_this_month", []).append(_("本月完成投资不能为负数。"))
    values["investment_this_month"] = money if money is not None else Decimal("0.00")

    percent = _decimal(data.get("percent_complete"), "percent_complete", PERCENT_LABEL, errors)
    if percent is not None and not Decimal(0) <= percent <= Decimal(100):
        errors.setdefault("percent_complete", []).append(_("工程完成百分比应在0到100之间。"))
    values["percent_complete"] = percent

    values["physical_progress"] = str(data.get("physical_progress") or "").strip()
    values["problems"] = str(data.get("problems") or "").strip()
    category = str(data.get("problem_category") or "").strip()
    if category and category not in ISSUE_CATEGORIES:
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


#: the months of a year filed so far per project, for :func:`clean_many` (one query)
year_months = _year_months
