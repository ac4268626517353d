"""Which sub-library a project sits in, and whether it is a new start or continuing, for a year
(seed 003: 储备项目、年度建设项目、重点工程三类项目子库，按月更新) — one rule, written once as
database expressions, for the yearly rollover and for a project whose stage changes.

For the year Y:

* completed (竣工) before Y: out of the year's construction lists — 已竣工 (``completed``);
* started (开工), and not completed before Y: 年度建设库, 新开工 when started in Y, else 续建;
* not started, planned to start by the end of Y (a start already late counts too): 年度建设库,
  新开工;
* not started, with no planned start or one after Y: 储备库.

A project designated 重点工程 by its office stays in that library while it is started or to be
started in Y; only its completion before Y takes it out. Projects refused at pre-review are left
where they are.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core.exceptions import DomainError, NotPermitted

from .choices import Admission, ConstructionKind, SubLibrary
from .models import LibraryRollover, Project

#: how many projects are read and written at once when a rollover is applied
APPLY_BATCH = 1000


def label(library: str, kind: str) -> str:
    """A placement as written: ``年度建设库（新开工）``, ``储备库``."""
    text = str(SubLibrary(library).label)
    return f"{text}（{ConstructionKind(kind).label}）" if kind else text


def placement(year: int) -> tuple[Case, Case]:
    """The sub-library and the construction kind the rule gives each project for ``year``."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    completed_before = Q(completed_on__lt=first)
    started = Q(started_on__isnull=False)
    due = Q(started_on__isnull=True, planned_start__lte=last)
    building = Case(
        When(sub_library=SubLibrary.KEY, then=Value(SubLibrary.KEY.value)),
        default=Value(SubLibrary.ANNUAL.value),
        output_field=CharField(),
    )
    library = Case(
        When(completed_before, then=Value(SubLibrary.COMPLETED.value)),
        When(started | due, then=building),
        When(sub_library=SubLibrary.KEY, then=Value(SubLibrary.KEY.value)),
        default=Value(SubLibrary.RESERVE.value),
        output_field=CharField(),
    )
    kind = Case(
        When(completed_before, then=Value("")),
        When(started & Q(started_on__lt=first), then=Value(ConstructionKind.CONTINUING.value)),
        When(started | due, then=Value(ConstructionKind.NEW.value)),
        default=Value(""),
        output_field=CharField(),
    )
    return library, kind


def moves(projects: QuerySet, year: int) -> QuerySet:
    """The projects among ``projects`` the rule places elsewhere for ``year`` than where they
    are, annotated with ``to_library`` and ``to_kind``, in id order."""
    library, kind = placement(year)
    return (
        projects.exclude(admission=Admission.REJECTED)
        .annotate(to_library=library, to_kind=kind)
        .exclude(Q(sub_library=library) & Q(construction_kind=kind))
        .order_by("pk")
    )


def summary(projects: QuerySet, year: int) -> list[dict]:
    """The moves counted by where from and where to: the preview's table."""
    rows = (
        moves(projects, year)
        .order_by()
        .values("sub_library", "construction_kind", "to_library", "to_kind")
        .annotate(n=Count("pk"))
        .order_by("sub_library", "construction_kind", "to_library", "to_kind")
    )
    return list(rows)


@transaction.atomic
def apply(projects: QuerySet, year: int, *, by, reason: str = "") -> int:
    """Place every project of ``projects`` as the rule says for ``year``: the moves written in
    batches, each with its change in the project's history (who, when, why). Answers how many
    projects moved; applied again it moves none."""
    reason = reason or _("%(year)s年项目库滚动") % {"year": year}
    moved = 0
    pending = moves(projects.select_for_update(of=("self",)), year)
    after = 0
    while batch := list(pending.filter(pk__gt=after)[:APPLY_BATCH]):
        for project in batch:
            project.sub_library, project.construction_kind = project.to_library, project.to_kind
        bulk_update_with_history(
            batch,
            Project,
            ["sub_library", "construction_kind"],
            default_user=by,
            default_change_reason=reason,
        )
        moved += len(batch)
        after = batch[-1].pk
    return moved


def scope_of(region) -> QuerySet:
    """The projects of ``region`` and below."""
    return Project.objects.filter(region__code__startswith=region.scope_prefix)


def propose(region, year: int) -> LibraryRollover:
    """The region's rollover for ``year`` proposed (or its count of moves brought up to date
    while it waits): what puts it on the office's to-do list. An applied one is left alone."""
    rollover, created = LibraryRollover.objects.get_or_create(
        region=region, year=year, defaults={"proposed_moves": moves(scope_of(region), year).count()}
    )
    if not created and rollover.status == LibraryRollover.Status.PROPOSED:
        rollover.proposed_moves = moves(scope_of(region), year).count()
        rollover.save(update_fields=["proposed_moves"])
    return rollover


@transaction.atomic
def confirm(*, by, region, year: int, expected: int) -> int:
    """The office confirms the rollover its preview showed: applied when the moves are still
    the ``expected`` number (else nothing changes and the office looks again). Answers how
    many projects moved."""
    if not (by.is_office_staff and by.can_edit_library):
        raise NotPermitted(_("只有重大办工作人员可以确认年度项目库滚动。"), code="not_permitted")
    projects = Project.objects.for_user(by).filter(region__code__startswith=region.scope_prefix)
    now = moves(projects, year).count()
    if now != expected:
        raise DomainError(
            _("预览后项目库有变化（需调整的项目由%(seen)s个变为%(now)s个），请重新查看后再确认。")
            % {"seen": expected, "now": now},
            code="preview_stale",
        )
    moved = apply(projects, year, by=by)
    record_applied(region, year, moved, by=by)
    return moved


def record_applied(region, year: int, moved: int, *, by) -> LibraryRollover:
    rollover, _created = LibraryRollover.objects.get_or_create(
        region=region, year=year, defaults={"proposed_moves": moved}
    )
    rollover.status = LibraryRollover.Status.APPLIED
    rollover.moved = moved
    rollover.applied_at = timezone.now()
    rollover.applied_by = by
    rollover.save()
    return rollover
