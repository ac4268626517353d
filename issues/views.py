"""Issue pages (SPEC §5, §13): the board, the issue page with its actions and timeline, the
report form, the close-out list (清单) with its export, and special supervision (专题督办).

Every page starts from ``Issue.objects.for_user``: a ticket outside the user's scope is not
found (404). Every change goes through :mod:`issues.services`; a refused step is shown on the
form it came from and changes nothing.
"""

from functools import partial

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Region
from core import exports
from core.pages import action_panel, page_action
from core.sorting import Column, Sorting, choice_order
from projects.models import Project
from schedule.impact import escalation_suggested, impact_of
from schedule.workdays import current_calendar

from . import selectors, services
from .filtersets import IssueFilterSet
from .forms import LinkProjectForm, ReportForm, action_form
from .models import Issue, Level, Status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scoped(request):
    return Issue.objects.for_user(request.user)


def _filtered(request, queryset) -> IssueFilterSet:
    return IssueFilterSet(request.GET, queryset=queryset, request=request)


def _issue_in_scope(request, pk) -> Issue:
    return get_object_or_404(_scoped(request).with_related(), pk=pk)


# --- the board -----------------------------------------------------------------------------

#: the board's orders besides the default (most urgent first), within each column
ISSUE_SORT = Sorting(
    deadline=Column("deadline"),
    reported_at=Column("reported_at", descending_first=True),
    project=Column("project__name"),
    level=Column(choice_order("level", Level)),
    updated_at=Column("updated_at", descending_first=True),
)


@login_required
def issue_board(request):
    filterset = _filtered(request, _scoped(request))
    for name in ("status", "level", "category", "source"):
        field = filterset.form.fields[name]
        field.widget = django_forms.CheckboxSelectMultiple(choices=field.choices)
    wanted = filterset.form.cleaned_data.get("status") if filterset.is_valid() else None
    statuses = [s for s in Status if s in wanted] if wanted else list(selectors.BOARD_STATUSES)
    today = timezone.localdate()
    counts = selectors.status_counts(filterset.qs)
    sort = ISSUE_SORT.read(request)
    calendar = current_calendar()
    page = None
    if len(statuses) == 1:
        # one status asked for: its column pages through every ticket
        status = statuses[0]
        listed = Issue.objects.filter(pk__in=filterset.qs.filter(status=status).values("pk"))
        ordered = sort.apply(listed) if sort.key else selectors.by_urgency(listed, today)
        page = Paginator(ordered.with_related(), selectors.BOARD_COLUMN_LIMIT).get_page(
            request.GET.get("page")
        )
        cards = [selectors.card(issue, today, calendar) for issue in page.object_list]
        columns = [selectors.Column(status, Status(status).label, page.paginator.count, cards)]
    else:
        columns = selectors.board_columns(
            filterset.qs, statuses, today, calendar, counts, order=sort.ordering()
        )
    rejected = counts.get(Status.REJECTED, 0) if Status.REJECTED not in statuses else None
    threats = None
    if request.GET.get("threatens") == "1":  # 影响开工: ranked by the start they put at risk
        threats = selectors.threatening(filterset.qs, today, calendar)
    return render(
        request,
        "issues/issue_board.html",
        {
            "threats": threats,
            "filter": filterset,
            "columns": columns,
            "page": page,
            "sort": sort,
            "rejected_count": rejected,
            "may_report": selectors.may_report(request.user),
        },
    )


#: the triage step of an unmatched ticket, offered beside the workflow actions
LINK_PROJECT = "link-project"

# --- one issue -----------------------------------------------------------------------------


def _detail_page(request, issue: Issue, failed: tuple[str, object] | None = None, status=200):
    """The issue page; ``failed`` is the (action, bound form) a refused post came back with."""
    user = request.user
    failed_action, failed_form = failed or (None, None)
    extra = []
    if services.may_link_project(issue, user):
        form = failed_form if failed_action == LINK_PROJECT else None
        form = form or LinkProjectForm(issue=issue, user=user)
        extra.append({"name": LINK_PROJECT, "label": _("匹配项目"), "form": form})
    panel = action_panel(
        services.WORKFLOW, issue, user, lambda name: action_form(name, issue), failed, extra
    )
    today = timezone.localdate()
    impact = impact_of(issue, today)
    suggest = escalation_suggested(impact)
    for entry in panel["actions"]:
        if suggest and entry["name"] == "escalate" and not entry["form"].is_bound:
            entry["form"].initial["reason"] = _(
                "该问题按办结时限%(by)s解决，将使项目预计%(forecast)s开工，超过计划开工"
                "%(days)s个工作日，建议上提协调。"
            ) % {
                "by": impact.resolve_by.isoformat(),
                "forecast": impact.forecast_start.isoformat(),
                "days": impact.days_at_risk,
            }
    offered = {entry["name"] for entry in panel["actions"]}
    return render(
        request,
        "issues/issue_detail.html",
        {
            "issue": issue,
            "impact": impact,
            "suggest_escalation": "escalate" in offered and suggest,
            "card": selectors.card(issue, today, current_calendar()),
            "reporter_phone": issue.reporter_phone if user.is_office_staff else issue.masked_phone,
            "events": issue.events.select_related("actor", "meeting"),
            "notices": issue.notices.select_related("unit"),
            "interviews": issue.interviews.select_related("unit"),
            **panel,
        },
        status=status,
    )


@login_required
def issue_detail(request, pk):
    return _detail_page(request, _issue_in_scope(request, pk))


@login_required
@require_POST
def issue_action(request, pk, action):
    issue = _issue_in_scope(request, pk)
    if action == LINK_PROJECT:
        form = LinkProjectForm(request.POST, issue=issue, user=request.user)
        step, label = services.issue_link_project, _("匹配项目")
    elif action in services.ACTIONS:
        form = action_form(action, issue, data=request.POST)
        step, label = partial(services.issue_act, action=action), services.TRANSITIONS[action].label
    else:
        raise Http404
    return page_action(
        request,
        lambda: step(issue=issue, by=request.user, **form.cleaned_data),
        form=form,
        done=_("“%(action)s”已完成。") % {"action": label},
        then=issue,
        # A refused step changed nothing (the service works on its own locked copy).
        refused=lambda _error, status: _detail_page(request, issue, (action, form), status),
    )


# --- reporting -----------------------------------------------------------------------------


@login_required
def issue_report(request):
    if not selectors.may_report(request.user):
        raise PermissionDenied
    project = None
    wanted = request.GET.get("project", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        project = get_object_or_404(Project.objects.for_user(request.user), pk=wanted)
    form = ReportForm(
        request.POST or None,
        user=request.user,
        project=project,
        initial={"project": project},
    )

    def page(*_refusal):
        context = {"form": form, "project": form.project}
        return render(request, "issues/issue_report.html", context)

    if request.method != "POST":
        return page()
    return page_action(
        request,
        lambda: services.issue_report(by=request.user, **form.cleaned_data),
        form=form,
        done=_("困难问题已上报，等待重大办受理。"),
        refused=page,  # shown again as it is, with the reason (NotPermitted too)
    )


# --- the close-out list --------------------------------------------------------------------


def _closeout_filter(request) -> IssueFilterSet:
    return _filtered(request, _scoped(request).open())


@login_required
def closeout_list(request):
    filterset = _closeout_filter(request)
    rows = selectors.closeout_rows(filterset.qs)
    return render(
        request,
        "issues/closeout_list.html",
        {
            "filter": filterset,
            "rows": rows,
            "overdue_count": sum(row.overdue for row in rows),
            "regions": Region.objects.for_user(request.user),
            "units": selectors.closeout_units(_scoped(request)),
        },
    )


@login_required
def closeout_export(request):
    return exports.respond(request, "issues-closeout")


def closeout_export_rows(request):
    """The close-out list as filtered on its page (``core.exports``)."""
    return selectors.closeout_rows(_closeout_filter(request).qs)


# --- special supervision -------------------------------------------------------------------


@login_required
def supervision_list(request):
    today = timezone.localdate()
    return render(
        request,
        "issues/supervision_list.html",
        {
            "units": selectors.supervised_units(request.user, today),
            "regions": selectors.supervised_regions(request.user, today),
            "accept_late": selectors.accept_late_offices(request.user),
            "red_regions": selectors.red_indicator_regions(request.user, today),
            "late_approval_units": selectors.late_approval_units(request.user, today),
            "limits": selectors.supervision_limits(),
        },
    )
