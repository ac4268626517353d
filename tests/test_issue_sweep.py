"""The daily sweep (SPEC §5): reminders, overdue, 通报 (again while the task stays undone), the
per-unit 约谈 at two and three notified tickets, automatic escalation after N working days — and
twice on one day changes nothing. The per-task 通报/约谈 over months and the acceptance limits
are in test_issue_followup.py."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Unit
from issues import services
from issues.models import Interview, Issue, IssueEvent, Notice, Status
from issues.services import followup, sweeping

from . import factories

D = datetime.date


@pytest.fixture
def desk(people, library):
    department = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    return {
        **people,
        "department": department,
        "handler": factories.user("handler", "320281", ["department_liaison"], department),
        "project": library["jiangyin_other"],
    }


def assigned(desk, deadline, *, status=Status.IN_PROGRESS, level="county", unit=None, title="问题"):
    return Issue.objects.create(
        project=desk["project"],
        region=desk["project"].region,
        title=title,
        category="land_sea",
        source="county",
        level=level,
        status=status,
        unit=unit or desk["department"],
        responsible_leader="王局长",
        responsible_person="李科长",
        solution="协调解决",
        deadline=deadline,
    )


def everything():
    """What the sweep may write, to compare before and after a run."""
    return (
        list(Issue.objects.order_by("pk").values()),
        IssueEvent.objects.count(),
        Notice.objects.count(),
        Interview.objects.count(),
    )


def test_reminder_before_the_deadline_once(desk):
    soon = assigned(desk, D(2026, 10, 9))  # 2 working days after 30 Sep across the holiday
    later = assigned(desk, D(2026, 10, 20))
    done = services.sweep(D(2026, 9, 30))
    assert done["reminded"] == 1
    assert soon.events.filter(kind="remind").count() == 1
    assert not later.events.exists()
    snapshot = everything()
    assert services.sweep(D(2026, 9, 30)) == {}
    assert services.sweep(D(2026, 10, 8)) == {}  # same deadline: reminded already
    assert everything() == snapshot


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={})
def test_overdue_marks_and_notices_once_per_spell(desk):
    issue = assigned(desk, D(2026, 11, 20))
    on_the_day = services.sweep(D(2026, 11, 20))  # the deadline day itself is not late
    assert on_the_day == {"reminded": 1}

    done = services.sweep(D(2026, 11, 23))
    assert (done["overdue"], done["notices"]) == (1, 1)
    issue.refresh_from_db()
    assert issue.overdue_since == D(2026, 11, 23)
    notice = Notice.objects.get()
    assert (notice.unit, notice.issue, notice.deadline) == (
        desk["department"],
        issue,
        issue.deadline,
    )
    assert list(issue.events.values_list("kind", flat=True)) == ["remind", "overdue", "notice"]
    assert all(event.actor is None for event in issue.events.all())

    snapshot = everything()
    assert services.sweep(D(2026, 11, 23)) == {}
    assert services.sweep(D(2026, 11, 24)) == {}  # still the same spell: no second notice
    assert everything() == snapshot

    # Resolved, then sent back after the deadline: a new overdue spell, but the task is the
    # same one: its next notice (the 2nd) comes ISSUE_RENOTICE_WORKDAYS after the first.
    services.issue_resolve(issue=issue, by=desk["handler"], resolution="已办结")
    assert Issue.objects.get(pk=issue.pk).overdue_since is None
    services.issue_return(issue=issue, by=desk["county_office"], reason="企业不满意")
    assert services.sweep(D(2026, 11, 25)) == {"overdue": 1}
    assert services.sweep(D(2026, 12, 4)) == {}  # 9 working days after the first notice
    assert services.sweep(D(2026, 12, 7)) == {"notices": 1, "interviews": 1}
    assert list(issue.notices.order_by("sequence").values_list("sequence", "issued_on")) == [
        (1, D(2026, 11, 23)),
        (2, D(2026, 12, 7)),
    ]


@override_settings(ISSUE_RENOTICE_WORKDAYS=60)  # the per-unit rule alone: no notice repeats
def test_interviews_at_two_and_three_notices(desk):
    days = [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]
    [
        assigned(desk, day - datetime.timedelta(days=1), title=f"问题{n}")
        for n, day in enumerate(days)
    ]
    other_unit = factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)
    assigned(desk, D(2026, 11, 1), unit=other_unit)

    # Each issue falls due the day before its sweep: one new notice per sweep.
    kinds = []
    for day in days:
        services.sweep(day)
        kinds.append(
            sorted(Interview.objects.filter(unit=desk["department"]).values_list("kind", flat=True))
        )
    notices = Notice.objects.filter(unit=desk["department"]).order_by("issued_on")
    assert [n.issued_on for n in notices] == days
    assert kinds == [[], ["deputy"], ["deputy", "principal"], ["deputy", "principal"]]
    deputy = Interview.objects.get(unit=desk["department"], kind="deputy")
    assert (deputy.triggered_on, deputy.notice_count) == (days[1], 2)
    assert deputy.notices.count() == 2
    principal = Interview.objects.get(unit=desk["department"], kind="principal")
    assert (principal.triggered_on, principal.notice_count) == (days[2], 3)
    # One notice only: the other unit is not interviewed.
    assert not Interview.objects.filter(unit=other_unit).exists()


@override_settings(ISSUE_NOTICE_WINDOW_DAYS=10, ISSUE_RENOTICE_WORKDAYS=60)
def test_notices_outside_the_window_do_not_add_up(desk):
    first = assigned(desk, D(2026, 11, 1))
    services.sweep(D(2026, 11, 2))
    assigned(desk, D(2026, 11, 22))
    services.sweep(D(2026, 11, 23))  # 22 days later: the first notice is out of the window
    assert Notice.objects.filter(unit=desk["department"]).count() == 2
    assert not Interview.objects.exists()
    assert first.notices.count() == 1


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={"county": 5, "city": 10})
def test_escalates_after_n_working_days_once(desk):
    issue = assigned(desk, D(2026, 9, 30))
    # 9 Oct is 9 calendar days but only 2 working days late (1–7 Oct is the holiday).
    assert services.sweep(D(2026, 10, 9)).get("escalated", 0) == 0
    # 13 Oct: 8, 9, 10 (调休 Saturday), 12, 13 Oct — 5 working days late.
    assert services.sweep(D(2026, 10, 13))["escalated"] == 1
    issue.refresh_from_db()
    assert (issue.level, issue.status, issue.unit_id, issue.deadline) == (
        "city",
        Status.REPORTED,
        None,
        None,
    )
    escalation = issue.events.get(kind="escalate")
    assert escalation.actor is None and "5个工作日" in escalation.comment
    snapshot = everything()
    assert services.sweep(D(2026, 10, 13)) == {}
    assert everything() == snapshot


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={"county": 1, "province": 1})
def test_no_automatic_escalation_beyond_the_configured_levels(desk):
    city_issue = assigned(desk, D(2026, 11, 2), level="city")  # no entry for city: never
    top = assigned(desk, D(2026, 11, 2), level="government")
    services.sweep(D(2026, 11, 23))
    assert Issue.objects.get(pk=city_issue.pk).level == "city"
    assert Issue.objects.get(pk=top.pk).level == "government"


def test_command_runs_the_same_sweep(desk):
    assigned(desk, D(2026, 11, 20))
    out = StringIO()
    call_command("sweep_issues", "--today", "2026-11-23", stdout=out)
    assert "通报 1 件" in out.getvalue()
    assert Notice.objects.count() == 1
    out = StringIO()
    call_command("sweep_issues", "--today", "2026-11-23", stdout=out)
    assert "通报 0 件" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("sweep_issues", "--today", "23/11/2026")


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={"county": 1})
def test_an_overlapping_sweep_working_from_a_stale_list_changes_nothing(desk):
    from django.db import transaction

    from schedule.workdays import current_calendar

    late = assigned(desk, D(2026, 11, 2))
    stale = Issue.objects.get(pk=late.pk)  # what a second sweep listed before the first ran
    services.sweep(D(2026, 11, 23))
    assert Issue.objects.get(pk=late.pk).level == "city"
    calendar = current_calendar()
    with transaction.atomic():
        assert sweeping._auto_escalate(stale, D(2026, 11, 23), calendar) == 0
        assert followup.follow_up(stale, D(2026, 11, 23), calendar) == (0, 0, 0)
    assert Issue.objects.get(pk=late.pk).level == "city"  # once, not twice

    # A ticket resolved after the sweep listed it gets no notice (and no crash).
    resolved = assigned(desk, D(2026, 11, 20))
    listed = Issue.objects.get(pk=resolved.pk)
    services.issue_resolve(issue=resolved, by=desk["handler"], resolution="已办结")
    with transaction.atomic():
        assert followup.follow_up(listed, D(2026, 11, 23), calendar) == (0, 0, 0)
    assert not Notice.objects.filter(issue=resolved).exists()


def test_one_broken_ticket_does_not_stop_the_sweep(desk, caplog, monkeypatch):
    broken = assigned(desk, D(2026, 11, 19), title="坏")
    late = assigned(desk, D(2026, 11, 20))
    notify = followup._notify

    def breaks_on_one(locked, today, calendar):
        if locked.pk == broken.pk:
            raise RuntimeError("broken ticket")
        return notify(locked, today, calendar)

    monkeypatch.setattr(followup, "_notify", breaks_on_one)
    done = services.sweep(D(2026, 11, 23))
    assert done["failed"] == 1 and done["notices"] == 1
    assert Notice.objects.get().issue == late
    assert f"ticket {broken.pk} failed" in caplog.text
    # what the broken ticket's step wrote is rolled back with it
    assert Issue.objects.get(pk=broken.pk).overdue_since is None


def test_notices_and_interviews_cannot_be_rewritten(desk):
    assigned(desk, D(2026, 11, 20))
    services.sweep(D(2026, 11, 23))
    with pytest.raises(TypeError):
        Notice.objects.update(deadline=D(2026, 12, 31))
    with pytest.raises(TypeError):
        Notice.objects.all().delete()
    with pytest.raises(TypeError):
        Interview.objects.all().delete()
    assert Notice.objects.get().deadline == D(2026, 11, 20)


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={"county": 5, "city": 10})
def test_a_sweep_with_nothing_due_costs_a_few_queries_however_many_tickets(
    desk, django_assert_max_num_queries
):
    # Every kind of ticket the sweep looks at, none of them due after the first run: deadlines
    # far off, reminded already, late but marked, notified and not yet late enough to escalate,
    # waiting to be accepted within the time limit, notified at a higher level.
    today = D(2026, 11, 23)
    for n in range(25):
        assigned(desk, D(2026, 12, 31), title=f"时限未到{n}")
        assigned(desk, D(2026, 11, 25), title=f"即将到期{n}")
        assigned(desk, D(2026, 11, 20), title=f"逾期{n}")
        assigned(desk, D(2026, 11, 19), level="city", title=f"市级逾期{n}")
        Issue.objects.create(
            project=desk["project"],
            region=desk["project"].region,
            title=f"待受理{n}",
            category="land_sea",
            source="county",
            level="county",
            status=Status.REPORTED,
        )
    first = services.sweep(today)
    assert (first["reminded"], first["overdue"], first["notices"]) == (25, 50, 50)
    assert "escalated" not in first
    with django_assert_max_num_queries(20):
        assert services.sweep(today) == {}
    with django_assert_max_num_queries(20):
        assert services.sweep(D(2026, 11, 24)) == {}  # the next day: nothing new either
