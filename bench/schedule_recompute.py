"""Benchmark: recomputing every project's schedule, as the nightly job does.

Builds a throwaway database with N projects (default 2,000 — a province's major projects)
each given ≈15 milestones from the shipped infrastructure template (15 steps, 17 links) with
random progress, then reports the time and query count of ``recompute_all`` (what the nightly
Celery job and a calendar change run), of the in-memory passes alone, and of one project's
``GET …/schedule/``.

    .venv/bin/python bench/schedule_recompute.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \
        .venv/bin/python bench/schedule_recompute.py --projects 2000

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project_library import build, measure, setup_django  # noqa: E402


def add_milestones() -> int:
    from django.utils import timezone

    from projects.models import Project
    from schedule.models import Milestone, MilestoneLink, ScheduleTemplate

    template = ScheduleTemplate.objects.get(category="infrastructure")
    steps = list(template.steps.prefetch_related("predecessor_links"))
    rng = random.Random(11)
    today = timezone.localdate()
    milestones = []
    planned = []
    for project in Project.objects.only("pk"):
        # planned starts 3 to 18 months ahead, so some projects have float and some have none
        project.planned_start = today + datetime.timedelta(days=rng.randint(90, 540))
        planned.append(project)
        done = rng.randint(0, len(steps) - 2)
        day = today - datetime.timedelta(days=15 * done + 10)
        for index, step in enumerate(steps):
            row = Milestone(
                project_id=project.pk,
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
    Project.objects.bulk_update(planned, ["planned_start"], batch_size=500)
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    rows = Milestone.objects.values_list("pk", "project_id", "position")
    by_project_position = {(project_id, position): pk for pk, project_id, position in rows}
    links = []
    for project_id in {key[0] for key in by_project_position}:
        for step in steps:
            for link in step.predecessor_links.all():
                predecessor = next(s.position for s in steps if s.pk == link.predecessor_id)
                links.append(
                    MilestoneLink(
                        successor_id=by_project_position[(project_id, step.position)],
                        predecessor_id=by_project_position[(project_id, predecessor)],
                        lag_days=link.lag_days,
                    )
                )
    MilestoneLink.objects.bulk_create(links, batch_size=5000)
    return len(milestones)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User
    from projects.models import Project
    from schedule.models import ProjectSchedule
    from schedule.recompute import project_schedule, recompute_all
    from schedule.workdays import current_calendar

    print(f"database: {connection.vendor}; building {args.projects} projects …")
    start = time.perf_counter()
    build(args.projects)
    count = add_milestones()
    print(f"built {count} milestones in {time.perf_counter() - start:.1f} s\n")

    timings = []
    with CaptureQueriesContext(connection) as queries:
        recompute_all()
    query_count = len(queries)
    for _ in range(args.repeat):
        start = time.perf_counter()
        computed = recompute_all()
        timings.append(time.perf_counter() - start)
    at_risk = ProjectSchedule.objects.filter(at_risk=True).count()
    print(
        f"recompute_all: {computed} projects, {count} milestones: "
        f"median {statistics.median(timings):.2f} s, max {max(timings):.2f} s, "
        f"{query_count} queries ({at_risk} at risk)"
    )

    calendar = current_calendar()
    start = time.perf_counter()
    for project in Project.objects.all()[:200]:
        project_schedule(project, calendar=calendar)
    per_project = (time.perf_counter() - start) / 200 * 1000
    print(f"project_schedule (load + both passes), one project: {per_project:.1f} ms")

    user = User.objects.create_user("bench_schedule", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    api = APIClient()
    api.force_authenticate(user)
    url = f"/api/v1/projects/{project.pk}/schedule/"
    measure("GET /api/v1/projects/{id}/schedule/", lambda: api.get(url), repeat=20)


if __name__ == "__main__":
    main()
