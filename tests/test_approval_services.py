"""Approvals against promised time limits (SPEC §7): working days across holidays and 调休,
each target rule, the status table, department performance, the platform sync, the milestone
an approval completes, and scope."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Unit
from approvals import selectors, services
from approvals.models import Approval, ApprovalEvent, ApprovalKind
from approvals.services import sync
from core.exceptions import DomainError, NotPermitted
from schedule import services as schedule_services
from schedule.models import CalendarDay, Milestone, ScheduleTemplate
from schedule.workdays import current_calendar

from . import factories
from .conftest import clock_at

D = datetime.date
TODAY = D(2026, 11, 23)


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def office(people):
    return people["province_office"]


def kind(code):
    return ApprovalKind.objects.get(code=code)


def approval(office, project, code, **fields):
    return services.approval_create(by=office, project=project, kind=kind(code), **fields)


def walk(item, office, *steps):
    """Move an approval through (status, date[, document_no]) steps."""
    for step in steps:
        status, date, *rest = step
        item = services.approval_transition(
            approval=item,
            by=office,
            status=status,
            date=date,
            document_no=rest[0] if rest else "",
        )
    return item


def accepted(office, project, code, on, **fields):
    item = approval(office, project, code, **fields)
    return walk(item, office, ("submitted", on), ("accepted", on))


def test_elapsed_working_days_skip_the_holiday_and_count_the_adjusted_saturday(
    office, library, monkeypatch
):
    item = accepted(office, library["jiangyin_other"], "land", D(2026, 9, 29))
    # 30 Sep, 8, 9, 10 (调休 Saturday), 12 Oct: five working days; 1–7 Oct are off.
    with clock_at(D(2026, 10, 12)):
        figures = services.figures(item, D(2026, 10, 12))
    assert figures.elapsed_days == 5
    assert figures.remaining_promise == 20 - 5
    # The promise of 20 working days from 29 Sep ends after the holiday, not 20 days later.
    assert item.promise_due_on == D(2026, 11, 2)


def test_share_target_eia_thirty_percent_faster(office, library):
    item = accepted(office, library["jiangyin_other"], "eia", D(2026, 9, 1))
    assert item.promised_days == 30
    # 21 working days (70 % of 30) after 1 Sep: 30 Sep.
    assert item.target_on == D(2026, 9, 30)
    item = walk(item, office, ("approved", D(2026, 9, 30), "苏环审〔2026〕45号"))
    figures = services.figures(item)
    assert (item.actual_days, figures.target_missed, figures.overdue) == (21, False, False)
    assert figures.speedup == pytest.approx(0.3)
    assert figures.speedup_percent == "30%"


@pytest.mark.parametrize(("decided", "missed"), [(D(2026, 11, 2), False), (D(2026, 11, 3), True)])
def test_same_day_target_soil_and_water(office, library, decided, missed):
    item = accepted(office, library["jiangyin_other"], "soil_water", D(2026, 11, 2))
    assert item.target_on == D(2026, 11, 2)
    item = walk(item, office, ("approved", decided, "苏水许可〔2026〕8号"))
    assert services.figures(item).target_missed is missed
    assert not services.figures(item).overdue  # still within the promised 5 days


# --- judged in working days, never by the date (issue 22) --------------------------------------


@pytest.mark.parametrize(
    ("decided", "target_missed"),
    [(D(2026, 10, 16), False), (D(2026, 10, 18), False), (D(2026, 10, 19), True)],
)
def test_the_eia_target_counts_working_days_not_the_date(office, library, decided, target_missed):
    """Accepted Monday 21 Sep 2026, 20 working days promised, 70 % of them (14) the target.
    Counted: 22, 23, 24 Sep (1–3; 25 Sep 中秋 and the weekend off), 28, 29, 30 Sep (4–6;
    1–7 Oct 国庆 off), 8, 9, 10 (调休 Saturday), 12–16 Oct (7–14): the target is Friday 16 Oct.
    A decision on Sunday 18 Oct used the same 14 working days: within the target, though the
    date is later; Monday 19 Oct is the 15th."""
    item = accepted(office, library["jiangyin_other"], "eia", D(2026, 9, 21), promised_days=20)
    assert (item.target_on, item.target_late_on) == (D(2026, 10, 16), D(2026, 10, 19))
    # 19–23 Oct (15–19), Monday 26 Oct the 20th
    assert (item.promise_due_on, item.promise_late_on) == (D(2026, 10, 26), D(2026, 10, 27))
    item = walk(item, office, ("approved", decided, "苏环审〔2026〕60号"))
    figures = services.figures(item)
    assert (figures.target_missed, figures.overdue) == (target_missed, False)
    assert item.actual_days == (15 if target_missed else 14)
    row = selectors.performance(Approval.objects.filter(pk=item.pk))[0]
    assert row.within_target == (Decimal(0) if target_missed else Decimal(1))


@pytest.mark.parametrize(
    ("today", "overdue"),
    [(D(2026, 11, 20), False), (D(2026, 11, 21), False), (D(2026, 11, 22), False),
     (D(2026, 11, 23), True)],
)  # fmt: skip
def test_running_over_a_weekend_is_late_from_the_first_working_day_after_the_promise(
    office, library, today, overdue
):
    """Accepted Friday 13 Nov with 5 working days promised: due Friday 20 Nov. Saturday and
    Sunday add no working day; on Monday 23 Nov it is the sixth: overdue — on the page's
    figures, in the lists (``overdue()``) and in the project's light."""
    from indicators import lights

    item = accepted(office, library["jiangyin_other"], "land", D(2026, 11, 13), promised_days=5)
    assert item.promise_due_on == D(2026, 11, 20)
    assert services.figures(item, today).overdue is overdue
    assert Approval.objects.overdue(today).exists() is overdue
    project = lights.with_light_rules(
        type(item.project).objects.filter(pk=item.project_id), today
    ).get()
    assert project.light_approval_overdue is overdue


@pytest.mark.parametrize(
    ("decided", "missed"), [(D(2026, 11, 20), False), (D(2026, 11, 22), False),
                            (D(2026, 11, 23), True)]
)  # fmt: skip
def test_land_with_a_specialist_is_decided_the_day_it_is_accepted(
    office, people, library, decided, missed
):
    """ "一项目一策、一项目一专员"：随到随审、当日办结 (seed 000, measure 7): a land approval with
    its specialist has a same-day target; accepted on Friday 20 Nov, a decision that weekend
    used no working day more; Monday 23 Nov is one day late for the target (not the promise)."""
    specialist = people["county_office"]
    item = accepted(office, library["jiangyin_other"], "land", D(2026, 11, 20))
    assert item.target_on == item.promise_due_on  # no specialist: the kind's 20 working days
    item = services.approval_update(approval=item, by=office, specialist=specialist)
    assert (item.target_on, item.target_late_on) == (D(2026, 11, 20), D(2026, 11, 23))
    item = walk(item, office, ("approved", decided, "澄自然资〔2026〕12号"))
    figures = services.figures(item)
    assert (figures.target_missed, figures.overdue) == (missed, False)


def test_fixed_date_target_energy(office, library):
    fixed = accepted(
        office,
        library["jiangyin_other"],
        "energy",
        D(2026, 10, 12),
        fixed_target_on=D(2026, 10, 20),
    )
    assert fixed.target_on == D(2026, 10, 20)
    unset = accepted(office, library["yixing"], "energy", D(2026, 10, 12))
    assert unset.target_on == unset.promise_due_on  # no date fixed yet: the promise
    late = walk(fixed, office, ("approved", D(2026, 10, 21), "苏发改能审〔2026〕3号"))
    assert services.figures(late).target_missed and not services.figures(late).overdue


def test_running_past_the_promise_is_overdue(office, library):
    item = accepted(office, library["jiangyin_other"], "land", D(2026, 10, 9))
    assert item.promise_due_on < TODAY
    figures = services.figures(item)
    assert figures.overdue and figures.remaining_promise < 0
    assert list(Approval.objects.overdue()) == [item]


def test_status_table_and_its_refusals(office, people, library):
    item = approval(office, library["jiangyin_other"], "eia")
    for status in ("accepted", "approved", "under_review"):
        with pytest.raises(DomainError) as refusal:
            services.approval_transition(approval=item, by=office, status=status, date=TODAY)
        assert refusal.value.code == "illegal_transition"
    assert Approval.objects.get(pk=item.pk).status == "not_started"

    item = walk(item, office, ("preparing", None), ("submitted", D(2026, 11, 2)))
    with pytest.raises(DomainError) as refusal:  # accepted before it was submitted
        services.approval_transition(
            approval=item, by=office, status="accepted", date=D(2026, 11, 1)
        )
    assert refusal.value.field == "date"
    with pytest.raises(DomainError):  # in the future
        services.approval_transition(
            approval=item, by=office, status="accepted", date=D(2026, 11, 30)
        )
    item = walk(item, office, ("accepted", D(2026, 11, 3)))
    with pytest.raises(DomainError) as refusal:
        services.approval_transition(approval=item, by=office, status="approved", date=TODAY)
    assert refusal.value.field == "document_no"
    with pytest.raises(NotPermitted):
        services.approval_transition(
            approval=item, by=people["county_filer"], status="returned", date=None
        )

    # 退回补正 stops the clock; the resubmission is accepted afresh.
    item = walk(item, office, ("returned", None))
    assert (item.accepted_on, item.promise_due_on) == (None, None)
    item = walk(item, office, ("submitted", D(2026, 11, 16)), ("accepted", D(2026, 11, 17)))
    assert item.accepted_on == D(2026, 11, 17)
    history = list(item.events.values_list("from_status", "to_status"))
    assert history == [
        ("not_started", "preparing"),
        ("preparing", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "returned"),
        ("returned", "submitted"),
        ("submitted", "accepted"),
    ]
    with pytest.raises(TypeError):
        ApprovalEvent.objects.filter(approval=item).update(comment="x")


def test_one_approval_per_project_and_kind(office, library):
    approval(office, library["jiangyin_other"], "eia")
    with pytest.raises(DomainError) as refusal:
        approval(office, library["jiangyin_other"], "eia")
    assert refusal.value.field == "kind"


def decided(office, project, code, accepted_on, days, unit=None):
    calendar = current_calendar()
    item = accepted(office, project, code, accepted_on, **({"unit": unit} if unit else {}))
    return walk(
        item, office, ("approved", calendar.add_workdays(accepted_on, days), f"文号{project.pk}")
    )


def test_department_performance_on_a_hand_made_dataset(office, library):
    f = factories
    projects = [f.project("320281", by=office, name=f"性能项目{n}") for n in range(6)]
    epb = Unit.objects.get(name="省生态环境厅")
    nr = Unit.objects.get(name="省自然资源厅")
    start = D(2026, 9, 1)
    for project, days in zip(projects[:3], (5, 10, 25), strict=True):
        decided(office, project, "eia", start, days, unit=epb)
    accepted(office, projects[3], "eia", D(2026, 10, 9), unit=epb)  # running, overdue on 23 Nov
    for project, days in zip(projects[4:], (4, 6), strict=True):
        decided(office, project, "land", start, days, unit=nr)

    rows = {(r.unit_name, r.kind_code): r for r in selectors.performance(Approval.objects.all())}
    eia = rows[("省生态环境厅", "eia")]
    assert (eia.count, eia.decided, eia.running, eia.overdue) == (4, 3, 1, 1)
    assert eia.median_days == Decimal("10.0") and eia.mean_days == Decimal("13.3")
    assert eia.within_promise == Decimal("1.0000")  # all within 30 working days
    assert eia.within_target == Decimal("0.6667")  # 25 > 21: one missed the 30 % target
    land = rows[("省自然资源厅", "land")]
    assert land.median_days == Decimal("5.0")  # even group: the two middle values
    assert (land.count, land.overdue, land.within_target_percent) == (2, 0, "100%")


def test_an_approval_finishes_its_milestone_and_the_schedule_moves(office, library):
    project = library["jiangyin_other"]
    schedule_services.apply_template(
        project=project, template=ScheduleTemplate.objects.get(category="industrial"), by=office
    )
    item = accepted(office, project, "eia", D(2026, 10, 12))
    walk(item, office, ("approved", D(2026, 11, 2), "苏环审〔2026〕45号"))
    milestone = Milestone.objects.get(project=project, kind="eia")
    assert (milestone.status, milestone.actual_finish) == ("done", D(2026, 11, 2))
    assert milestone.actual_start is not None and milestone.actual_start <= D(2026, 11, 2)


def sync_row(project, **extra):
    row = {
        "project_code": project.code,
        "kind": "eia",
        "status": "accepted",
        "submitted_on": D(2026, 11, 2),
        "accepted_on": D(2026, 11, 3),
        "decided_on": None,
        "document_no": "",
    }
    row.update(extra)
    return row


@pytest.fixture
def coded(office):
    return [
        factories.project("320281", by=office, code=f"2026-320281-44-02-00000{n}")
        for n in range(1, 3)
    ]


def test_sync_upserts_and_a_repeat_changes_nothing(people, coded):
    api_client = people["api_client"]
    batch = [
        sync_row(coded[0]),
        sync_row(coded[1], kind="land", status="submitted", accepted_on=None),
    ]
    assert services.approval_sync(by=api_client, rows=batch) == services.SyncResult(2, 0, 0)
    events = ApprovalEvent.objects.count()
    assert services.approval_sync(by=api_client, rows=batch) == services.SyncResult(0, 0, 2)
    assert ApprovalEvent.objects.count() == events

    batch[0] = sync_row(
        coded[0], status="approved", decided_on=D(2026, 11, 20), document_no="苏环审〔2026〕50号"
    )
    assert services.approval_sync(by=api_client, rows=batch) == services.SyncResult(0, 1, 1)
    item = Approval.objects.get(project=coded[0], kind="eia")
    assert (item.status, item.actual_days, item.document_no) == (
        "approved",
        13,
        "苏环审〔2026〕50号",
    )
    assert item.events.last().synced


def test_sync_is_all_or_nothing_with_errors_per_row(people, coded):
    batch = [
        sync_row(coded[0]),
        sync_row(coded[1], project_code="2026-320281-44-02-999999"),
        sync_row(coded[1], status="approved", decided_on=None),
        sync_row(coded[1], kind="land", accepted_on=D(2026, 11, 1)),  # before submitted
        sync_row(coded[0]),  # the same project and kind twice
    ]
    with pytest.raises(services.SyncRefused) as refusal:
        services.approval_sync(by=people["api_client"], rows=batch)
    rows = refusal.value.rows
    assert set(rows) == {1, 2, 3, 4}
    assert "project_code" in rows[1]
    assert {"decided_on", "document_no"} <= set(rows[2])
    assert "accepted_on" in rows[3]
    assert "kind" in rows[4]
    assert not Approval.objects.exists()
    with pytest.raises(NotPermitted):
        services.approval_sync(by=people["county_filer"], rows=[sync_row(coded[0])])


def test_scope_liaison_sees_what_their_department_handles(office, people, library):
    epb = Unit.objects.get(name="省生态环境厅")
    eia_liaison = factories.user("eia_liaison", "320000", ["department_liaison"], epb)
    mine = approval(office, library["jiangyin_other"], "eia", unit=epb)
    other = approval(office, library["yixing"], "land")
    assert list(Approval.objects.for_user(eia_liaison)) == [mine]
    assert services.may_edit(mine, eia_liaison) and not services.may_edit(other, eia_liaison)
    assert not Approval.objects.for_user(people["county_filer2"]).filter(pk=mine.pk).exists()


def test_calendar_change_moves_promise_dates(office, library, django_capture_on_commit_callbacks):
    from config.celery_app import app as celery_app

    item = accepted(office, library["jiangyin_other"], "land", D(2026, 11, 2))
    before = item.promise_due_on
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            CalendarDay.objects.create(date=D(2026, 11, 10), is_workday=False, note="临时调整")
    finally:
        celery_app.conf.task_always_eager = False
    item.refresh_from_db()
    assert item.promise_due_on == before + datetime.timedelta(days=1)
    assert services.refresh_dates() == 0  # already done by the task the change queued


def test_units_and_specialists_come_from_the_projects_regions(office, people, library):
    elsewhere = Unit.objects.get(name="沭阳县重大项目办")
    with pytest.raises(DomainError) as refusal:
        approval(office, library["jiangyin_other"], "eia", unit=elsewhere)
    assert refusal.value.field == "unit"
    with pytest.raises(DomainError) as refusal:
        approval(office, library["jiangyin_other"], "eia", specialist=people["county_filer2"])
    assert refusal.value.field == "specialist"
    assert not Approval.objects.exists()


def test_the_department_does_not_set_its_own_promise(office, library):
    epb = Unit.objects.get(name="省生态环境厅")
    eia_liaison = factories.user("eia_liaison", "320000", ["department_liaison"], epb)
    item = accepted(office, library["jiangyin_other"], "eia", D(2026, 11, 2), unit=epb)
    for field, value in (("promised_days", 365), ("unit", Unit.objects.get(name="省水利厅"))):
        with pytest.raises(NotPermitted):
            services.approval_update(approval=item, by=eia_liaison, **{field: value})
    assert Approval.objects.get(pk=item.pk).promised_days == 30
    services.approval_update(approval=item, by=eia_liaison, note="已组织专家技术审查")
    assert Approval.objects.get(pk=item.pk).note == "已组织专家技术审查"


def test_a_reader_is_refused_before_anything_else_and_no_date_is_in_the_future(
    office, people, library
):
    item = accepted(office, library["jiangyin_other"], "eia", D(2026, 11, 2))
    with pytest.raises(NotPermitted):  # not "illegal": it is not theirs to change at all
        services.approval_transition(approval=item, by=people["county_filer"], status="not_started")
    with pytest.raises(DomainError) as refusal:
        services.approval_transition(
            approval=item, by=office, status="under_review", date=D(2030, 1, 1)
        )
    assert refusal.value.field == "date"
    assert Approval.objects.get(pk=item.pk).events.count() == 2


def test_sync_never_reopens_an_approved_item(people, coded):
    done = sync_row(
        coded[0], status="approved", decided_on=D(2026, 11, 20), document_no="苏环审〔2026〕50号"
    )
    services.approval_sync(by=people["api_client"], rows=[done])
    with pytest.raises(services.SyncRefused) as refusal:
        services.approval_sync(
            by=people["api_client"],
            rows=[sync_row(coded[0], status="not_started", submitted_on=None, accepted_on=None)],
        )
    assert "status" in refusal.value.rows[0]
    assert Approval.objects.get(project=coded[0]).status == "approved"


def test_a_failure_while_writing_the_batch_leaves_nothing_behind(people, coded, monkeypatch):
    calls = []

    def fail_on_second(approval, by):
        calls.append(approval.pk)
        if len(calls) == 2:
            raise RuntimeError("milestone store unavailable")

    monkeypatch.setattr(sync, "_finish_milestone", fail_on_second)
    with pytest.raises(RuntimeError):
        services.approval_sync(
            by=people["api_client"], rows=[sync_row(coded[0]), sync_row(coded[1])]
        )
    assert not Approval.objects.exists() and not ApprovalEvent.objects.exists()


def test_the_milestone_keeps_the_start_it_recorded(office, library):
    project = library["jiangyin_other"]
    schedule_services.apply_template(
        project=project, template=ScheduleTemplate.objects.get(category="industrial"), by=office
    )
    milestone = Milestone.objects.get(project=project, kind="eia")
    schedule_services.milestone_update(milestone=milestone, by=office, actual_start=D(2026, 10, 9))
    item = accepted(office, project, "eia", D(2026, 10, 12))
    walk(item, office, ("approved", D(2026, 11, 2), "苏环审〔2026〕45号"))
    milestone.refresh_from_db()
    assert (milestone.actual_start, milestone.actual_finish) == (D(2026, 10, 9), D(2026, 11, 2))


def test_a_liaison_sees_no_milestones_of_projects_they_do_not_work_on(office, people, library):
    from schedule.models import Milestone as MilestoneModel

    for key in ("jiangyin_other", "nanjing"):
        schedule_services.apply_template(
            project=library[key],
            template=ScheduleTemplate.objects.get(category="industrial"),
            by=office,
        )
    finance = Unit.objects.get(name="省财政厅")
    finance_liaison = factories.user("finance_liaison", "320000", ["department_liaison"], finance)
    assert not MilestoneModel.objects.for_user(finance_liaison).exists()
    approval(office, library["nanjing"], "land", unit=finance)
    visible = MilestoneModel.objects.for_user(finance_liaison)
    assert visible.exists() and set(visible.values_list("project", flat=True)) == {
        library["nanjing"].pk
    }


def test_figures_say_when_the_count_runs_into_an_unknown_year(office, library, monkeypatch):
    # chinese-calendar knows 2026 but not 2027's holidays: weekends only, and it says so.
    item = accepted(office, library["jiangyin_other"], "eia", D(2026, 11, 2))
    assert item.promise_due_on.year == 2026
    assert not services.figures(item).calendar_provisional
    late = accepted(office, library["yixing"], "eia", D(2026, 11, 20))
    assert late.promise_due_on.year == 2027
    figures = services.figures(late)
    assert figures.calendar_provisional and figures.provisional_years == (2027,)
