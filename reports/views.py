"""Report pages (SPEC §10): the reading list of published documents for leaders, with the
office's drafts and jobs above it; one document with its progress while it is being built, the
PDF embedded once it is done, and 印发 / 重试 / 重新生成; the file itself, inline or as a
download.

Every page starts from ``Report.objects.readable_by`` (the same as ``for_user``): a document the
user may not read — a draft of another office, another city's briefing, the province's briefing
for a county it was not sent to — is not found (404). Every change goes through
:mod:`reports.services`; a refused step changes nothing and comes back with its reason.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.pages import page_action
from core.views import job_status

from . import services
from .forms import ListFilterForm, PublishForm, RequestForm
from .models import Kind, Report, Status
from .periods import current_period, parse_period

#: published documents per page of the reading list
PER_PAGE = 30
#: the most drafts and jobs listed for the office (newest first; the rest are older drafts)
DRAFT_LIMIT = 50


def _scoped(request):
    return Report.objects.readable_by(request.user).select_related("unit", "corrects")


def _report_in_scope(request, pk) -> Report:
    return get_object_or_404(
        _scoped(request).select_related("unit__region", "requested_by", "published_by"), pk=pk
    )


def _label_periods(reports) -> list[Report]:
    """``2026年11月`` / ``2026年第48周`` beside each document (the code is for machines)."""
    reports = list(reports)
    for report in reports:
        try:
            report.period_label = parse_period(report.kind, report.period).label
        except DomainError:  # a period written before its format was checked
            report.period_label = report.period
    return reports


def file_url(report: Report, *, download: bool = False) -> str:
    url = reverse("reports:file", args=[report.pk])
    return f"{url}?download=1" if download else url


# --- the reading list --------------------------------------------------------------------------


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _list_page(request, request_form: RequestForm | None = None, status: int = 200):
    user = request.user
    scoped = _scoped(request)
    filter_form = ListFilterForm(request.GET)
    kind, year = filter_form.chosen()

    published = scoped.published()
    years = list(published.order_by("-year").values_list("year", flat=True).distinct())
    if kind:
        published = published.filter(kind=kind)
    if year:
        published = published.filter(year=year)
    page = Paginator(published.ordered(), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _label_periods(page.object_list)

    tabs = [
        {
            "label": label,
            "url": _query(kind=value, year=year),
            "current": value == kind,
        }
        for value, label in [("", _("全部")), *Kind.choices]
    ]

    office = None
    if services.may_request(user):
        drafts = _label_periods(scoped.drafts().ordered()[:DRAFT_LIMIT])
        today = timezone.localdate()
        office = {
            "jobs": [r for r in drafts if r.is_active],
            "failed": [r for r in drafts if r.status == Status.FAILED],
            "drafts": [r for r in drafts if r.status == Status.DONE],
            "form": request_form
            or RequestForm(initial={"period": current_period(Kind.BRIEFING, today)}),
        }
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            "reports": page.object_list,
            "kind": kind,
            "kind_label": Kind(kind).label if kind else "",
            "year": year,
            "years": years,
            "tabs": tabs,
            "office": office,
            "polling": bool(office and office["jobs"]),
        },
        status=status,
    )


@login_required
def report_list(request):
    return _list_page(request)


@login_required
@require_POST
def report_request(request):
    """生成文档: a new document (or the office's draft for the period regenerated)."""
    if not services.may_request(request.user):
        raise PermissionDenied
    form = RequestForm(request.POST)
    return page_action(
        request,
        lambda: services.report_request(
            kind=form.cleaned_data["kind"],
            period=form.cleaned_data["period"],
            by=request.user,
            correction=form.cleaned_data["correction"],
        ),
        form=form,
        done=lambda requested: _queued_message(*requested),
        then=lambda requested: requested[0],  # (report, queued)
        # NotPermitted too: shown on the form
        refused=lambda _error, _status: _list_page(request, request_form=form, status=400),
    )


def _queued_message(report: Report, queued: bool) -> str:
    if not queued:
        return _("%(title)s 正在生成中，请稍候。") % {"title": report.title}
    if report.attempts:
        return _("已重新生成草稿：%(title)s。生成完成后请核对并印发。") % {"title": report.title}
    if report.corrects_id:
        return _("已提交生成：%(title)s（更正第%(n)s期）。生成完成后请核对并印发。") % {
            "title": report.title,
            "n": report.corrects.number,
        }
    return _("已提交生成：%(title)s。生成完成后请核对并印发。") % {"title": report.title}


# --- one document ------------------------------------------------------------------------------


def _detail_page(
    request,
    report: Report,
    *,
    refused: str = "",
    publish_form: PublishForm | None = None,
    status: int = 200,
):
    user = request.user
    manage = services.may_manage(user, report)
    actions = services.allowed_actions(report, user)
    draft = not report.is_published
    done = report.status == Status.DONE and bool(report.file)
    corrected_by = None
    if report.is_published:
        corrected_by = (
            Report.objects.readable_by(user).published().filter(corrects=report).ordered().first()
        )
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": _label_periods([report])[0],
            "refused": refused,
            "corrected_by": corrected_by,
            "has_file": done,
            "file_url": file_url(report),
            "download_url": file_url(report, download=True),
            "status_url": reverse("reports:status", args=[report.pk]),
            "may_publish": "publish" in actions,
            "may_retry": "retry" in actions,
            "may_regenerate": manage and draft and report.status == Status.DONE,
            "publish_form": publish_form or PublishForm(),
            # 主送/抄送, shown to the issuer's side (a recipient may not know the other regions)
            "distribution": report.distribution if _issuer_side(user, report) else None,
        },
        status=status,
    )


def _issuer_side(user, report: Report) -> bool:
    """The issuing office's region or a region above it (or whoever sees everything)."""
    if user.sees_everything:
        return True
    prefix = user.scope_prefix
    return prefix is not None and report.unit.region_id.startswith(prefix)


@login_required
def report_detail(request, pk):
    return _detail_page(request, _report_in_scope(request, pk))


@login_required
def report_status(request, pk):
    """The job's state for the page that follows it (polled about once a second)."""
    report = _report_in_scope(request, pk)
    badge, label = report.badge
    return job_status(
        report,
        status_label=label,  # the badge's words (待印发, 已印发 once done), as the page shows them
        badge=badge,
        progress=report.progress,
        error=report.error,
        published=report.is_published,
        file_url=file_url(report) if report.status == Status.DONE and report.file else None,
    )


@login_required
@xframe_options_sameorigin  # the detail page embeds the PDF
def report_file(request, pk):
    """The document inline (read in the browser), or ``?download=1`` as an attachment, named
    after its title."""
    report = _report_in_scope(request, pk)
    # a draft being rebuilt, or whose rebuild failed, still holds its previous file: not served
    if report.status != Status.DONE or not report.file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as missing:  # the record outlived its file: not a server error
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=request.GET.get("download") == "1",
        filename=f"{report.title}{report.extension}",
        content_type=report.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # a draft's file is replaced when it is regenerated; a published one never changes
    if report.is_published:
        patch_cache_control(response, private=True, max_age=3600)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


# --- 印发, 重试, 重新生成 ------------------------------------------------------------------------


def _act(request, report: Report, step, done: str):
    """Run one service step; a refusal shows the document again with the reason."""

    def refused(error, status):
        report.refresh_from_db()
        return _detail_page(request, report, refused=error.messages[0], status=status)

    return page_action(request, step, done=done, refused=refused)


@login_required
@require_POST
def report_publish(request, pk):
    report = _report_in_scope(request, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, report, publish_form=form, status=400)
    return _act(
        request,
        report,
        lambda: services.report_publish(report=report, by=request.user),
        _("已印发：%(title)s。文档已存档，不能再修改。") % {"title": report.title},
    )


@login_required
@require_POST
def report_retry(request, pk):
    report = _report_in_scope(request, pk)
    return _act(
        request,
        report,
        lambda: services.report_retry(report=report, by=request.user),
        _("已重新提交生成：%(title)s。") % {"title": report.title},
    )


@login_required
@require_POST
def report_regenerate(request, pk):
    """A finished draft built again from today's data, under the same number."""
    report = _report_in_scope(request, pk)

    return _act(
        request,
        report,
        lambda: services.report_regenerate(report=report, by=request.user),
        _("已重新提交生成：%(title)s。") % {"title": report.title},
    )
