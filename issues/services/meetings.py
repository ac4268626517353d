"""The weekly meeting (碰头会, SPEC §6): its agenda built from the data, and its decisions."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region
from approvals.models import RUNNING_STATUSES, Approval
from core import events
from core.exceptions import DomainError, NotPermitted
from projects.models import Admission, Project, Stage, Tier

from ..models import OPEN_STATUSES, AgendaItem, EventKind, Issue, Meeting
from .workflow import _required, record

# --- the weekly meeting (碰头会) -------------------------------------------------------------

#: projects heard one by one (逐个过堂); the rest are heard in batches per city
ONE_BY_ONE_TIERS = (Tier.PROVINCIAL_IMPLEMENTATION, Tier.PROVINCIAL_RESERVE)


def heard_one_by_one() -> Q:
    """The projects heard one by one at every meeting, whether or not anything is open for
    them ("对省重大项目和'两重'项目逐个过堂", seed 000, measure 4): the provincial major and "两重"
    projects of the library (not refused at pre-review) until they reach capacity (达效)."""
    return (
        (Q(tier__in=ONE_BY_ONE_TIERS) | Q(two_major=True))
        & ~Q(admission=Admission.REJECTED)
        & ~Q(stage=Stage.AT_CAPACITY)
    )


def _check_meeting_office(by, region: Region | None) -> Region:
    if not by.is_office_staff or region is None:
        raise NotPermitted(_("只有重大办工作人员可以组织碰头会。"), code="not_permitted")
    return region


@transaction.atomic
def meeting_create(
    *, by, date: datetime.date, title: str = "", attending_units=(), region: Region | None = None
) -> Meeting:
    """A meeting of the user's office with its agenda built from the data (SPEC §6): every
    provincial major and "两重" project one by one (:func:`heard_one_by_one`), the others in
    batches per city when they have open issues, a start date at risk or an approval past its
    promise; each with its open issues (overdue first)."""
    region = _check_meeting_office(by, region or by.region)
    if not Region.objects.for_user(by).filter(code=region.code).exists():
        raise DomainError(
            _("会议范围不在您的管辖范围内。"), code="region_out_of_scope", field="region"
        )
    return _new_meeting(
        region=region, date=date, title=title, attending_units=attending_units, by=by
    )


@transaction.atomic
def meeting_for_week(*, region: Region, date: datetime.date) -> Meeting:
    """The meeting of ``region`` on ``date`` for the scheduled agenda (no user): the one staff
    already made for that day (the latest, if they made several), else a new one with the
    default title and its agenda built from the data, as :func:`meeting_create` builds it.
    Generating the agenda again never makes a second meeting."""
    # Two jobs for the same office and week take turns (PostgreSQL; SQLite serialises writers).
    Region.objects.select_for_update().filter(pk=region.pk).first()
    existing = Meeting.objects.filter(region=region, date=date).order_by("-pk").first()
    if existing is not None:
        return existing
    return _new_meeting(region=region, date=date)


def _new_meeting(
    *, region: Region, date: datetime.date, title: str = "", attending_units=(), by=None
) -> Meeting:
    title = (title or "").strip() or _("%(region)s重大项目周碰头会（%(date)s）") % {
        "region": region.name,
        "date": date.isoformat(),
    }
    meeting = Meeting.objects.create(date=date, title=title, region=region, created_by=by)
    meeting.attending_units.set(attending_units)
    _build_agenda(meeting, today=date)
    events.publish(
        "meeting.agenda",
        meeting,
        region=region.code,
        units=meeting.items.filter(issues__unit__isnull=False).values_list(
            "issues__unit", flat=True
        ),
        actor=by,
        payload={"date": date.isoformat(), "title": title},
    )
    return meeting


def _build_agenda(meeting: Meeting, today: datetime.date) -> None:
    prefix = meeting.region.scope_prefix
    open_issues: dict[int, list[Issue]] = {}
    for issue in (
        Issue.objects.filter(
            status__in=OPEN_STATUSES, project__isnull=False, region__code__startswith=prefix
        )
        .order_by("deadline", "reported_at")
        .only("pk", "project_id", "status", "deadline")
    ):
        open_issues.setdefault(issue.project_id, []).append(issue)
    # Approvals still running past their promise by the meeting's day are heard too (SPEC §6).
    late_approvals = Approval.objects.filter(status__in=RUNNING_STATUSES).overdue(today)
    to_discuss = (
        Q(pk__in=list(open_issues))
        | Q(schedule__at_risk=True)
        | Q(pk__in=late_approvals.values("project_id"))
    )
    projects = list(
        Project.objects.filter(to_discuss | heard_one_by_one(), region__code__startswith=prefix)
        .annotate(
            quiet=Case(
                When(to_discuss, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("code", "pk")
    )
    cities = {r.code: r for r in Region.objects.filter(level=Region.Level.CITY)}

    def overdue_first(issue: Issue) -> tuple:
        return (not issue.is_overdue(today), issue.deadline or datetime.date.max)

    def city_of(project: Project) -> Region | None:
        return cities.get(project.region_id[:4] + "00")

    # those with something to discuss first; then, one line each, those with nothing open
    one_by_one = sorted(
        (p for p in projects if p.tier in ONE_BY_ONE_TIERS or p.two_major),
        key=lambda p: p.quiet,
    )
    batched = sorted(
        (p for p in projects if not p.quiet and p not in one_by_one),
        key=lambda p: (p.region_id[:4], p.code or "", p.pk),
    )
    position = 0
    for mode, group in ((AgendaItem.Mode.ONE_BY_ONE, one_by_one), (AgendaItem.Mode.BATCH, batched)):
        for project in group:
            position += 1
            item = AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                mode=mode,
                batch_region=city_of(project) if mode == AgendaItem.Mode.BATCH else None,
                project=project,
            )
            item.issues.set(sorted(open_issues.get(project.pk, []), key=overdue_first))


def can_record_decision(user, meeting: Meeting) -> bool:
    """The staff of the office that holds the meeting record its decisions (会商意见)."""
    return user.is_office_staff and (user.sees_everything or user.region_id == meeting.region_id)


@transaction.atomic
def agenda_decide(*, item: AgendaItem, by, decision: str) -> AgendaItem:
    """会商意见 for one agenda item; it becomes an event on each of the item's open issues."""
    meeting = item.meeting
    if not can_record_decision(by, meeting):
        raise NotPermitted(_("只有组织会议的重大办可以记录会商意见。"), code="not_permitted")
    decision = _required(decision, "decision", _("请填写会商意见。"))
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    item.decision = decision
    item.decided_by = by
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "decided_by", "decided_at"])
    for issue in item.issues.filter(status__in=OPEN_STATUSES):
        record(issue, EventKind.DECISION, by, comment=decision, meeting=meeting)
    return item
