"""Benchmark: recomputing every project's schedule, as the nightly job does.

Builds N projects (default 2,000 — a province's major projects), each given the 15 milestones
and 17 links of the shipped infrastructure template with random progress, then measures
``recompute_all`` (what the nightly Celery job and a calendar change run: read every milestone
and link, both passes per project, store the summaries) against a floor: the same backward and
forward passes in plain Python over plain tuples, with the data already in memory and the
working days already numbered. Also one project's ``GET …/schedule/``.

    .venv/bin/python bench/schedule_recompute.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/schedule_recompute.py --projects 2000

Goal (issue 21): ``recompute_all`` ≤ 2× the floor.
"""

import datetime
import random
import sys
from bisect import bisect_left, bisect_right
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def add_projects(count: int, rng: random.Random, **fields) -> None:
    """``count`` filed projects of enterprises spread over every county (one enterprise per
    three projects); ``fields`` set more of each project's fields (a value or a callable)."""
    from decimal import Decimal

    from accounts.models import Region, Unit
    from projects.models import Category, Project, Stage, Tier

    counties = list(Region.objects.filter(level=Region.Level.COUNTY))
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"基准企业{i:05d}有限公司", kind="enterprise", region=rng.choice(counties))
            for i in range(max(count // 3, 1))
        ]
    )
    projects = []
    for i in range(count):
        unit = rng.choice(units)
        values = {
            "category": rng.choice(Category.values),
            "tier": rng.choice(Tier.values),
            "stage": Stage.FILED,
            "total_investment": Decimal(rng.randint(3000, 2_000_000)),
        }
        values.update({key: value() if callable(value) else value for key, value in fields.items()})
        projects.append(Project(name=f"基准项目{i:06d}", unit=unit, region=unit.region, **values))
    Project.objects.bulk_create(projects, batch_size=1000)


def build(count: int) -> int:
    """``count`` projects with the infrastructure template's milestones and links; returns how
    many milestones."""
    from django.utils import timezone

    from projects.models import Category, Project
    from schedule.models import Milestone, MilestoneLink, ScheduleTemplate

    rng = random.Random(11)
    today = timezone.localdate()
    add_projects(
        count,
        rng,
        category=Category.INFRASTRUCTURE,
        # 3 to 18 months ahead, so some projects have float and some have none
        planned_start=lambda: today + datetime.timedelta(days=rng.randint(90, 540)),
    )

    template = ScheduleTemplate.objects.get(category="infrastructure")
    steps = list(template.steps.prefetch_related("predecessor_links"))
    position_of = {step.pk: step.position for step in steps}
    milestones = []
    for project_id in Project.objects.values_list("pk", flat=True):
        done = rng.randint(0, len(steps) - 2)
        day = today - datetime.timedelta(days=15 * done + 10)
        for index, step in enumerate(steps):
            row = Milestone(
                project_id=project_id,
                position=step.position,
                kind=step.kind,
                name=step.name,
                duration_days=step.duration_days,
                handler=step.handler,
            )
            if index < done:
                row.status, row.actual_start = "done", day
                row.actual_finish = day + datetime.timedelta(days=10)
                day += datetime.timedelta(days=15)
            elif index == done:
                row.status, row.actual_start = "in_progress", day
            milestones.append(row)
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    pk_of = {
        (project_id, position): pk
        for pk, project_id, position in Milestone.objects.values_list(
            "pk", "project_id", "position"
        )
    }
    links = [
        MilestoneLink(
            successor_id=pk_of[(project_id, step.position)],
            predecessor_id=pk_of[(project_id, position_of[link.predecessor_id])],
            lag_days=link.lag_days,
        )
        for project_id in {key[0] for key in pk_of}
        for step in steps
        for link in step.predecessor_links.all()
    ]
    MilestoneLink.objects.bulk_create(links, batch_size=5000)
    return len(milestones)


# --- the floor ----------------------------------------------------------------------------------


def plain_data(today: datetime.date):
    """Every project as plain tuples, read once before timing: (id, planned start, milestones), a
    milestone being (id, duration, ((predecessor, lag), …), status, actual start, actual
    finish, is anchor); the working days as a sorted tuple of dates; the years it knows."""
    from collections import defaultdict

    from projects.models import Project
    from schedule.models import ANCHOR_KIND, Milestone, MilestoneLink
    from schedule.workdays import current_calendar

    links = defaultdict(list)
    for successor, predecessor, lag in MilestoneLink.objects.values_list(
        "successor_id", "predecessor_id", "lag_days"
    ):
        links[successor].append((predecessor, lag))
    milestones = defaultdict(list)
    for pk, project_id, duration, status, start, finish, kind in Milestone.objects.order_by(
        "project_id", "position", "id"
    ).values_list(
        "pk", "project_id", "duration_days", "status", "actual_start", "actual_finish", "kind"
    ):
        milestones[project_id].append(
            (pk, duration, tuple(links[pk]), status, start, finish, kind == ANCHOR_KIND)
        )
    planned = dict(Project.objects.values_list("pk", "planned_start"))
    projects = [
        (project_id, planned[project_id], tuple(rows)) for project_id, rows in milestones.items()
    ]
    calendar = current_calendar()
    return projects, tuple(calendar._days), calendar.known_years


def plain_cpm(projects, days, known_years, today: datetime.date) -> dict:
    """The backward pass from the anchor and the forward pass from today over working-day
    numbers, per project: what its stored summary holds — anchor date, forecast anchor date,
    at risk, least float, whether the dates reach a year the calendar does not know, and the
    warnings (as codes: the platform's are translated sentences)."""
    now = bisect_left(days, today)
    return {
        project_id: _plain_project(planned_start, rows, days, known_years, today, now)
        for project_id, planned_start, rows in projects
    }


def _plain_project(planned_start, rows, days, known_years, today, now):
    anchor = next((row[0] for row in rows if row[6]), None)
    order, preds, succs = _plain_order(rows, anchor)
    info = {row[0]: row for row in rows}
    warnings = []
    # backward
    latest = {}
    anchor_number = bisect_right(days, planned_start) - 1
    for node in reversed(order):
        duration = info[node][1]
        if node == anchor:
            finish = anchor_number + duration - 1 if duration else anchor_number
        else:
            finish = min(latest[s] - lag - (1 if duration else 0) for s, lag in succs[node])
        latest[node] = finish - duration + 1 if duration else finish
    early_start, early_finish = _plain_forward(order, preds, info, days, now, warnings)
    floats = [latest[n] - early_start[n] for n in order if info[n][5] is None]
    anchor_date = days[anchor_number]
    if anchor_date != planned_start:
        warnings.append(("not_a_working_day", planned_start))
    forecast = days[early_start[anchor]] if anchor is not None else None
    if forecast is not None and forecast > anchor_date:
        warnings.append(("late_start", forecast))
    numbers = [*latest.values(), *early_start.values(), *early_finish.values()]
    first = min(today, planned_start, days[min(numbers)])
    last = max(today, planned_start, days[max(numbers)])
    provisional = [y for y in range(first.year, last.year + 1) if y not in known_years]
    return (
        anchor_date,
        forecast,
        any(latest[n] < early_start[n] for n in order),
        min(floats, default=None),
        bool(provisional),
        warnings,
    )


def _plain_order(rows, anchor):
    """A topological order (Kahn), with the implicit links of the sinks to the anchor."""
    preds = {row[0]: list(row[2]) for row in rows}
    linked = {p for row in rows for p, _lag in row[2]}
    if anchor is not None:
        preds[anchor] += [(row[0], 0) for row in rows if row[0] != anchor and row[0] not in linked]
    succs = {row[0]: [] for row in rows}
    waiting = {}
    for node, links in preds.items():
        waiting[node] = len(links)
        for p, lag in links:
            succs[p].append((node, lag))
    ready = [row[0] for row in rows if not waiting[row[0]]]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for s, _lag in succs[node]:
            waiting[s] -= 1
            if not waiting[s]:
                ready.append(s)
    return order, preds, succs


def _plain_forward(order, preds, info, days, now, warnings):
    early_start, early_finish = {}, {}
    for node in order:
        _id, duration, _links, status, actual_start, actual_finish, _a = info[node]
        if status == "done" and actual_finish is not None:
            finish = bisect_right(days, actual_finish) - 1
            start = min(bisect_left(days, actual_start), finish) if actual_start else finish
        elif status in ("done", "in_progress"):
            if status == "done":
                warnings.append(("done_without_finish", _id))
            start = bisect_left(days, actual_start) if actual_start else now
            if not actual_start:
                warnings.append(("started_without_start", _id))
            finish = start + duration - 1 if duration else start
            if status == "in_progress" and finish < now:
                warnings.append(("past_its_duration", _id))
        else:
            start = now
            for p, lag in preds[node]:
                start = max(start, early_finish[p] + (1 if info[p][1] else 0) + lag)
            finish = start + duration - 1 if duration else start
        early_start[node], early_finish[node] = start, finish
    return early_start, early_finish


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=2000)
    with harness.own_database("schedule_recompute"):
        harness.setup_django()
        from django.db import connection
        from django.utils import timezone
        from rest_framework.test import APIClient

        from accounts.models import Region, Role, User
        from projects.models import Project
        from schedule.models import ProjectSchedule
        from schedule.recompute import recompute_all

        milestones = build(args.projects)
        bench = harness.Bench(
            "schedule_recompute",
            f"{args.projects:,} projects × 15 milestones ({milestones:,}), {connection.vendor}",
        )
        bench.note(f"dataset: {bench.dataset}")
        today = timezone.localdate()

        platform = harness.measure(lambda: recompute_all(today=today), repeat=5, memory=True)
        projects, days, known_years = plain_data(today)
        floor = harness.measure(
            lambda: plain_cpm(projects, days, known_years, today), repeat=5, memory=True
        )
        # the floor computes what the platform stores
        plain = plain_cpm(projects, days, known_years, today)
        stored = ProjectSchedule.objects.values_list(
            "project_id", "anchor_date", "forecast_anchor_date", "at_risk", "min_float"
        )
        assert all(plain[row[0]][:4] == row[1:] for row in stored), "the floor disagrees"
        at_risk = ProjectSchedule.objects.filter(at_risk=True).count()
        bench.note(f"{ProjectSchedule.objects.count():,} summaries stored, {at_risk:,} at risk")
        bench.compare(
            "recompute_all (read, both passes, store)",
            platform,
            floor,
            floor_name="pure-Python CPM over tuples in memory",
            goal=2,
        )

        user = User.objects.create_user("bench_schedule", region=Region.objects.get(code="320000"))
        user.roles.set(Role.objects.filter(code="office_staff"))
        api = APIClient()
        api.force_authenticate(user)
        url = f"/api/v1/projects/{Project.objects.order_by('pk').last().pk}/schedule/"
        assert api.get(url).status_code == 200
        bench.compare(
            "GET /api/v1/projects/{id}/schedule/",
            harness.measure(lambda: api.get(url), repeat=20),
            None,
        )
        return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
