"""Milestones and templates through the services: validation, recomputation, the anchor."""

import datetime as dt
import gc
import random

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from core.exceptions import DomainError
from projects import services as project_services
from projects.models import Stage
from schedule import recompute, services
from schedule.models import (
    ANCHOR_KIND,
    CalendarDay,
    CalendarYear,
    Milestone,
    MilestoneKind,
    MilestoneLink,
    ProjectSchedule,
    ScheduleTemplate,
)
from schedule.services import Predecessor, StepSpec
from schedule.workdays import WorkdayCalendar

from . import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def industrial():
    return ScheduleTemplate.objects.get(category="industrial")


@pytest.fixture
def office(people):
    return people["province_office"]


@pytest.fixture
def project(library):
    return library["jiangyin_other"]


def test_shipped_templates_are_realistic(db):
    for template in ScheduleTemplate.objects.all():
        steps = list(template.steps.all())
        assert 12 <= len(steps) <= 16
        assert [s.kind for s in steps].count("construction_start") == 1
    assert set(ScheduleTemplate.objects.values_list("category", flat=True)) == {
        "industrial",
        "infrastructure",
    }


def test_applying_a_template_creates_linked_milestones(project, industrial, office):
    project_services.project_update(
        project=project, by=office, planned_start=TODAY + dt.timedelta(days=400)
    )
    milestones = services.apply_template(project=project, template=industrial, by=office)
    assert len(milestones) == industrial.steps.count()
    anchor = project.milestones.get(kind="construction_start")
    permit = project.milestones.get(kind="construction_permit")
    assert set(permit.predecessor_links.values_list("predecessor__name", flat=True)) == {
        "环评批复",
        "节能审查",
        "水土保持方案批复",
        "建设工程规划许可证",
        "施工招标",
    }
    assert anchor.predecessor_links.get().predecessor == permit
    # 自然资源 work goes to the nearest natural-resources department; company work to the unit.
    assert project.milestones.get(name="用地预审与选址意见").responsible_unit.name == "省自然资源厅"
    assert project.milestones.get(name="施工招标").responsible_unit == project.unit
    summary = ProjectSchedule.objects.get(project=project)
    assert not summary.at_risk
    assert summary.anchor_date is not None


def test_a_template_applies_only_once(project, industrial, office):
    services.apply_template(project=project, template=industrial, by=office)
    count = Milestone.objects.count()
    with pytest.raises(DomainError) as caught:
        services.apply_template(project=project, template=industrial, by=office)
    assert caught.value.code == "milestones_exist"
    assert Milestone.objects.count() == count


def test_a_tight_planned_start_puts_the_project_at_risk(project, industrial, office):
    project_services.project_update(
        project=project, by=office, planned_start=TODAY + dt.timedelta(days=30)
    )
    services.apply_template(project=project, template=industrial, by=office)
    assert ProjectSchedule.objects.get(project=project).at_risk
    project_services.project_update(
        project=project, by=office, planned_start=TODAY + dt.timedelta(days=700)
    )
    summary = ProjectSchedule.objects.get(project=project)
    assert not summary.at_risk  # moving the planned start recomputes at once
    assert summary.anchor_date >= TODAY + dt.timedelta(days=690)


def test_the_first_milestone_brings_the_anchor(project, office):
    first = services.milestone_create(
        project=project, by=office, kind="eia", name="环评批复", duration_days=30
    )
    anchor = project.milestones.get(kind="construction_start")
    assert anchor.duration_days == 0 and anchor.name == "开工"
    assert first.position == 1
    with pytest.raises(DomainError) as caught:
        services.milestone_delete(milestone=anchor, by=office)
    assert caught.value.code == "anchor_required"


def test_a_cycle_is_refused_and_nothing_changes(project, office):
    a = services.milestone_create(
        project=project, by=office, kind="land_pre_review", name="用地预审", duration_days=20
    )
    b = services.milestone_create(
        project=project,
        by=office,
        kind="planning_permit",
        name="规划许可",
        duration_days=10,
        predecessors=[Predecessor(a)],
    )
    c = services.milestone_create(
        project=project,
        by=office,
        kind="drawing_review",
        name="施工图审查",
        duration_days=15,
        predecessors=[Predecessor(b, 2)],
    )
    links_before = set(MilestoneLink.objects.values_list("successor", "predecessor", "lag_days"))
    with pytest.raises(DomainError) as caught:
        services.milestone_update(milestone=a, by=office, predecessors=[Predecessor(c)])
    assert caught.value.code == "milestone_cycle"
    message = caught.value.messages[0]
    assert "用地预审 → 规划许可 → 施工图审查 → 用地预审" in message
    assert set(MilestoneLink.objects.values_list("successor", "predecessor", "lag_days")) == (
        links_before
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": "done"}, "actual_finish_required"),
        ({"status": "in_progress"}, "actual_start_required"),
        ({"status": "not_started", "actual_start": TODAY}, "dates_without_start"),
        ({"actual_start": TODAY + dt.timedelta(days=1)}, "actual_in_future"),
        (
            {"actual_start": TODAY, "actual_finish": TODAY - dt.timedelta(days=3)},
            "finish_before_start",
        ),
        ({"kind": "construction_start"}, "anchor_exists"),
        ({"name": "  "}, "name_required"),
    ],
)
def test_inconsistent_milestones_are_refused(project, office, fields, code):
    milestone = services.milestone_create(
        project=project, by=office, kind="eia", name="环评批复", duration_days=30
    )
    with pytest.raises(DomainError) as caught:
        services.milestone_update(milestone=milestone, by=office, **fields)
    assert caught.value.code == code
    milestone.refresh_from_db()
    assert milestone.status == "not_started" and milestone.actual_start is None


def test_dates_alone_set_the_status(project, office):
    milestone = services.milestone_create(
        project=project, by=office, kind="eia", name="环评批复", duration_days=30
    )
    started = TODAY - dt.timedelta(days=10)
    services.milestone_update(milestone=milestone, by=office, actual_start=started)
    milestone.refresh_from_db()
    assert milestone.status == "in_progress"
    services.milestone_update(milestone=milestone, by=office, actual_finish=TODAY)
    milestone.refresh_from_db()
    assert milestone.status == "done"
    assert milestone.history.count() == 3


def test_a_unit_of_another_region_cannot_be_responsible(project, office):
    elsewhere = factories.unit("宿迁某局", "321300", "department")
    with pytest.raises(DomainError) as caught:
        services.milestone_create(
            project=project,
            by=office,
            kind="eia",
            name="环评批复",
            duration_days=30,
            responsible_unit=elsewhere,
        )
    assert caught.value.code == "unit_out_of_region"
    assert not project.milestones.exists()


def test_starting_the_project_finishes_the_anchor(project, industrial, office):
    services.apply_template(project=project, template=industrial, by=office)
    started = TODAY - dt.timedelta(days=1)
    project_services.project_transition(
        project=project, stage=Stage.FILED, date=started - dt.timedelta(days=5), by=office
    )
    project_services.project_transition(
        project=project, stage=Stage.STARTED, date=started, by=office
    )
    anchor = project.milestones.get(kind="construction_start")
    assert anchor.status == "done" and anchor.actual_finish == started
    project_services.project_transition(
        project=project, stage=Stage.FILED, date=None, by=office, reason="开工日期录错"
    )
    anchor.refresh_from_db()
    assert anchor.status == "not_started" and anchor.actual_finish is None


def test_recompute_all_covers_every_project(library, industrial, office):
    far = TODAY + dt.timedelta(days=700)
    near = TODAY + dt.timedelta(days=20)
    for key, planned in (("yixing", far), ("shuyang", near)):
        project_services.project_update(project=library[key], by=office, planned_start=planned)
        services.apply_template(project=library[key], template=industrial, by=office)
    ProjectSchedule.objects.filter(project=library["yixing"]).delete()
    # a summary left from milestones since removed: the run removes it
    ProjectSchedule.objects.create(
        project=library["nanjing"],
        at_risk=True,
        computed_for=TODAY - dt.timedelta(days=1),
        computed_at=timezone.now() - dt.timedelta(days=1),
    )
    assert recompute.recompute_all() == 2
    assert not ProjectSchedule.objects.get(project=library["yixing"]).at_risk
    assert ProjectSchedule.objects.get(project=library["shuyang"]).at_risk
    assert ProjectSchedule.objects.get(project=library["shuyang"]).computed_for == TODAY
    assert not ProjectSchedule.objects.filter(project=library["nanjing"]).exists()


def summaries():
    return {
        row[0]: row[1:]
        for row in ProjectSchedule.objects.values_list(
            "project_id",
            "anchor_date",
            "forecast_anchor_date",
            "at_risk",
            "min_float",
            "calendar_provisional",
            "warnings",
            "computed_for",
        )
    }


@pytest.mark.parametrize("chunk", [5000, 2, 1])
def test_recompute_all_stores_what_each_project_recompute_stores(
    library, industrial, office, chunk, monkeypatch
):
    """The nightly run reads the names of the milestones under way only, and again every name
    of a project whose schedule fails: its warnings and errors are those of one project's
    recompute, which reads everything. So it is however many projects it reads at a time."""
    monkeypatch.setattr(recompute, "RECOMPUTE_CHUNK", chunk)
    keys = ("yixing", "shuyang", "nanjing", "jiangyin_other")
    for days, key in enumerate(keys):
        project_services.project_update(
            project=library[key], by=office, planned_start=TODAY + dt.timedelta(days=60 + days)
        )
        services.apply_template(project=library[key], template=industrial, by=office)
    late, looping, foreign, _fine = (
        list(Milestone.objects.filter(project=library[key]).order_by("position")) for key in keys
    )
    # under way for far longer than its duration: a warning that names it
    Milestone.objects.filter(pk=late[1].pk).update(
        status="in_progress", actual_start=TODAY - dt.timedelta(days=300)
    )
    # links the services refuse, written straight to the table: a cycle, and a predecessor in
    # another project; errors that name the milestones
    link = MilestoneLink.objects.filter(successor__project=library["shuyang"]).first()
    MilestoneLink.objects.create(successor=link.predecessor, predecessor=link.successor)
    MilestoneLink.objects.create(successor=foreign[2], predecessor=late[0])
    for key in keys:
        library[key].refresh_from_db()
        recompute.recompute_project(library[key])
    each = summaries()
    ProjectSchedule.objects.all().delete()
    assert recompute.recompute_all() == 4
    assert summaries() == each
    assert gc.isenabled()  # paused while reading and computing only
    assert any(late[1].name in warning for warning in each[library["yixing"].pk][-2])
    assert link.successor.name in each[library["shuyang"].pk][-2][0]
    assert foreign[2].name in each[library["nanjing"].pk][-2][0]


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_a_calendar_override_recomputes_the_schedules(
    project, office, eager_celery, django_capture_on_commit_callbacks
):
    # Planned start: 14 working days after today (or the next working day); a 14-day task fits
    # exactly, with no float to spare.
    calendar = WorkdayCalendar()
    planned = calendar.add_workdays(calendar.add_workdays(TODAY, 0), 14)
    project_services.project_update(project=project, by=office, planned_start=planned)
    services.milestone_create(
        project=project, by=office, kind="eia", name="环评批复", duration_days=14
    )
    assert not ProjectSchedule.objects.get(project=project).at_risk
    # The office declares a working day in between a day off: the task no longer fits.
    day_off = calendar.add_workdays(TODAY, 5)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=day_off, is_workday=False, note="临时调整")
    assert ProjectSchedule.objects.get(project=project).at_risk
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.filter(date=day_off).delete()
    assert not ProjectSchedule.objects.get(project=project).at_risk


def test_the_database_calendar_knows_entered_years(db):
    from schedule.workdays import current_calendar

    assert current_calendar().is_provisional(2027)
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕某号")
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    calendar = current_calendar()
    assert not calendar.is_provisional(2027)
    assert not calendar.is_workday(dt.date(2027, 1, 1))


def test_template_save_checks_the_network(office):
    template = ScheduleTemplate(name="小型项目")
    steps = [
        StepSpec(1, "approval_filing", "备案", 5, "development_reform", ((2, 0),)),
        StepSpec(2, "construction_permit", "施工许可", 5, "housing", ((1, 0),)),
        StepSpec(3, "construction_start", "开工", 0, "project_unit", ((2, 0),)),
    ]
    with pytest.raises(DomainError) as caught:
        services.template_save(template=template, steps=steps, by=office)
    assert caught.value.code == "milestone_cycle"
    assert not ScheduleTemplate.objects.filter(name="小型项目").exists()
    steps[0] = StepSpec(1, "approval_filing", "备案", 5, "development_reform")
    saved = services.template_save(template=template, steps=steps, by=office)
    assert saved.steps.count() == 3
    assert saved.updated_by == office


def test_calendar_entries_outside_the_calendar_are_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        CalendarDay(date=dt.date(1999, 10, 1), is_workday=False, note="国庆").full_clean()
    assert "2000年至2060年" in str(caught.value)
    with pytest.raises(ValidationError):
        CalendarYear(year=2099).full_clean()
    CalendarYear(year=2027, source="国办发明电").full_clean()


def random_network(rng, project, today):
    """Milestones and links of every sort on ``project``: usual ones, and those the services
    refuse (predecessors listed after their successors, cycles, links out of the anchor, dates
    the calendar does not cover), written straight to the tables."""
    kinds = [kind for kind in MilestoneKind.values if kind != ANCHOR_KIND]
    count = rng.randint(1, 9)
    # the anchor last, as in the templates, mostly
    anchor_at = rng.choice([count - 1] * 8 + [rng.randrange(count), None])
    milestones = []
    for at in range(count):
        start = finish = None
        state = rng.random()
        if state < 0.35:
            start = today + dt.timedelta(days=rng.randint(-200, 10))
            finish = start + dt.timedelta(days=rng.randint(0, 40))
        elif state < 0.45:
            finish = today + dt.timedelta(days=rng.randint(-200, 0))
        elif state < 0.65:
            start = today + dt.timedelta(days=rng.randint(-200, 5))
        if rng.random() < 0.02:
            start, finish = dt.date(1999, 12, 20), None  # before the calendar's span
        milestones.append(
            Milestone(
                project=project,
                position=at if at == anchor_at else rng.choice([at, at, rng.randint(0, count)]),
                kind=ANCHOR_KIND if at == anchor_at else rng.choice(kinds),
                name=f"节点{at}",
                duration_days=rng.choice([0, 1, 3, 5, 10, 20, 60]),
                status="done" if finish else "in_progress" if start else "not_started",
                actual_start=start,
                actual_finish=finish,
            )
        )
    Milestone.objects.bulk_create(milestones)
    milestones.sort(key=lambda milestone: (milestone.position, milestone.pk))
    links = []
    for at, milestone in enumerate(milestones):
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            if rng.random() < 0.93:
                if at == 0:
                    continue
                predecessor = milestones[rng.randrange(at)]  # listed before
            else:
                predecessor = rng.choice(milestones)  # any: after, a cycle, the anchor
            if predecessor is not milestone:
                links.append((milestone, predecessor, rng.choice([0, 0, 0, 2, 5])))
    # one link per pair (the table's unique constraint), the last lag drawn
    lags = {(successor, predecessor): lag for successor, predecessor, lag in links}
    MilestoneLink.objects.bulk_create(
        [
            MilestoneLink(successor=successor, predecessor=predecessor, lag_days=lag)
            for (successor, predecessor), lag in lags.items()
        ]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recompute_all_computes_the_usual_projects_as_the_scheduler_does(
    people, office, seed, monkeypatch
):
    """The nightly run computes the usual projects' summaries on its own (a database's
    reading of the dates, the same passes); whatever the network, each summary is the one the
    scheduler gives the project, and the usual projects are most."""
    rng = random.Random(seed)
    projects = [
        factories.project(
            "320281",
            by=office,
            planned_start=None
            if rng.random() < 0.05
            else TODAY + dt.timedelta(days=rng.randint(-100, 900)),
        )
        for _ in range(40)
    ]
    for project in projects:
        random_network(rng, project, TODAY)
    for project in projects:
        recompute.recompute_project(project)
    each = summaries()
    ProjectSchedule.objects.all().delete()
    usual = []
    summary_of = recompute._usual_summary

    def counted(project_id, *args):
        found = summary_of(project_id, *args)
        if found is not None:
            usual.append(project_id)
        return found

    def compared(found):
        # which cycle an error names depends on the order the links are read in (the
        # project's recompute reads them in its predecessors' order, the nightly run in any)
        return {
            project_id: (*summary[:5], ["cycle"], *summary[6:])
            if summary[5] and summary[5][0].startswith("前置关系存在循环")
            else summary
            for project_id, summary in found.items()
        }

    monkeypatch.setattr(recompute, "_usual_summary", counted)
    assert recompute.recompute_all() == len(each)
    assert compared(summaries()) == compared(each)
    assert len(usual) >= len(each) / 3
    # and for another day, when more of them are late
    later = TODAY + dt.timedelta(days=400)
    for project in projects:
        recompute.recompute_project(project, today=later)
    each = summaries()
    assert recompute.recompute_all(today=later) == len(each)
    assert compared(summaries()) == compared(each)
