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
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Region, Unit
from core import exports
from core.pages import action_panel, page_action
from core.sorting import Column, Sorting, choice_order
from projects.models import Project
from schedule.workdays import WorkdayCalendar, current_calendar

from . import selectors, services
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

#: approvals per page of the board
BOARD_PAGE_SIZE = 50


def _board_order() -> list:
    """The board's default order: the kinds' order, then the status groups (BOARD_STATUSES);
    within a status the latest decisions, then the nearest promise (the overdue first), then
    the nearest planned submission."""
    return [
        F("kind__position").asc(),
        F("kind_id").asc(),
        choice_order("status", BOARD_STATUSES).asc(),
        F("decided_on").desc(nulls_first=True),
        F("promise_due_on").asc(nulls_last=True),
        F("planned_submission_on").asc(nulls_last=True),
        F("pk").asc(),
    ]


#: the board's sortable columns; 距承诺时限 and 距目标时限 sort by the dates they count down to
BOARD_SORT = Sorting(
    project=Column("project__name"),
    kind=Column("kind__position", "kind_id"),
    unit=Column("unit__name"),
    status=Column(choice_order("status", BOARD_STATUSES)),
    accepted_on=Column("accepted_on", descending_first=True),
    promised_days=Column("promised_days"),
    promise_due_on=Column("promise_due_on"),
    target_on=Column("target_on"),
)


def _status_matrix(kinds, counts) -> list[dict]:
    """Counts per kind and status, for the summary table above the list."""
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
    sort = BOARD_SORT.read(request)
    # each approval once, however many rows the filters' joins gave it
    listed = Approval.objects.filter(pk__in=queryset.values("pk")).with_related()
    ordered = sort.apply(listed) if sort.key else listed.order_by(*_board_order())
    page = Paginator(ordered, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    # one calendar for every row of the page
    rows = rows_with_figures(page.object_list, today, current_calendar())
    overdue = queryset.overdue(today).filter(status__in=RUNNING_STATUSES).count()
    return render(
        request,
        "approvals/approval_board.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "sort": sort,
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
            "target_days": services.target_days(
                approval.kind, approval.promised_days, approval.specialist_id is not None
            ),
            "specialist_same_day": approval.specialist_id is not None
            and approval.kind.same_day_with_specialist,
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
#: every column sorts; a first click sorts the figures from the largest, the names from A
PERFORMANCE_SORT = Sorting(
    **{
        key: Column(key, descending_first=shown != "text")
        for key, _label, shown in PERFORMANCE_COLUMNS
    }
)
PERFORMANCE_FILTERS = ("kind", "region")


def _performance(request):
    """The performance rows as filtered (kind, region) and sorted (rows without a figure go
    last either way, ties keep the selector's order: kind, then unit), and the filterset and
    sort."""
    data = QueryDict(mutable=True)
    for name in PERFORMANCE_FILTERS:
        data.setlist(name, request.GET.getlist(name))
    filterset = _filtered(request, _scoped(request), data)
    sort = PERFORMANCE_SORT.read(request)
    rows = selectors.performance(filterset.qs, timezone.localdate())
    return filterset, sort.sort_list(rows, getattr), sort


@login_required
def performance(request):
    filterset, rows, sort = _performance(request)
    field = filterset.form.fields["kind"]
    field.widget = django_forms.CheckboxSelectMultiple(choices=field.choices)
    columns = [
        {"key": key, "label": label, "css_class": "" if shown == "text" else "num"}
        for key, label, shown in PERFORMANCE_COLUMNS
    ]
    return render(
        request,
        "approvals/performance.html",
        {
            "filter": filterset,
            "rows": rows,
            "columns": columns,
            "sort": sort,
            "regions": Region.objects.for_user(request.user),
        },
    )


@login_required
def performance_export(request):
    return exports.respond(request, "approvals-performance")


def performance_export_rows(request):
    """The performance rows as filtered and sorted on the page (``core.exports``)."""
    return _performance(request)[1]
