"""Approval pages (SPEC §7, §13): the board by kind and status, the approval page with its
status changes and history, registering and editing an approval, the approvals of a project
(for the project page), and the department performance table with its export.

Every page starts from ``Approval.objects.for_user``: an approval outside the user's scope is not
found (404). Every change goes through :mod:`approvals.services`; a refused step is shown on the
form it came from and changes nothing. Figures are computed with one working-day calendar per
request.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Region, Unit
from core.pages import action_panel, page_action
from projects.models import Project
from schedule.workdays import WorkdayCalendar, current_calendar

from . import selectors, services
from .exports import performance_workbook
from .filtersets import ApprovalFilterSet
from .forms import ApprovalCreateForm, ApprovalEditForm, action_form
from .models import RUNNING_STATUSES, Approval, ApprovalKind, ApprovalStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
S = ApprovalStatus

#: the order of the status groups within a kind: the department's clock running first, then
#: what is on its way to the department, then what is decided
BOARD_STATUSES = (
    S.ACCEPTED,
    S.UNDER_REVIEW,
    S.SUBMITTED,
    S.RETURNED,
    S.PREPARING,
    S.NOT_STARTED,
    S.APPROVED,
    S.REFUSED,
)
#: rows per kind; the section says how many more the filters would show
BOARD_KIND_LIMIT = 60


def _scoped(request):
    return Approval.objects.for_user(request.user)


def _approval_in_scope(request, pk) -> Approval:
    return get_object_or_404(_scoped(request).with_related(), pk=pk)


# --- rows with their figures ---------------------------------------------------------------


@dataclass(frozen=True)
class Left:
    """Working days left against a limit, as a page says it: 余 N 日 while running, 提前 N 日
    once decided, 超 N 日 past it."""

    days: int  # never negative
    late: bool
    decided: bool

    @classmethod
    def of(cls, remaining: int | None, decided: bool) -> Left | None:
        if remaining is None:
            return None
        return cls(abs(remaining), remaining < 0, decided)


@dataclass
class Row:
    """An approval with how it stands against its promise and target today."""

    approval: Approval
    figures: services.Figures

    @property
    def promise_left(self) -> Left | None:
        return Left.of(self.figures.remaining_promise, self.approval.is_decided)

    @property
    def target_left(self) -> Left | None:
        return Left.of(self.figures.remaining_target, self.approval.is_decided)


def rows_with_figures(
    approvals, today: datetime.date, calendar: WorkdayCalendar | None = None
) -> list[Row]:
    """``figures`` for each approval; the calendar (two queries) is built only if one of them
    was accepted, and then once."""
    approvals = list(approvals)
    if calendar is None and any(a.accepted_on for a in approvals):
        calendar = current_calendar()
    return [Row(a, services.figures(a, today, calendar)) for a in approvals]


def project_approvals(user, project: Project, today: datetime.date | None = None) -> list[Row]:
    """The project's approvals the user may see, in the kinds' order, for the project page."""
    approvals = (
        Approval.objects.for_user(user)
        .filter(project=project)
        .select_related("kind", "unit", "specialist")
        .order_by("kind__position", "kind_id")
    )
    return rows_with_figures(approvals, today or timezone.localdate())


# --- the board -----------------------------------------------------------------------------


@dataclass
class StatusGroup:
    status: str
    label: str
    rows: list[Row]


@dataclass
class KindSection:
    kind: ApprovalKind
    count: int
    groups: list[StatusGroup]
    shown: int

    @property
    def hidden(self) -> int:
        return self.count - self.shown


def _board_order() -> list:
    rank = Case(
        *[When(status=status, then=Value(i)) for i, status in enumerate(BOARD_STATUSES)],
        output_field=IntegerField(),
    )
    # Within a status: the latest decisions, then the nearest promise (the overdue first), then
    # the nearest planned submission.
    return [
        rank.asc(),
        F("decided_on").desc(nulls_first=True),
        F("promise_due_on").asc(nulls_last=True),
        F("planned_submission_on").asc(nulls_last=True),
        F("pk").asc(),
    ]


def board_sections(queryset, kinds, counts, today, calendar, limit=None) -> list[KindSection]:
    """One section per kind with approvals, its rows grouped by status, the first ``limit`` of
    each kind in one query however many there are (the per-kind cut is a window function)."""
    limit = limit or BOARD_KIND_LIMIT
    ranked = (
        Approval.objects.filter(pk__in=queryset.values("pk"))
        .with_related()
        .annotate(
            position=Window(RowNumber(), partition_by=[F("kind_id")], order_by=_board_order())
        )
        .filter(position__lte=limit)
        .order_by("kind_id", "position")
    )
    by_kind: dict[str, dict[str, list[Row]]] = {}
    for row in rows_with_figures(ranked, today, calendar):
        by_kind.setdefault(row.approval.kind_id, {}).setdefault(row.approval.status, []).append(row)
    sections = []
    for kind in kinds:
        total = sum(counts.get((kind.code, status), 0) for status in S.values)
        if not total:
            continue
        rows = by_kind.get(kind.code, {})
        groups = [
            StatusGroup(status, S(status).label, rows[status])
            for status in BOARD_STATUSES
            if rows.get(status)
        ]
        sections.append(KindSection(kind, total, groups, sum(len(g.rows) for g in groups)))
    return sections


def _status_matrix(kinds, counts) -> list[dict]:
    """Counts per kind and status, for the summary table above the sections."""
    return [
        {
            "kind": kind,
            "cells": [(status, counts.get((kind.code, status), 0)) for status in BOARD_STATUSES],
            "total": sum(counts.get((kind.code, status), 0) for status in S.values),
        }
        for kind in kinds
    ]


def _filtered(request, queryset, data=None) -> ApprovalFilterSet:
    return ApprovalFilterSet(
        request.GET if data is None else data, queryset=queryset, request=request
    )


@login_required
def approval_board(request):
    scoped = _scoped(request)
    filterset = _filtered(request, scoped)
    for name in ("kind", "status"):
        field = filterset.form.fields[name]
        field.widget = django_forms.CheckboxSelectMultiple(choices=field.choices)
    queryset = filterset.qs
    today = timezone.localdate()
    kinds = list(ApprovalKind.objects.all())
    counts = {
        (kind, status): n
        for kind, status, n in queryset.order_by()
        .values_list("kind_id", "status")
        .annotate(n=Count("pk", distinct=True))
    }
    calendar = current_calendar()  # one calendar for every row of the page
    sections = board_sections(queryset, kinds, counts, today, calendar)
    overdue = queryset.overdue(today).filter(status__in=RUNNING_STATUSES).count()
    return render(
        request,
        "approvals/approval_board.html",
        {
            "filter": filterset,
            "sections": sections,
            "matrix": [line for line in _status_matrix(kinds, counts) if line["total"]],
            "statuses": [(status, S(status).label) for status in BOARD_STATUSES],
            "total": sum(counts.values()),
            "overdue_count": overdue,
            "regions": Region.objects.for_user(request.user),
            "units": Unit.objects.filter(pk__in=scoped.values("unit_id")).order_by(
                "region_id", "name"
            ),
            "may_register": request.user.can_edit_library,
        },
    )


# --- one approval --------------------------------------------------------------------------


def _detail_page(request, approval: Approval, failed=None, status=200):
    """The approval page; ``failed`` is the (action, bound form) a refused post came back with."""
    user = request.user
    panel = action_panel(
        services.WORKFLOW, approval, user, lambda name: action_form(name, approval), failed
    )
    row = Row(approval, services.figures(approval, timezone.localdate(), current_calendar()))
    return render(
        request,
        "approvals/approval_detail.html",
        {
            "approval": approval,
            "row": row,
            "figures": row.figures,
            "target_days": services.target_days(approval.kind, approval.promised_days),
            "events": approval.events.select_related("actor"),
            **panel,
            "may_edit": services.may_edit(approval, user),
        },
        status=status,
    )


@login_required
def approval_detail(request, pk):
    return _detail_page(request, _approval_in_scope(request, pk))


@login_required
@require_POST
def approval_action(request, pk, action):
    approval = _approval_in_scope(request, pk)
    if action not in services.ACTIONS:
        raise Http404
    form = action_form(action, approval, data=request.POST)
    return page_action(
        request,
        lambda: services.approval_transition(
            approval=approval,
            by=request.user,
            status=services.ACTIONS[action],
            date=form.cleaned_data["date"],
            document_no=form.cleaned_data.get("document_no", ""),
            comment=form.cleaned_data["comment"],
        ),
        form=form,
        done=_("“%(action)s”已完成。") % {"action": services.ACTION_LABELS[action]},
        then=approval,
        # A refused step changed nothing (the service works on its own locked copy).
        refused=lambda _error, status: _detail_page(request, approval, (action, form), status),
    )


@login_required
def approval_edit(request, pk):
    approval = _approval_in_scope(request, pk)
    if not services.may_edit(approval, request.user):
        raise PermissionDenied
    form = ApprovalEditForm(request.POST or None, instance=approval)

    def page(status: int):
        context = {"form": form, "approval": approval, "project": approval.project}
        return render(request, "approvals/approval_form.html", context, status=status)

    if request.method != "POST":
        return page(200)
    return page_action(
        request,
        lambda: services.approval_update(approval=approval, by=request.user, **form.changes()),
        form=form,
        done=_("审批事项已保存。"),
        then=approval,
        refused=lambda _error, _status: page(400),  # NotPermitted too: checked above, raced since
    )


@login_required
def approval_create(request):
    if not request.user.can_edit_library:
        raise PermissionDenied
    project = None
    wanted = request.GET.get("project", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        project = get_object_or_404(Project.objects.for_user(request.user), pk=wanted)
    form = ApprovalCreateForm(
        request.POST or None, user=request.user, project=project, initial={"project": project}
    )

    def page(status: int):
        context = {"form": form, "approval": None, "project": form.project}
        return render(request, "approvals/approval_form.html", context, status=status)

    if request.method != "POST":
        return page(200)
    return page_action(
        request,
        lambda: services.approval_create(by=request.user, **form.arguments()),
        form=form,
        done=lambda approval: _("已登记“%(kind)s”审批事项。") % {"kind": approval.kind.name},
        refused=lambda _error, _status: page(400),
    )


# --- department performance ----------------------------------------------------------------

#: the performance table's columns: (row attribute to sort by, heading, shown as)
PERFORMANCE_COLUMNS = (
    ("unit_name", gettext_lazy("办理单位"), "text"),
    ("kind_name", gettext_lazy("审批类型"), "text"),
    ("count", gettext_lazy("事项数"), "number"),
    ("decided", gettext_lazy("已办结"), "number"),
    ("running", gettext_lazy("办理中"), "number"),
    ("median_days", gettext_lazy("用时中位数（工作日）"), "number"),
    ("mean_days", gettext_lazy("平均用时（工作日）"), "number"),
    ("within_promise", gettext_lazy("承诺时限内办结率"), "percent"),
    ("within_target", gettext_lazy("目标时限内办结率"), "percent"),
    ("overdue", gettext_lazy("超时事项"), "number"),
)
SORT_KEYS = frozenset(key for key, _label, _shown in PERFORMANCE_COLUMNS)
PERFORMANCE_FILTERS = ("kind", "region")


def sort_rows(rows: list, key: str | None, descending: bool) -> list:
    """Rows sorted by one column; rows without a figure go last either way, and ties keep the
    selector's order (kind, then unit)."""
    if key not in SORT_KEYS:
        return rows
    present = [row for row in rows if getattr(row, key) is not None]
    missing = [row for row in rows if getattr(row, key) is None]
    present.sort(key=lambda row: getattr(row, key), reverse=descending)
    return present + missing


def _performance(request):
    """The performance rows as filtered (kind, region) and sorted, and the filterset."""
    data = QueryDict(mutable=True)
    for name in PERFORMANCE_FILTERS:
        data.setlist(name, request.GET.getlist(name))
    filterset = _filtered(request, _scoped(request), data)
    sort = request.GET.get("sort")
    descending = request.GET.get("dir") == "desc"
    rows = selectors.performance(filterset.qs, timezone.localdate())
    return filterset, sort_rows(rows, sort, descending), sort, descending


@login_required
def performance(request):
    filterset, rows, sort, descending = _performance(request)
    field = filterset.form.fields["kind"]
    field.widget = django_forms.CheckboxSelectMultiple(choices=field.choices)
    columns = []
    for key, label, shown in PERFORMANCE_COLUMNS:
        current = None if key != sort else ("desc" if descending else "asc")
        columns.append(
            {
                "key": key,
                "label": label,
                "shown": shown,
                "current": current,
                # a first click sorts the figures from the largest, the names from A
                "next": (
                    ("asc" if current == "desc" else "desc")
                    if current
                    else ("asc" if shown == "text" else "desc")
                ),
            }
        )
    return render(
        request,
        "approvals/performance.html",
        {
            "filter": filterset,
            "rows": rows,
            "columns": columns,
            "regions": Region.objects.for_user(request.user),
        },
    )


@login_required
def performance_export(request):
    _filterset, rows, _sort, _descending = _performance(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(performance_workbook(rows), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("审批部门效能-%(stamp)s.xlsx") % {"stamp": stamp}
    )
    return response
