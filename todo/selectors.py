"""我的待办: everyone's to-do list, computed from the workflows' current state each time it is
asked for — never a stored copy, so it cannot drift from the pages.

Every source starts from the user's scope (``Model.objects.for_user``), so nobody is shown
something they cannot open, and asks the workflow who must act:

- issues: the steps of the issue workflow's table (``issues.services.WORKFLOW``) that are the
  to-do of a part the user plays for the ticket (``parties``): the office at the issue's level
  accepts, assigns and closes; the handling unit's liaisons start, report progress and
  resolve; the project unit confirms the result;
- monthly forms: county filers, per county and month (this month and the one before), the
  forms still missing with the filing deadline; the city or province office, per county and
  month, the submitted forms waiting for its review;
- approvals running within ``APPROVAL_DUE_WORKDAYS`` working days of their promised
  limit, or past it: the handling department's liaisons and the approval's service specialist;
- documents generated but not published: the issuing office's staff (the step ``publish``);
- meeting decisions (会商意见) whose issues are still open: the organising office and the
  handling units' liaisons;
- the yearly rollover of the project library proposed for the office's region, to confirm;
- funding quotas of the office's own region whose issuance deadline (e.g. "9月底前") is within
  ``QUOTA_DEADLINE_WARN_DAYS`` days or past, not yet fully issued: the office's staff;
- the projects a service specialist (服务专员) serves that have had no visit this month: the
  specialist, one item per project, due at the month's end.

:func:`todo_items` builds the list in a fixed number of queries whatever its length;
:func:`todo_count` counts the same rows in one query (and the calendar) for the navigation.
"""

from __future__ import annotations

import datetime
import operator
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, Unit, User
from approvals import services as approval_services
from approvals.models import RUNNING_STATUSES, Approval
from core.templatetags.money import grouped
from issues import services as issue_services
from issues.models import HANDLING_STATUSES, AgendaItem, Issue, Level, Meeting, Status
from progress.models import (
    MonthlyReport,
    ProgressAction,
    ReportStatus,
    deadline_of,
    period_of,
    previous_period,
)
from progress.selectors import missing_projects
from progress.services import REVIEW_LEVELS
from reports import services as report_services
from reports.models import Report
from reports.models import Status as ReportJobStatus
from schedule.models import CalendarDay
from schedule.workdays import WorkdayCalendar, current_calendar

from .items import Item, Kind, Step, by_urgency, month_label

ISSUE_WORKFLOW = issue_services.WORKFLOW
OFFICE, HANDLER, PROJECT_UNIT = (
    issue_services.OFFICE,
    issue_services.HANDLER,
    issue_services.PROJECT_UNIT,
)
#: the steps of the issue table that are each part's to-do (the others — escalate, reject,
#: return, the office confirming for the enterprise — are open to them, but nobody waits on them)
ISSUE_TODO = {
    OFFICE: ("accept", "assign", "close"),
    HANDLER: ("start", "note", "resolve"),
    PROJECT_UNIT: ("confirm",),
}
#: what the ticket waits for, by its status
ISSUE_WAITS = {
    Status.REPORTED: gettext_lazy("待受理"),
    Status.ACCEPTED: gettext_lazy("待交办"),
    Status.CONFIRMED: gettext_lazy("待销号"),
    Status.ASSIGNED: gettext_lazy("待开始办理"),
    Status.IN_PROGRESS: gettext_lazy("待办结"),
    Status.RESOLVED: gettext_lazy("待确认办结结果"),
}
#: the issue levels whose office is at a region of this level (the province acts for 省政府)
LEVELS_AT = {
    "province": (Level.PROVINCE, Level.GOVERNMENT),
    "city": (Level.CITY,),
    "county": (Level.COUNTY,),
}
HANDLER_ROLES = frozenset({Role.Code.DEPARTMENT_LIAISON, Role.Code.OFFICE_STAFF})


def issue_todo_states(party: str) -> frozenset[str]:
    """The statuses in which a ticket waits on ``party``: the sources of its to-do steps."""
    return frozenset().union(*(ISSUE_WORKFLOW.table[name].sources for name in ISSUE_TODO[party]))


def _any(conditions: list[Q]) -> Q | None:
    return reduce(operator.or_, conditions) if conditions else None


# --- issues ----------------------------------------------------------------------------------


def _party(party: str, user) -> Q | None:
    """The tickets in scope for which ``user`` plays ``party`` (``issues.services.parties``
    written as a condition); None when they play it for none."""
    codes = user.role_codes
    if party == OFFICE:
        if user.sees_everything:
            return Q()
        if Role.Code.OFFICE_STAFF not in codes or user.region_id is None:
            return None
        # in scope, the region of the ticket's level is the user's own exactly when the
        # ticket's level is that of the user's region
        return Q(level__in=LEVELS_AT[user.region.level])
    if user.unit_id is None:
        return None
    if party == HANDLER and codes & HANDLER_ROLES:
        return Q(unit_id=user.unit_id)
    if party == PROJECT_UNIT and Role.Code.PROJECT_UNIT_CONTACT in codes:
        return Q(project__unit_id=user.unit_id)
    return None


def _issue_rows(user):
    conditions = []
    for party in ISSUE_TODO:
        played = _party(party, user)
        if played is not None:
            conditions.append(Q(status__in=issue_todo_states(party)) & played)
    where = _any(conditions)
    return None if where is None else Issue.objects.for_user(user).filter(where)


class _Calendar:
    """The working-day calendar as one list reads it: whole from the database once, when a
    ticket waits to be accepted; the approvals' horizon then uses it instead of asking again."""

    def __init__(self):
        self.whole: WorkdayCalendar | None = None

    def read(self) -> WorkdayCalendar:
        if self.whole is None:
            self.whole = current_calendar()
        return self.whole


def _issue_items(user, today, calendar: _Calendar) -> list[Item]:
    rows = _issue_rows(user)
    if rows is None:
        return []
    items = []
    for issue in rows.select_related("project", "unit", "region__parent__parent"):
        allowed = ISSUE_WORKFLOW.allowed_actions(issue, user)
        played = issue_services.parties(issue, user)
        if not any(name in ISSUE_TODO[party] for party in played for name in allowed):
            continue
        if issue.status == Status.REPORTED:
            # 即时响应: the level's time to accept
            due_on = issue.accept_due_on(calendar.read())
            overdue = due_on is not None and due_on < today
        else:
            due_on = issue.deadline if issue.status in HANDLING_STATUSES else None
            overdue = issue.is_overdue(today)
        items.append(
            Item(
                kind=Kind.ISSUE,
                title=_("%(waits)s：%(title)s")
                % {"waits": ISSUE_WAITS[issue.status], "title": issue.title},
                url=issue.get_absolute_url(),
                detail=_issue_detail(issue),
                due_on=due_on,
                overdue=overdue,
                steps=_steps(ISSUE_WORKFLOW, allowed),
            )
        )
    return items


def _issue_detail(issue: Issue) -> str:
    where = [issue.project.name if issue.project_id else _("未匹配项目")]
    where.append(issue.get_level_display())
    if issue.unit_id:
        where.append(issue.unit.name)
    return " · ".join(where)


def _steps(workflow, names, anchor: str = "action-{name}") -> tuple[Step, ...]:
    """The workflow's steps with their labels, each at its form on the page (``anchor``)."""
    return tuple(
        Step(name, str(workflow.table[name].label), anchor.format(name=name)) for name in names
    )


# --- monthly forms ---------------------------------------------------------------------------


def _filing_periods(today) -> tuple[str, str]:
    """The months a county still files for: the one before (late now) and this one."""
    this = period_of(today)
    return previous_period(this), this


def _files(user) -> bool:
    return Role.Code.COUNTY_FILER in user.role_codes


def _filing_items(user, today) -> list[Item]:
    if not _files(user):
        return []
    items = []
    for period in _filing_periods(today):
        deadline = deadline_of(period)
        groups = (
            missing_projects(user, period)
            .order_by()
            .values("region_id", "region__name")
            .annotate(n=Count("pk"))
        )
        for group in groups:
            items.append(
                Item(
                    kind=Kind.PROGRESS_FILE,
                    title=_("%(region)s%(month)s月度进展待报送")
                    % {"region": group["region__name"], "month": month_label(period)},
                    url=_form_url(group["region_id"], period),
                    detail=_("%(count)s个项目未报送，截止%(deadline)s")
                    % {"count": group["n"], "deadline": deadline.isoformat()},
                    due_on=deadline,
                    overdue=today > deadline,
                    steps=(
                        Step(ProgressAction.CREATE, str(ProgressAction.CREATE.label)),
                        Step(ProgressAction.SUBMIT, str(ProgressAction.SUBMIT.label)),
                    ),
                    count=group["n"],
                )
            )
    return items


def _form_url(region_code: str, period: str) -> str:
    return reverse("progress:form", kwargs={"region": region_code, "period": period})


def _review_rows(user):
    """Submitted forms the user reviews: the city or province office over the project (not
    of its own region), never a form it submitted itself (``progress.services.may_review``)."""
    if user.sees_everything:
        return MonthlyReport.objects.for_user(user).filter(status=ReportStatus.SUBMITTED)
    if not user.is_office_staff or user.region_id is None:
        return None
    if user.region.level not in REVIEW_LEVELS:
        return None
    return (
        MonthlyReport.objects.for_user(user)
        .filter(status=ReportStatus.SUBMITTED)
        .exclude(project__region_id=user.region_id)
        .exclude(submitted_by=user)
    )


def _review_items(user) -> list[Item]:
    rows = _review_rows(user)
    if rows is None:
        return []
    groups = (
        rows.order_by()
        .values("project__region_id", "project__region__name", "period")
        .annotate(n=Count("pk"))
    )
    return [
        Item(
            kind=Kind.PROGRESS_REVIEW,
            title=_("%(region)s%(month)s月度进展待审核")
            % {"region": group["project__region__name"], "month": month_label(group["period"])},
            url=_form_url(group["project__region_id"], group["period"]),
            detail=_("%(count)s份已报送，待审核") % {"count": group["n"]},
            steps=(
                Step(ProgressAction.APPROVE, str(ProgressAction.APPROVE.label)),
                Step(ProgressAction.RETURN, str(ProgressAction.RETURN.label)),
            ),
            count=group["n"],
        )
        for group in groups
    ]


# --- approvals -------------------------------------------------------------------------------


def _shipped_horizon(today) -> datetime.date:
    """The horizon on the calendar shipped with the platform, before the days entered by hand."""
    return WorkdayCalendar().add_workdays(today, settings.APPROVAL_DUE_WORKDAYS)


def _entered_days(today, horizon):
    """Days entered by hand (``CalendarDay``) up to the shipped horizon: only they can move it."""
    return CalendarDay.objects.filter(date__range=(today, horizon))


def approval_horizon(today) -> datetime.date:
    """The last promised day that counts as near: ``APPROVAL_DUE_WORKDAYS`` working days
    from today on the platform's calendar (read whole only when a day entered by hand falls
    before the horizon)."""
    horizon = _shipped_horizon(today)
    if _entered_days(today, horizon).exists():
        horizon = current_calendar().add_workdays(today, settings.APPROVAL_DUE_WORKDAYS)
    return horizon


def _approval_rows(user, horizon):
    mine = Q(specialist_id=user.pk)
    if Role.Code.DEPARTMENT_LIAISON in user.role_codes and user.unit_id is not None:
        mine |= Q(unit_id=user.unit_id)
    return Approval.objects.for_user(user).filter(
        mine, status__in=RUNNING_STATUSES, promise_due_on__lte=horizon
    )


def _approval_items(user, today, calendar: _Calendar) -> list[Item]:
    # the whole calendar, when the list has read it already, gives approval_horizon's answer
    horizon = (
        calendar.whole.add_workdays(today, settings.APPROVAL_DUE_WORKDAYS)
        if calendar.whole is not None
        else approval_horizon(today)
    )
    rows = _approval_rows(user, horizon).select_related("project", "kind", "unit")
    # In scope, what the user may do depends on the status and on whether the approval is
    # their unit's: asked once per such pair, not once per approval.
    asked: dict[tuple[str, bool], tuple[Step, ...]] = {}
    items = []
    for approval in rows:
        key = (approval.status, approval.unit_id == user.unit_id)
        if key not in asked:
            allowed = approval_services.allowed_actions(approval, user)
            asked[key] = _steps(approval_services.WORKFLOW, allowed)
        overdue = today >= approval.promise_late_on  # in working days past the promise
        title = _("审批已超承诺时限：%(what)s") if overdue else _("审批临近承诺时限：%(what)s")
        items.append(
            Item(
                kind=Kind.APPROVAL,
                title=title % {"what": f"{approval.project.name} · {approval.kind.name}"},
                url=approval.get_absolute_url(),
                detail=_("%(unit)s · %(status)s · 承诺%(due)s前办结")
                % {
                    "unit": approval.unit.name,
                    "status": approval.get_status_display(),
                    "due": approval.promise_due_on.isoformat(),
                },
                due_on=approval.promise_due_on,
                overdue=overdue,
                steps=asked[key],
            )
        )
    return items


# --- documents -------------------------------------------------------------------------------


def _report_rows(user):
    """Finished drafts of the user's issuing office (``reports.services.may_manage``)."""
    if user.sees_everything:
        rows = Report.objects.for_user(user)
    elif user.is_office_staff and user.unit_id is not None:
        own_office = Unit.objects.filter(pk=user.unit_id, kind=Unit.Kind.OFFICE)
        rows = Report.objects.for_user(user).filter(
            unit__region_id__in=own_office.values("region_id")
        )
    else:
        return None
    return rows.filter(status=ReportJobStatus.DONE, published_at__isnull=True).exclude(file="")


def _report_items(user) -> list[Item]:
    rows = _report_rows(user)
    if rows is None:
        return []
    items = []
    for report in rows.select_related("unit"):
        allowed = report_services.allowed_actions(report, user)
        if "publish" not in allowed:
            continue
        items.append(
            Item(
                kind=Kind.REPORT,
                title=_("待印发：%(title)s") % {"title": report.title},
                url=report.get_absolute_url(),
                detail=report.unit.name,
                steps=_steps(report_services.WORKFLOW, allowed, anchor="{name}"),
            )
        )
    return items


# --- funding quotas -------------------------------------------------------------------------


def _quota_rows(user, today):
    """The quotas of the office's own region due to be issued within
    ``QUOTA_DEADLINE_WARN_DAYS`` days (or past due) and not fully issued: what the records of
    the region's projects issued is summed in the same query."""
    from funding.models import FundingRecord, Quota

    if not user.is_office_staff or user.region_id is None:
        return None
    prefix = user.region.scope_prefix
    issued = (
        FundingRecord.objects.filter(
            channel_id=OuterRef("channel_id"),
            year=OuterRef("year"),
            project__region__code__startswith=prefix,
        )
        .order_by()
        .values("channel_id")
        .annotate(total=Sum("issued"))
        .values("total")[:1]
    )
    horizon = today + datetime.timedelta(days=settings.QUOTA_DEADLINE_WARN_DAYS)
    return (
        Quota.objects.filter(region_id=user.region_id, issuance_deadline__lte=horizon)
        .annotate(issued_total=Coalesce(Subquery(issued), Value(Decimal(0))))
        .filter(issued_total__lt=F("amount"))
    )


def _quota_items(user, today) -> list[Item]:
    rows = _quota_rows(user, today)
    if rows is None:
        return []
    items = []
    for quota in rows.select_related("channel", "region"):
        share = quota.issued_total / quota.amount if quota.amount else Decimal(0)
        items.append(
            Item(
                kind=Kind.QUOTA,
                title=_("%(channel)s额度待发行：%(region)s%(year)s年")
                % {
                    "channel": quota.channel.name,
                    "region": quota.region.name,
                    "year": quota.year,
                },
                url=reverse("funding:dashboard") + f"?year={quota.year}&region={quota.region_id}",
                detail=_(
                    "额度%(amount)s万元，已发行%(issued)s万元（%(share)s%%），%(due)s前完成发行"
                )
                % {
                    "amount": grouped(quota.amount),
                    "issued": grouped(Decimal(quota.issued_total)),
                    "share": (share * 100).quantize(Decimal("0.1")),
                    "due": quota.issuance_deadline.isoformat(),
                },
                due_on=quota.issuance_deadline,
                overdue=quota.issuance_deadline < today,
                steps=(Step("follow_up", _("督促发行")),),
            )
        )
    return items


# --- the yearly rollover of the library -----------------------------------------------------


def _rollover_rows(user):
    """The rollover proposed for the office's own region, waiting for its confirmation."""
    from projects.models import LibraryRollover

    if not (user.is_office_staff and user.can_edit_library) or user.region_id is None:
        return None
    return LibraryRollover.objects.filter(
        region_id=user.region_id, status=LibraryRollover.Status.PROPOSED
    )


def _rollover_items(user) -> list[Item]:
    rows = _rollover_rows(user)
    if rows is None:
        return []
    return [
        Item(
            kind=Kind.ROLLOVER,
            title=_("确认%(year)s年项目库滚动") % {"year": rollover.year},
            url=reverse("projects:rollover"),
            detail=_("预览时需调整%(n)s个项目的子库或新开工/续建") % {"n": rollover.proposed_moves},
            steps=(Step("confirm", _("查看并确认")),),
        )
        for rollover in rows
    ]


# --- meeting decisions -----------------------------------------------------------------------


def _decision_rows(user):
    """Agenda items with a decision and an open issue the user follows up: any of them for
    the office that held the meeting, their unit's for a handling unit."""
    open_issues = Issue.objects.for_user(user).open()
    ways = []
    if user.is_office_staff:
        ways.append(
            Q(issues__in=open_issues)
            if user.sees_everything
            else Q(meeting__region_id=user.region_id, issues__in=open_issues)
        )
    if user.unit_id is not None and user.role_codes & HANDLER_ROLES:
        ways.append(Q(issues__in=open_issues.filter(unit_id=user.unit_id)))
    where = _any(ways)
    if where is None:
        return None
    return (
        AgendaItem.objects.filter(meeting__in=Meeting.objects.for_user(user))
        .exclude(decision="")
        .filter(where)
    )


def _decision_items(user, today) -> list[Item]:
    rows = _decision_rows(user)
    if rows is None:
        return []
    found: dict[int, dict] = {}
    # one row per agenda item and open issue followed up
    for row in rows.order_by().values(
        "pk",
        "meeting_id",
        "meeting__title",
        "project__name",
        "decision",
        "issues__status",
        "issues__deadline",
    ):
        item = found.setdefault(row["pk"], {**row, "due": None, "overdue": False})
        deadline = row["issues__deadline"]
        if row["issues__status"] in HANDLING_STATUSES and deadline is not None:
            item["due"] = min(item["due"] or deadline, deadline)
            item["overdue"] = item["overdue"] or deadline < today
    return [
        Item(
            kind=Kind.DECISION,
            title=_("落实会商意见：%(project)s") % {"project": item["project__name"]},
            url=_meeting_url(item["meeting_id"], item["pk"]),
            detail=f"{item['meeting__title']} · {_excerpt(item['decision'])}",
            due_on=item["due"],
            overdue=item["overdue"],
            steps=(Step("follow_up", _("跟踪落实")),),
        )
        for item in found.values()
    ]


def _meeting_url(meeting_id: int, item_id: int) -> str:
    return reverse("issues:meeting-detail", args=[meeting_id]) + f"#item-{item_id}"


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# --- visits of a service specialist ----------------------------------------------------------


def _visit_rows(user, today):
    """The projects the user serves as specialist with no visit yet this month: office staff
    and county filers are the ones who can be specialists (``fieldservice.services``)."""
    from fieldservice.selectors import unvisited_assignments
    from fieldservice.services import SPECIALIST_ROLES

    if not user.has_role(*SPECIALIST_ROLES):
        return None
    return unvisited_assignments(user, today)


def _visit_items(user, today) -> list[Item]:
    rows = _visit_rows(user, today)
    if rows is None:
        return []
    from fieldservice.selectors import month_range

    month_end = month_range(today.year, today.month)[1]
    return [
        Item(
            kind=Kind.VISIT,
            title=_("本月走访：%(project)s") % {"project": assignment.project.name},
            url=reverse("fieldservice:create", args=[assignment.project_id]),
            detail=_("%(region)s · 您是该项目的服务专员，%(month)s尚未走访")
            % {
                "region": assignment.project.region.name,
                "month": month_label(today.strftime("%Y-%m")),
            },
            due_on=month_end,
            steps=(Step("record", _("记录走访")),),
        )
        for assignment in rows.select_related("project", "project__region")
    ]


# --- the list and its count ------------------------------------------------------------------


def todo_items(user, today: datetime.date | None = None) -> list[Item]:
    """The user's to-do list, most urgent first: overdue, then by due date (no date last),
    then by title. A fixed number of queries whatever the number of items."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    today = today or timezone.localdate()
    calendar = _Calendar()
    return by_urgency(
        [
            *_issue_items(user, today, calendar),
            *_filing_items(user, today),
            *_review_items(user),
            *_approval_items(user, today, calendar),
            *_report_items(user),
            *_decision_items(user, today),
            *_quota_items(user, today),
            *_rollover_items(user),
            *_visit_items(user, today),
        ]
    )


class _CountDistinct(Func):
    """``COUNT(DISTINCT …)`` that Django does not take for an aggregate: a subquery of it is
    one row without a GROUP BY."""

    function = "COUNT"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = IntegerField()


def _counted(user, today, horizon) -> list[Subquery]:
    """What :func:`todo_items` makes one item of, counted: the same querysets, by what tells
    one item from another."""
    sources = [
        (_issue_rows(user), F("pk")),
        # per county and month
        (_review_rows(user), Concat("project__region_id", "period", output_field=CharField())),
        (_approval_rows(user, horizon), F("pk")),
        (_report_rows(user), F("pk")),
        (_decision_rows(user), F("pk")),  # per agenda item, whatever its issues
        (_quota_rows(user, today), F("pk")),
        (_rollover_rows(user), F("pk")),
        (_visit_rows(user, today), F("pk")),  # per project served
    ]
    if _files(user):
        sources += [
            (missing_projects(user, period), F("region_id"))  # per county
            for period in _filing_periods(today)
        ]
    return [
        Coalesce(Subquery(rows.order_by().annotate(n=_CountDistinct(key)).values("n")[:1]), 0)
        for rows, key in sources
        if rows is not None
    ]


def todo_count(user, today: datetime.date | None = None) -> int:
    """How many items :func:`todo_items` would list, counted in the database in one query: for
    the badge in the navigation. The approvals are counted against the shipped calendar's
    horizon; when a day entered by hand falls before it, they are counted again against the
    whole calendar."""
    if user is None or not user.is_authenticated or not user.is_active:
        return 0
    today = today or timezone.localdate()
    horizon = _shipped_horizon(today)
    found = _count(user, today, horizon, entered=Exists(_entered_days(today, horizon)))
    if found is None:
        return 0
    total, entered = found
    if entered:
        total, _entered = _count(user, today, approval_horizon(today), entered=Value(False))
    return total


def _count(user, today, horizon, entered) -> tuple[int, bool] | None:
    counts = _counted(user, today, horizon)
    if not counts:
        return None
    return (
        User.objects.filter(pk=user.pk)
        .annotate(
            todo=ExpressionWrapper(reduce(operator.add, counts), output_field=IntegerField()),
            entered=ExpressionWrapper(entered, output_field=BooleanField()),
        )
        .values_list("todo", "entered")
        .first()
    )
