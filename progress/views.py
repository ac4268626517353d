"""Monthly progress pages (SPEC §8, §13): where each county stands for a month, the county's
month as one editable sheet (cards on a phone) with its review, the Excel template and upload
with the progress of a large import, and the completion handbook.

Every page starts from the user's scope: a region outside it, or an import job of somebody
else's, is not found (404). Every write goes through :mod:`progress.services` (the sheet is
saved all or nothing by ``sheet_save``) or :mod:`progress.imports`; a refused save changes
nothing and comes back with the user's input and the messages on the rows and fields.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Region
from core.exceptions import DomainError
from core.pages import page_action
from core.views import job_status
from projects.models import Project

from . import imports, selectors, services, xlsx
from .forms import ReportRowForm, ReviewForm, StatusFilterForm, UploadForm
from .handbook import handbook as handbook_workbook
from .models import (
    ImportStatus,
    MonthlyReport,
    ProgressImport,
    ReportStatus,
    deadline_of,
    month_label,
    period_bounds,
    period_of,
    previous_period,
)

#: the most missing projects listed on the status page (the table above counts them all)
MISSING_LIMIT = 200
#: the review steps offered on a row of the sheet (submitting is the sheet's own button)
REVIEW_ACTIONS = ("approve", "return", "reopen")
REVIEW_LABELS = {
    "approve": gettext_lazy("审核通过"),
    "return": gettext_lazy("退回"),
    "reopen": gettext_lazy("重新打开"),
}


def _this_month() -> str:
    return period_of(timezone.localdate())


def _region_in_scope(user, code: str) -> Region:
    return get_object_or_404(Region.objects.for_user(user), code=code)


def _checked_period(period: str) -> str:
    """The month of a URL: well formed and not in the future, else not found."""
    try:
        return services.check_period(period)
    except DomainError as error:
        raise Http404(error.messages[0]) from error


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=xlsx.XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def form_url(region_code: str, period: str) -> str:
    return reverse("progress:form", kwargs={"region": region_code, "period": period})


def _blocking_url(refused, project: Project) -> str:
    """The project's row on the sheet of the earlier month that holds 审核通过 back, when that
    is the refusal ("" otherwise)."""
    if isinstance(refused, services.EarlierMonthPending):
        return form_url(project.region_id, refused.period) + f"#p{project.pk}"
    return ""


# --- the filing status of a month -------------------------------------------------------------


@dataclass
class StatusRow:
    filing: selectors.FilingRow
    late: int  # forms filed after the deadline
    overdue: bool  # the deadline has passed with forms missing


@login_required
def index(request):
    """A county's people go to their month's sheet; the offices see where everyone stands."""
    user = request.user
    form = StatusFilterForm(request.GET, user=user)
    if form.region_out_of_scope():
        raise Http404
    period, region = form.chosen_period(), form.chosen_region()
    if user.region_id and user.region.level == Region.Level.COUNTY:
        return redirect(form_url(user.region_id, period))

    today = timezone.localdate()
    deadline = deadline_of(period)
    past_deadline = today > deadline
    rows = [
        StatusRow(row, row.late, past_deadline and row.missing > 0)
        for row in selectors.filing_status(user, period, region)
    ]
    total_missing = sum(row.filing.missing for row in rows)
    missing = list(selectors.missing_projects(user, period, region)[:MISSING_LIMIT])
    totals = {
        name: sum(getattr(row.filing, name) for row in rows)
        for name in ("active", "draft", "submitted", "approved", "returned", "filed", "missing")
    }
    totals["late"] = sum(row.late for row in rows)
    return render(
        request,
        "progress/status.html",
        {
            "form": form,
            "period": period,
            "region": region,
            "deadline": deadline,
            "past_deadline": past_deadline,
            "rows": rows,
            "totals": totals,
            "missing": missing,
            "missing_hidden": max(total_missing - len(missing), 0),
            "previous": previous_period(period),
            "next": _next_period(period),
            "this_month": _this_month(),
        },
    )


def _next_period(period: str) -> str | None:
    """The month after, unless it is still to come."""
    _first, last = period_bounds(period)
    following = period_of(last + datetime.timedelta(days=1))
    return following if following <= _this_month() else None


# --- the county's month -----------------------------------------------------------------------


@dataclass
class SheetRow:
    """One project on the county's sheet: its form for the month (if any), last month's, the
    inputs when the user may still change it, and the review steps the user may take."""

    project: Project
    report: MonthlyReport | None
    previous: MonthlyReport | None
    last_ytd: Decimal | None
    form: ReportRowForm | None
    actions: list[dict] = field(default_factory=list)
    #: why 审核通过 is not offered on a form the user reviews (the step's own refusal)
    blocked_by: DomainError | None = None
    #: the earlier month's sheet to approve first, when that is why
    blocked_url: str = ""

    @property
    def blocked(self) -> str:
        return self.blocked_by.messages[0] if self.blocked_by is not None else ""

    @property
    def status(self) -> str:
        return self.report.status if self.report else ""

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else _("未填报")

    @property
    def has_errors(self) -> bool:
        return bool(self.form is not None and self.form.is_bound and self.form.errors)


def _sheet_rows(user, region: Region, period: str, data=None) -> tuple[list[SheetRow], bool]:
    """The rows of the sheet, and whether the user files for this county. ``data`` binds the
    inputs (a post coming back with its errors)."""
    found = [
        item
        for item in xlsx.template_rows(user, period, region)
        # a city-level code lists the projects registered at the city itself, as the status does
        if item["project"].region_id == region.code
    ]
    # Every row is of this region and in the user's scope, so who may file is the same for
    # all rows (asked once), and the review steps are asked once per kind of form.
    may_file = bool(found) and services.may_file(found[0]["project"], user)
    steps = services.review_steps([item["report"] for item in found if item["report"]], user)
    rows = []
    for item in found:
        project, report = item["project"], item["report"]
        previous = next((r for r in project.near_reports if r.period != period), None)
        editable = may_file and (report is None or report.editable)
        form = ReportRowForm(data, project_id=project.pk, report=report) if editable else None
        row = SheetRow(project, report, previous, item["last_ytd"], form)
        if report is not None:
            allowed, blocked = steps[report.pk]
            row.actions = [
                {"name": step, "label": REVIEW_LABELS[step], "form_id": f"act-{report.pk}-{step}"}
                for step in allowed
                if step in REVIEW_ACTIONS
            ]
            if blocked is not None:
                row.blocked_by = blocked
                row.blocked_url = _blocking_url(blocked, project)
        rows.append(row)
    return rows, may_file


def _waits_for_submitted_month(row: SheetRow) -> bool:
    refused = row.blocked_by
    return (
        isinstance(refused, services.EarlierMonthPending)
        and refused.status == ReportStatus.SUBMITTED
    )


def _sheet_page(
    request,
    region: Region,
    period: str,
    rows: list[SheetRow] | None = None,
    may_file: bool | None = None,
    *,
    error: str = "",
    upload_form: UploadForm | None = None,
    failed_import: ProgressImport | None = None,
    status: int = 200,
):
    user = request.user
    if rows is None:
        rows, may_file = _sheet_rows(user, region, period)
    today = timezone.localdate()
    deadline = deadline_of(period)
    counts = dict.fromkeys(ReportStatus.values, 0)
    for row in rows:
        if row.report is not None:
            counts[row.report.status] += 1
    filed = counts[ReportStatus.SUBMITTED] + counts[ReportStatus.APPROVED]
    approvable = [row for row in rows if any(a["name"] == "approve" for a in row.actions)]
    # forms held back by an earlier month that is itself submitted: 全部审核通过 approves
    # that month first, so they are part of the batch
    earlier_first = [row for row in rows if _waits_for_submitted_month(row)]
    return render(
        request,
        "progress/sheet.html",
        {
            "region": region,
            "period": period,
            "rows": rows,
            "may_file": may_file,
            "editable_count": sum(row.form is not None for row in rows),
            "batch_count": len(approvable) + len(earlier_first),
            "earlier_first_count": len(earlier_first),
            "blocked_count": sum(bool(row.blocked) for row in rows),
            "review_column": any(row.actions for row in rows),
            "counts": counts,
            "filed": filed,
            "missing": len(rows) - filed,
            "deadline": deadline,
            "past_deadline": today > deadline,
            "reminders": selectors.reminders_for(user, period).filter(region=region),
            "error": error,
            "error_rows": [row for row in rows if row.has_errors],
            "upload_form": upload_form or UploadForm(),
            "failed_import": failed_import,
            "previous": previous_period(period),
            "next": _next_period(period),
            "this_month": _this_month(),
            "offices_see_status": not (user.region_id and user.region.level == "county"),
        },
        status=status,
    )


@login_required
def sheet(request, region, period):
    """GET: the county's month. POST: 保存草稿 (``action=save``) or 全部报送 (``action=submit``)
    of every row the user may still change, all or nothing."""
    user = request.user
    region = _region_in_scope(user, region)
    try:
        period = services.check_period(period)
    except DomainError as refused:
        return render(
            request,
            "progress/refused.html",
            {"region": region, "message": refused.messages[0], "this_month": _this_month()},
            status=404,
        )
    if request.method != "POST":
        return _sheet_page(request, region, period)

    rows, may_file = _sheet_rows(user, region, period, data=request.POST)
    if not may_file:
        raise PermissionDenied
    submit = request.POST.get("action") == "submit"
    values = {row.project.pk: row.form.values() for row in rows if row.form is not None}
    if not values:
        messages.info(request, _("本月没有可以修改的项目进展。"))
        return redirect(form_url(region.code, period))
    try:
        result = services.sheet_save(rows=values, period=period, by=user, submit=submit)
    except services.SheetErrors as refused:
        for row in rows:
            if row.project.pk in refused.rows:
                row.form.add_service_errors(refused.rows[row.project.pk])
        return _sheet_page(
            request, region, period, rows, may_file, error=refused.messages[0], status=400
        )
    except DomainError as refused:  # the month or the user, not a row
        return _sheet_page(
            request, region, period, rows, may_file, error=refused.messages[0], status=400
        )
    if submit:
        if result.submitted:
            text = _("已报送%(n)s个项目的本月进展，等待市级或省级重大办审核。") % {
                "n": result.submitted
            }
            if result.skipped:
                text += _("另有%(n)s个项目未填写，未报送。") % {"n": result.skipped}
            messages.success(request, text)
        else:
            messages.warning(request, _("没有报送任何项目：请先填写本月进展。"))
    else:
        messages.success(
            request,
            _("草稿已保存：新增%(c)s个，修改%(u)s个，未变化%(n)s个。尚未报送。")
            % {"c": result.created, "u": result.updated, "n": result.unchanged},
        )
    return redirect(form_url(region.code, period))


@login_required
@require_POST
def report_action(request, pk, action):
    """审核通过 / 退回 / 重新打开 one project's form, from its row on the sheet."""
    if action not in REVIEW_ACTIONS:
        raise Http404
    report = get_object_or_404(MonthlyReport.objects.for_user(request.user).with_related(), pk=pk)
    text = ReviewForm(request.POST).text()
    project = report.project
    row = form_url(project.region_id, report.period) + f"#p{project.pk}"
    names = {"project": project.name, "action": REVIEW_LABELS[action]}

    def refused(error, _status):  # NotPermitted too: the reason on the sheet
        why = _("%(project)s：“%(action)s”未完成。%(why)s") % {**names, "why": error.messages[0]}
        messages.error(request, _with_blocking_link(why, error, project))
        return redirect(row)

    return page_action(
        request,
        lambda: services.report_act(
            report=report, action=action, by=request.user, comment=text, reason=text
        ),
        done=_("%(project)s：已%(action)s。") % names,
        then=row,
        refused=refused,
    )


def _with_blocking_link(text: str, refused, project: Project) -> str:
    """A refusal's text, with a link to the earlier month's sheet when that month holds
    审核通过 back."""
    url = _blocking_url(refused, project)
    if not url:
        return text
    label = _("查看%(month)s的月报") % {"month": month_label(refused.period)}
    return format_html('{} <a href="{}">{}</a>', text, url, label)


@login_required
@require_POST
def approve_all(request, region, period):
    """全部审核通过: the county's month, month by month (earlier months of the same projects
    first), each form on its own; what could not be approved is listed with its reason."""
    user = request.user
    region = _region_in_scope(user, region)
    period = _checked_period(period)
    month = form_url(region.code, period)
    done = services.month_approve(region=region, period=period, by=user)
    earlier = sum(report.period != period for report in done.approved)
    if done.approved:
        text = _("已审核通过%(n)s份月报。") % {"n": len(done.approved)}
        if earlier:
            text += _("其中%(n)s份为更早月份的月报，已按月份先后先行审核通过。") % {"n": earlier}
        messages.success(request, text)
    if done.skipped:
        items = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    _with_blocking_link(
                        _("%(project)s（%(month)s）：%(why)s")
                        % {
                            "project": report.project.name,
                            "month": month_label(report.period),
                            "why": refused.messages[0],
                        },
                        refused,
                        report.project,
                    ),
                )
                for report, refused in done.skipped
            ),
        )
        messages.warning(
            request,
            format_html(
                '{}<ul class="skipped">{}</ul>',
                _("%(n)s份月报未审核通过，原因如下：") % {"n": len(done.skipped)},
                items,
            ),
        )
    if not done.approved and not done.skipped:
        messages.info(request, _("没有待审核的项目。"))
    return redirect(month)


# --- Excel ------------------------------------------------------------------------------------


@login_required
def sheet_template(request, region, period):
    """下载填报模板: the county's month prefilled."""
    region = _region_in_scope(request.user, region)
    period = _checked_period(period)
    content = xlsx.build_template(request.user, period, region)
    return _xlsx(
        content,
        _("月度进展填报模板-%(region)s-%(period)s.xlsx")
        % {
            "region": region.name,
            "period": period,
        },
    )


@login_required
@require_POST
def sheet_upload(request, region, period):
    """Upload a filled template: refused at once, listed row by row when invalid, written all
    at once when valid; a large file becomes a background job with a progress page."""
    user = request.user
    region = _region_in_scope(user, region)
    period = _checked_period(period)
    form = UploadForm(request.POST, request.FILES)

    def started(job: ProgressImport):
        if job.status == ImportStatus.DONE:
            messages.success(request, job.message)
            if job.created or job.updated:
                messages.warning(request, _drafts_note(form_url(region.code, period)))
            return form_url(region.code, period)
        if job.status != ImportStatus.FAILED:
            return redirect("progress:import", pk=job.pk)
        return _sheet_page(request, region, period, failed_import=job, status=400)

    return page_action(
        request,
        lambda: imports.start_import(by=user, uploaded=form.cleaned_data["file"], period=period),
        form=form,  # a refusal of the file as a whole (field "file"), or of the user
        then=started,
        refused=lambda _error, _status: _sheet_page(
            request, region, period, upload_form=form, status=400
        ),
    )


def _drafts_note(sheet: str) -> str:
    """What an import leaves: drafts, not yet sent for review (the sheet's 全部报送 sends
    them)."""
    return format_html(
        '{} <a href="{}#sheet-submit">{}</a>',
        _(
            "导入的进展是草稿，尚未报送，重大办看不到也不能审核：请核对后点击填报页下方的“全部报送”。"
        ),
        sheet,
        _("去报送"),
    )


def _import_in_scope(request, pk) -> ProgressImport:
    return get_object_or_404(
        ProgressImport.objects.for_user(request.user).select_related("region"), pk=pk
    )


def _import_back(job: ProgressImport) -> str:
    if job.period and job.region.level == Region.Level.COUNTY:
        return form_url(job.region_id, job.period)
    return reverse("progress:index") + (f"?period={job.period}" if job.period else "")


@login_required
def import_detail(request, pk):
    """The progress of an import; reloads itself (script, or a refresh without one) until the
    job has finished, then shows what it did or the errors by row and column."""
    job = _import_in_scope(request, pk)
    back = _import_back(job)
    wrote = job.status == ImportStatus.DONE and (job.created or job.updated)
    return render(
        request,
        "progress/import.html",
        {
            "job": job,
            "back": back,
            "drafts_note": _drafts_note(back) if wrote else "",
            "status_url": reverse("progress:import-status", args=[job.pk]),
        },
    )


@login_required
def import_status(request, pk):
    """The import's state for its progress page (polled about once a second)."""
    job = _import_in_scope(request, pk)
    return job_status(
        job,
        processed_rows=job.processed_rows,
        total_rows=job.total_rows,
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        message=job.message,
        errors=job.errors,
    )


@login_required
def handbook(request):
    """完成情况手册: every project in scope (or in a region of it) with its months, by region."""
    user = request.user
    period = _checked_period(request.GET.get("period") or _this_month())
    code = request.GET.get("region", "")
    region = _region_in_scope(user, code) if code else None
    place = region.name if region is not None else (user.region.name if user.region_id else "")
    return _xlsx(
        handbook_workbook(user, period, region),
        _("重大项目完成情况手册-%(place)s-%(period)s.xlsx") % {"place": place, "period": period},
    )
