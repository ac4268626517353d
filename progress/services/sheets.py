"""A county's month at once (the filing page and the Excel import), all or nothing; and the
forms still missing for a month."""

import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import bulk_insert
from projects.models import Project

from ..models import (
    ACTIVE_STAGES,
    EDITABLE,
    MonthlyReport,
    ProgressAction,
    ProgressEvent,
    active_projects,
)
from .rules import (
    FILER_ROLES,
    INPUT_FIELDS,
    ProjectFacts,
    _total_without,
    _year_months,
    check_period,
    project_facts,
)
from .steps import _decide, _first_action, _later_approved_many, report_submit

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


#: rows decided and written at a time: their projects locked and read, their forms and months
#: read, once per batch; a county's import of 50,000 rows holds no more than a batch of them
#: (500: the batch's projects, forms and months held at once cost about 1 MB per 500 rows;
#: each batch costs about seven queries)
SHEET_BATCH = 500
#: forms of a batch built and written at a time (their ids and COPY, then their events'): a
#: form being written, with its event, takes about 2 KB
WRITE_CHUNK = 500


@transaction.atomic
def sheet_save(
    *,
    rows: dict[int, dict] | Iterable[tuple[int, dict]],
    period: str,
    by,
    submit: bool = False,
    action: str = ProgressAction.UPDATE,
) -> SheetResult:
    """Save (and, with ``submit``, send) the forms of many projects at once: all or nothing.
    ``rows`` maps a project id to its values (or gives ``(project id, values)`` pairs in
    project id order, each project once: the rows of a large import, made as they are read);
    rows left blank with no form yet are skipped. A ValidationError carries every bad row's
    errors as ``{project_id: {field: [...]}}``.

    Each row is decided as ``report_save`` decides one form, but in batches of
    :data:`SHEET_BATCH`: the projects locked (in id order, as every writer locks them), the
    forms read and the year's months summed for a batch at once, and its forms written in
    bulk — a few queries per thousand rows. Once a row is refused nothing more is written, but
    every row is still decided, so that the error names all of them."""
    period = check_period(period)
    pairs = sorted(rows.items()) if isinstance(rows, dict) else rows
    files = by.has_role(*FILER_ROLES)
    in_scope = Project.objects.for_user(by)
    result = SheetResult()
    errors: dict[int, dict] = {}
    reports: dict[int, MonthlyReport] = {}
    for batch in _batches(pairs, SHEET_BATCH):
        decided, months = _decide_batch(
            batch, period, in_scope, files, result, errors, keep_unchanged=submit
        )
        if errors:
            continue
        later: list[tuple[int, str, Decimal]] = []
        for start in range(0, len(decided), WRITE_CHUNK):
            chunk = decided[start : start + WRITE_CHUNK]
            written = _write_sheet(chunk, period, by, action, months, result, later)
            if submit:
                reports.update(written)
        _move_later_months(later)
    if errors:
        raise SheetErrors(errors)
    if submit:
        _submit_all(reports, by, result)
    return result


def _batches(pairs: Iterable, size: int) -> Iterator[list]:
    pairs = iter(pairs)
    while batch := list(islice(pairs, size)):
        yield batch


def _decide_batch(
    batch, period, in_scope, files: bool, result, errors: dict, *, keep_unchanged: bool
):
    """The rows of one batch decided (their projects locked): what to write, and the months
    of their year filed so far. A refused row's errors go into ``errors``. The forms there
    are already are read as rows, each made a form only while its row is decided (a batch of
    forms costs several times their rows), and one left unchanged is dropped then, unless
    ``keep_unchanged`` (the sheet is sent: every form written or not)."""
    wanted = [project_id for project_id, _row in batch]
    projects = project_facts(
        in_scope.filter(pk__in=wanted).select_for_update(of=("self",)).order_by("pk")
    )
    forms = MonthlyReport.objects.select_for_update().filter(
        project_id__in=list(projects), period=period
    )
    columns = [field.attname for field in MonthlyReport._meta.concrete_fields]
    by_project = columns.index("project_id")
    existing = {row[by_project]: row for row in forms.values_list(*columns)}
    active = set(active_projects().filter(pk__in=list(projects)).values_list("pk", flat=True))
    months = _year_months(list(projects), period)
    later = _later_approved_many(list(projects), period)
    decided: list[tuple[ProjectFacts, MonthlyReport | None, str, dict]] = []
    for project_id, row in batch:
        project = projects.get(project_id)
        if project is None:
            errors[project_id] = {"project": [_("所选项目不存在或不在您的管辖范围内。")]}
            continue
        found = existing.get(project_id)
        report = None if found is None else MonthlyReport.from_db(forms.db, columns, found)
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
        if outcome == "unchanged" and not keep_unchanged:
            report = None
        decided.append((project, report, outcome, values))
    return decided, months


def _submit_all(reports: dict[int, MonthlyReport], by, result: SheetResult) -> None:
    """报送 every editable form written; one refusal sends none (the sheet rolls back)."""
    errors: dict[int, dict] = {}
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


def _write_sheet(decided, period, by, action, months, result, later) -> dict[int, MonthlyReport]:
    """Write the decided forms in bulk, with their events and this year's cumulative; the
    later months' cumulatives that move go into ``later`` (:func:`_move_later_months`)."""
    now = timezone.now()
    created, updated, reports = [], [], {}
    changed_fields: set[str] = set()
    for project, report, outcome, values in decided:
        setattr(result, outcome, getattr(result, outcome) + 1)
        reports[project.pk] = report
        if outcome == "unchanged":
            continue
        if outcome == "created":
            report = MonthlyReport(project_id=project.pk, period=period, created_by=by, **values)
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
    bulk_insert(MonthlyReport, created)
    if updated:
        fields = [name for name in INPUT_FIELDS if name in changed_fields]
        MonthlyReport.objects.bulk_update(
            updated, [*fields, "investment_ytd", "updated_at"], batch_size=500
        )
    bulk_insert(
        ProgressEvent,
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
    from ..models import FILED

    queryset = queryset if queryset is not None else Project.objects.all()
    filed = MonthlyReport.objects.filter(period=period, status__in=FILED).values("project_id")
    return queryset.filter(pk__in=active_projects().values("pk"), stage__in=ACTIVE_STAGES).exclude(
        pk__in=filed
    )
