"""Follow-up that does not let go (SPEC §5, §15; seed 003 "一通报、两约谈", seed 000 measures 3
and 5 "即时响应", "跟踪督办"): a task left undone is notified again every
ISSUE_RENOTICE_WORKDAYS working days and its 2nd and 3rd notices bring the deputy and the
principal leader's interviews, once each, across escalations; every level has a time limit for
accepting what reaches it (省政府 too, kept by the province office); the per-unit window rule
still works beside it and can be switched off; two sweeps at once do each step once. Every date
is pinned."""

import datetime
import threading
from collections import Counter

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import override_settings
from django.urls import reverse

from accounts.models import Unit
from issues import selectors, services
from issues.models import Interview, Issue, IssueEvent, Level, Notice, Status
from issues.services import followup
from schedule.workdays import current_calendar

from . import factories
from .conftest import SHANGHAI, clock_at

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def cast(people, library):
    county_dept = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    city_dept = factories.unit("无锡市自然资源和规划局", "320200", Unit.Kind.DEPARTMENT)
    return {
        **people,
        "project": library["jiangyin_other"],
        "county_dept": county_dept,
        "city_dept": city_dept,
        "county_liaison": factories.user(
            "county_liaison", "320281", ["department_liaison"], county_dept
        ),
        "city_liaison": factories.user("city_liaison", "320200", ["department_liaison"], city_dept),
    }


def days(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def sweep_daily(first, last, then=None) -> dict:
    """The nightly sweep (02:00 Shanghai) on every day from ``first`` to ``last``, run twice
    each night (the second run must find nothing to do); ``then`` maps a day to what people
    do later that day. Answers what each night did, for the nights that did something."""
    then = then or {}
    did = {}
    for day in days(first, last):
        with clock_at(day, 2):
            done = services.sweep(day)
            assert services.sweep(day) == {}, day
        if done:
            did[day] = dict(done)
        if day in then:
            with clock_at(day, 10):
                then[day]()
    return did


def assign(issue, by, unit, deadline):
    return services.issue_assign(
        issue=issue,
        by=by,
        unit=unit,
        responsible_leader="分管副局长",
        responsible_person="科长",
        solution="协调解决",
        deadline=deadline,
    )


def reported(cast, level, at, *, title="用地指标缺口"):
    """A ticket of a 江阴 project reported (at ``at``, Shanghai) straight at ``level``."""
    return Issue.objects.create(
        project=cast["project"],
        region_id="320281",
        title=title,
        category="land_sea",
        source="county",
        level=level,
        reported_at=at,
    )


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


# --- per task: 通报 again while undone, 约谈 at the 2nd and 3rd ------------------------------


def test_a_task_left_undone_for_months_is_notified_again_and_interviewed_once_per_leader(
    cast, heard, client, django_capture_on_commit_callbacks
):
    with clock_at(D(2026, 9, 10)):
        issue = services.issue_report(
            by=cast["county_filer"], project=cast["project"], title="用地指标缺口120亩",
            category="land_sea",
        )  # fmt: skip
        services.issue_accept(issue=issue, by=cast["county_office"])
        assign(issue, cast["county_office"], cast["county_dept"], D(2026, 9, 23))

    def city_dispatches():
        services.issue_accept(issue=issue, by=cast["city_office"])
        assign(issue, cast["city_office"], cast["city_dept"], D(2026, 10, 30))
        services.issue_start(issue=issue, by=cast["city_liaison"])

    def province_dispatches():
        services.issue_accept(issue=issue, by=cast["province_office"])
        assign(issue, cast["province_office"], cast["liaison"].unit, D(2026, 12, 31))
        services.issue_start(issue=issue, by=cast["liaison"])

    def resolved():
        services.issue_resolve(issue=issue, by=cast["liaison"], resolution="指标已调剂")

    with django_capture_on_commit_callbacks(execute=True):
        did = sweep_daily(
            D(2026, 9, 11),
            D(2026, 12, 31),
            then={
                D(2026, 10, 16): city_dispatches,
                D(2026, 11, 20): province_dispatches,
                D(2026, 12, 30): resolved,
            },
        )

    assert did == {
        D(2026, 9, 20): {"reminded": 1},  # a Sunday made a working day (调休)
        # the day after the deadline: overdue, 1st notice of the county department
        D(2026, 9, 24): {"overdue": 1, "notices": 1},
        # 5 working days late across 中秋 and 国庆 (25 Sep, 1–7 Oct): up to the city
        D(2026, 10, 8): {"escalated": 1},
        # the city office has 2 working days (9 Oct, Saturday 10 Oct) and lets them pass
        D(2026, 10, 11): {"accept_overdue": 1},
        # 10 working days after the 1st notice (28–30 Sep, 8–10, 12–15 Oct), still undone at
        # the city: 2nd notice, of the county department notified last (the city has not
        # dispatched it yet), and its deputy leader's interview
        D(2026, 10, 15): {"notices": 1, "interviews": 1},
        D(2026, 10, 27): {"reminded": 1},
        # 29 Oct is 10 working days after the 2nd, but the city department is within its own
        # time limit (30 Oct); the day after: 3rd notice and the principal leader's interview
        D(2026, 10, 31): {"overdue": 1, "notices": 1, "interviews": 1},
        # 10 working days later a 4th notice (no more interviews), and up to the province
        D(2026, 11, 13): {"notices": 1, "escalated": 1},
        D(2026, 11, 19): {"accept_overdue": 1},  # 3 working days for the province office
        # the province's department within its time limit (31 Dec): no notice on 27 Nov …
        D(2026, 12, 28): {"reminded": 1},
        # … and resolved on 30 Dec: done, nothing more
    }

    notices = [(n.sequence, n.issued_on, n.unit.name) for n in issue.notices.order_by("sequence")]
    assert notices == [
        (1, D(2026, 9, 24), "江阴市自然资源和规划局"),
        (2, D(2026, 10, 15), "江阴市自然资源和规划局"),
        (3, D(2026, 10, 31), "无锡市自然资源和规划局"),
        (4, D(2026, 11, 13), "无锡市自然资源和规划局"),
    ]
    # the 2nd notice, after the escalation, keeps the deadline that was missed
    assert issue.notices.get(sequence=2).deadline == D(2026, 9, 23)
    interviews = [
        (i.kind, i.rule, i.unit.name, i.triggered_on, i.notice_count, i.notices.count())
        for i in Interview.objects.order_by("triggered_on")
    ]
    assert interviews == [
        ("deputy", "task", "江阴市自然资源和规划局", D(2026, 10, 15), 2, 2),
        ("principal", "task", "无锡市自然资源和规划局", D(2026, 10, 31), 3, 3),
    ]
    # a task notified again does not also count twice for its unit's window rule
    assert not Interview.objects.filter(rule="unit_window").exists()
    assert set(Interview.objects.values_list("issue", flat=True)) == {issue.pk}

    told = [event for event in heard if event.name == "issue.notice"]
    assert [event.payload["sequence"] for event in told] == [1, 2, 3, 4]
    assert [event.payload["interviews"] for event in told] == [[], ["deputy"], ["principal"], []]
    # told to the unit notified, also when the escalation left the ticket without one
    assert cast["county_dept"].pk in told[1].units
    assert all(event.actor_id is None for event in told)
    assert len({event.key for event in told}) == 4
    interviewed = [event for event in heard if event.name == "unit.interview"]
    assert [(e.payload["rule"], e.payload["kind"], e.payload["sequence"]) for e in interviewed] == [
        ("task", "deputy", 2),
        ("task", "principal", 3),
    ]
    assert interviewed[0].units == (cast["county_dept"].pk,)
    assert interviewed[0].payload["issue"] == issue.pk
    accept_late = [event for event in heard if event.name == "issue.accept_overdue"]
    assert [event.payload["level"] for event in accept_late] == ["city", "province"]

    comments = list(issue.events.filter(kind="notice").values_list("comment", flat=True))
    assert comments[0] == "逾期未办结，第1次通报江阴市自然资源和规划局。"
    assert comments[1] == (
        "2026-09-24通报后10个工作日仍未办结，第2次通报江阴市自然资源和规划局。"
        "记分管领导约谈（约谈江阴市自然资源和规划局负责人）。"
    )
    assert "记主要领导约谈（约谈无锡市自然资源和规划局负责人）" in comments[2]

    client.force_login(cast["province_office"])
    page = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert "第4次" in page and "主要领导约谈" in page and "分管领导约谈" in page


@override_settings(ISSUE_ESCALATE_AFTER_WORKDAYS={})
def test_an_undone_task_is_notified_again_every_n_working_days(cast):
    issue = reported(cast, Level.COUNTY, at(D(2026, 11, 2)))
    services.issue_accept(issue=issue, by=cast["county_office"])
    with clock_at(D(2026, 11, 2)):
        assign(issue, cast["county_office"], cast["county_dept"], D(2026, 11, 2))
    with override_settings(ISSUE_RENOTICE_WORKDAYS=3):
        did = sweep_daily(D(2026, 11, 3), D(2026, 11, 20))
    noticed = [day for day, done in did.items() if done.get("notices")]
    # Tuesday, then every 3rd working day (the weekends do not count) while it stays undone
    assert noticed == [D(2026, 11, d) for d in (3, 6, 11, 16, 19)]
    assert list(issue.notices.order_by("sequence").values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert sorted(issue.interviews.values_list("kind", flat=True)) == ["deputy", "principal"]


def test_the_database_refuses_a_second_notice_or_interview_of_the_same_step(cast):
    issue = reported(cast, Level.COUNTY, at(D(2026, 11, 2)))
    first = {
        "issue": issue,
        "unit": cast["county_dept"],
        "overdue_since": D(2026, 11, 3),
        "deadline": D(2026, 11, 2),
    }
    Notice.objects.create(sequence=1, issued_on=D(2026, 11, 3), **first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(sequence=1, issued_on=D(2026, 11, 4), **first)
    interview = {"unit": cast["county_dept"], "triggered_on": D(2026, 11, 17), "notice_count": 2}
    Interview.objects.create(issue=issue, kind="deputy", rule="task", **interview)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interview.objects.create(issue=issue, kind="deputy", rule="task", **interview)
    with pytest.raises(IntegrityError), transaction.atomic():  # per task names its ticket
        Interview.objects.create(kind="principal", rule="task", **interview)
    # the window rule's interviews name no ticket and may repeat in a later window
    Interview.objects.create(kind="deputy", rule="unit_window", **interview)
    Interview.objects.create(kind="deputy", rule="unit_window", **interview)


# --- per unit: the window rule, still there and switchable ------------------------------------


def two_late_tasks(cast):
    for title in ("甲", "乙"):
        issue = reported(cast, Level.COUNTY, at(D(2026, 11, 2)), title=title)
        services.issue_accept(issue=issue, by=cast["county_office"])
        with clock_at(D(2026, 11, 2)):
            assign(issue, cast["county_office"], cast["county_dept"], D(2026, 11, 20))


def test_the_unit_window_rule_interviews_a_unit_notified_about_two_tasks(
    cast, heard, django_capture_on_commit_callbacks
):
    two_late_tasks(cast)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep(D(2026, 11, 23)) == {"overdue": 2, "notices": 2, "interviews": 1}
    interview = Interview.objects.get()
    assert (interview.kind, interview.rule, interview.issue, interview.notice_count) == (
        "deputy",
        "unit_window",
        None,
        2,
    )
    (event,) = [event for event in heard if event.name == "unit.interview"]
    assert event.payload == {
        "rule": "unit_window",
        "kind": "deputy",
        "sequence": None,
        "notices": 2,
        "issue": None,
    }


@override_settings(ISSUE_UNIT_WINDOW_RULE=False)
def test_the_unit_window_rule_can_be_switched_off(cast):
    two_late_tasks(cast)
    assert services.sweep(D(2026, 11, 23)) == {"overdue": 2, "notices": 2}
    assert not Interview.objects.exists()


# --- 即时响应: the time limit for accepting, at every level -------------------------------------


@pytest.mark.parametrize(
    ("level", "due", "office"),
    [
        ("county", D(2026, 11, 4), "江阴市重大项目办"),
        ("city", D(2026, 11, 4), "无锡市重大项目办"),
        ("province", D(2026, 11, 5), "省重大项目办"),
        ("government", D(2026, 11, 9), "省重大项目办"),  # 省政府: kept by the province office
    ],
)
def test_every_level_has_a_time_limit_for_accepting(
    cast, heard, django_capture_on_commit_callbacks, level, due, office
):
    issue = reported(cast, level, at(D(2026, 11, 2)))  # a Monday
    assert issue.accept_due_on(current_calendar()) == due
    with django_capture_on_commit_callbacks(execute=True):
        did = sweep_daily(D(2026, 11, 2), D(2026, 11, 20))
    assert did == {due + ONE_DAY: {"accept_overdue": 1}}
    issue.refresh_from_db()
    assert issue.accept_late and issue.accept_overdue_since == due + ONE_DAY
    (event,) = [event for event in heard if event.name == "issue.accept_overdue"]
    assert Unit.objects.get(name=office).pk in event.units
    assert event.payload["level"] == level and event.payload["due"] == due.isoformat()
    assert issue.events.get(kind="accept_overdue").comment.endswith("已超过受理时限。")

    level_office = {"county": "county_office", "city": "city_office"}.get(level, "province_office")
    with clock_at(D(2026, 11, 20)):
        services.issue_accept(issue=issue, by=cast[level_office])
    issue.refresh_from_db()
    assert issue.accept_overdue_since is None and not issue.accept_late


def test_the_time_limit_counts_working_days_and_starts_again_at_each_level(cast):
    issue = reported(cast, Level.COUNTY, at(D(2026, 9, 30)))
    # 2 working days after 30 Sep: 8 and 9 Oct (1–7 Oct are the holiday)
    did = sweep_daily(D(2026, 9, 30), D(2026, 10, 11))
    assert did == {D(2026, 10, 10): {"accept_overdue": 1}}  # a Saturday made a working day
    with clock_at(D(2026, 10, 12)):
        services.issue_escalate(issue=issue, by=cast["county_office"], reason="需市级协调")
    issue.refresh_from_db()
    assert (issue.level, issue.accept_overdue_since) == ("city", None)
    # the city's 2 working days run from the escalation: 13 and 14 Oct
    assert sweep_daily(D(2026, 10, 12), D(2026, 10, 20)) == {D(2026, 10, 15): {"accept_overdue": 1}}
    assert issue.events.filter(kind="accept_overdue").count() == 2
    with clock_at(D(2026, 10, 21)):
        services.issue_reject(issue=issue, by=cast["city_office"], reason="重复问题")
    issue.refresh_from_db()
    assert issue.accept_overdue_since is None


@pytest.mark.clock(D(2026, 11, 20))
def test_supervision_board_and_issue_page_show_what_was_not_accepted_in_time(cast, client):
    late = {
        level: reported(cast, level, at(D(2026, 11, 2)), title=f"受理超时{level}")
        for level in ("county", "province", "government")
    }
    on_time = reported(cast, Level.CITY, at(D(2026, 11, 19)), title="刚上报")
    services.sweep(D(2026, 11, 20))
    assert set(Issue.objects.filter(selectors.accept_late_q())) == set(late.values())

    client.force_login(cast["province_office"])
    page = client.get(reverse("issues:supervision"))
    rows = [(row.office, row.level, row.count) for row in page.context["accept_late"]]
    assert sorted(rows) == [
        ("江阴市重大项目办", "county", 1),
        ("省重大项目办", "government", 1),
        ("省重大项目办", "province", 1),
    ]
    html = page.content.decode()
    assert "受理超时" in html and "省政府" in html and "省重大项目办" in html
    assert "省级3个工作日" in html

    # a county of another city sees none of them
    client.force_login(cast["county_filer2"])
    assert client.get(reverse("issues:supervision")).context["accept_late"] == []

    client.force_login(cast["province_office"])
    board = client.get(reverse("issues:board"))
    reported_column = next(c for c in board.context["columns"] if c.status == Status.REPORTED)
    cards = {card.issue.title: card for card in reported_column.cards}
    assert cards["受理超时government"].accept_late and not cards["刚上报"].accept_late
    assert reported_column.cards[0].accept_late  # most urgent first
    assert cards["刚上报"].accept_due == D(2026, 11, 23)
    assert "受理超时" in board.content.decode()
    detail = client.get(reverse("issues:detail", args=[late["government"].pk]))
    assert detail.context["card"].accept_due == D(2026, 11, 9)
    assert "受理超时（2026-11-20标记）" in detail.content.decode()
    assert not client.get(reverse("issues:detail", args=[on_time.pk])).context["card"].accept_late


# --- two sweeps at once ---------------------------------------------------------------------


def test_a_sweep_working_from_a_stale_list_does_nothing_twice(cast):
    issue = reported(cast, Level.COUNTY, at(D(2026, 11, 2)))
    services.issue_accept(issue=issue, by=cast["county_office"])
    with clock_at(D(2026, 11, 2)):
        assign(issue, cast["county_office"], cast["county_dept"], D(2026, 11, 4))
    listed = list(followup.due(D(2026, 11, 19), current_calendar()))
    assert listed == [issue]
    services.sweep(D(2026, 11, 5))
    services.sweep(D(2026, 11, 19))  # the 2nd notice
    calendar = current_calendar()
    with transaction.atomic():
        assert followup.follow_up(listed[0], D(2026, 11, 19), calendar) == (0, 0, 0)
    assert issue.notices.count() == 2 and issue.interviews.count() == 1


def build_a_busy_day(cast) -> dict:
    """On 23 Nov 2026: 6 tasks late for the first time, 3 notified 10 working days ago and
    still undone, 3 reported tickets past the time limit for accepting."""
    county_office, dept = cast["county_office"], cast["county_dept"]
    first, again, waiting = [], [], []
    for n in range(6):
        issue = reported(cast, Level.COUNTY, at(D(2026, 11, 2)), title=f"首次{n}")
        services.issue_accept(issue=issue, by=county_office)
        with clock_at(D(2026, 11, 2)):
            assign(issue, county_office, dept, D(2026, 11, 20))
        first.append(issue)
    for n in range(3):
        issue = reported(cast, Level.COUNTY, at(D(2026, 10, 12)), title=f"再次{n}")
        services.issue_accept(issue=issue, by=county_office)
        with clock_at(D(2026, 10, 12)):
            assign(issue, county_office, dept, D(2026, 11, 6))
        Issue.objects.filter(pk=issue.pk).update(overdue_since=D(2026, 11, 9))
        Notice.objects.create(
            issue=issue,
            sequence=1,
            unit=dept,
            overdue_since=D(2026, 11, 9),
            issued_on=D(2026, 11, 9),
            deadline=D(2026, 11, 6),
        )
        again.append(issue)
    for n in range(3):
        waiting.append(reported(cast, Level.CITY, at(D(2026, 11, 16)), title=f"待受理{n}"))
    return {"first": first, "again": again, "waiting": waiting}


def check_the_busy_day(busy: dict, results: list) -> None:
    total = sum(results, start=Counter())
    assert "failed" not in total
    assert (total["overdue"], total["notices"], total["accept_overdue"]) == (6, 9, 3)
    for issue in busy["first"]:
        assert list(issue.notices.values_list("sequence", flat=True)) == [1]
        assert issue.events.filter(kind="overdue").count() == 1
    for issue in busy["again"]:
        assert sorted(issue.notices.values_list("sequence", flat=True)) == [1, 2]
        assert list(issue.interviews.values_list("kind", "rule")) == [("deputy", "task")]
    for issue in busy["waiting"]:
        assert issue.events.filter(kind="accept_overdue").count() == 1
    window = Interview.objects.filter(rule="unit_window")
    assert sorted(window.values_list("kind", flat=True)) == ["deputy", "principal"]
    assert total["interviews"] == 3 + 2
    assert IssueEvent.objects.filter(kind="notice").count() == 9


def test_two_sweeps_one_after_the_other_do_each_step_once(cast):
    busy = build_a_busy_day(cast)
    with clock_at(D(2026, 11, 23), 2):
        results = [services.sweep(D(2026, 11, 23)), services.sweep(D(2026, 11, 23))]
    assert results[1] == {}
    check_the_busy_day(busy, results)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_do_each_step_once(transactional_db, cast):
    busy = build_a_busy_day(cast)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.sweep(D(2026, 11, 23)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    with clock_at(D(2026, 11, 23), 2):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    check_the_busy_day(busy, results)
