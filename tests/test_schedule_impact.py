"""Which problem moves which construction start (issue 23): an open ticket naming a milestone
holds its finish back, and each ticket's cost is weighed alone — on a small schedule across the
2026 Mid-Autumn and National Day holidays, the numbers worked out by hand.

Working days (2026), numbered from Mon 14 Sep: 14–18 Sep (0–4); Sun 20 Sep, a make-up working
day (5); 21–24 Sep (6–9); Fri 25 Sep 中秋 and the weekend off; 28–30 Sep (10–12); 1–7 Oct 国庆
off; Thu 8 Oct (13), Fri 9 (14), Sat 10 (15, make-up), Mon 12 (16), Tue 13 (17), Wed 14 (18).

Today Mon 21 Sep. 用地 (A) began on 14 Sep and takes 10 working days: 0–9, finishing 24 Sep.
施工许可 (B), 3 days after A: 10–12 (28–30 Sep). 开工 (C) after B: 13, 8 Oct. Planned start
Mon 12 Oct (16): backwards B may finish by 15 (Sat 10 Oct) and start by 13 — float 3; A may
finish by 12 (30 Sep) and start by 3 — float 3.

Ticket X blocks A until its deadline Fri 9 Oct (14): A finishes on 14, B runs 15–17, 开工 on 18
(14 Oct) — 5 working days after 8 Oct, 2 past the planned 12 Oct; A's float becomes
min(3, 12 − 14) = −2: 5 consumed. Ticket Y blocks B with a deadline past (18 Sep): B cannot
finish before today, which it would not anyway — no impact. A deadline of 30 Sep (12) for A
takes its 3 days of float and puts nothing at risk: 开工 on 16, the planned day.
"""

import datetime

import pytest

from schedule.impact import Block, impacts
from schedule.scheduling import IN_PROGRESS, Node, compute_schedule
from schedule.workdays import WorkdayCalendar

D = datetime.date
TODAY = D(2026, 9, 21)
PLANNED = D(2026, 10, 12)
NODES = [
    Node("A", "用地审批", 10, (), IN_PROGRESS, D(2026, 9, 14)),
    Node("B", "施工许可", 3, (("A", 0),)),
    Node("C", "开工", 0, (("B", 0),), anchor=True),
]


@pytest.fixture(scope="module")
def calendar():
    return WorkdayCalendar()


def compute(calendar, **extra):
    return compute_schedule(
        NODES, planned_start=PLANNED, today=TODAY, calendar=calendar, **extra
    ).by_id()


def test_the_schedule_without_tickets(calendar):
    rows = compute(calendar)
    assert rows["A"].earliest_finish == D(2026, 9, 24)  # counting Sunday 20 Sep
    assert (rows["B"].earliest_start, rows["B"].earliest_finish) == (D(2026, 9, 28), D(2026, 9, 30))
    assert rows["C"].earliest_start == D(2026, 10, 8)
    assert (rows["A"].total_float, rows["B"].total_float) == (3, 3)
    assert rows["B"].latest_finish == D(2026, 10, 10)  # the make-up Saturday


def test_a_blocked_milestone_cannot_finish_before_the_tickets_deadline(calendar):
    rows = compute(calendar, finish_not_before={"A": D(2026, 10, 9)})
    # A keeps its start and waits to finish; its float is that of its finish
    assert rows["A"].earliest_start == D(2026, 9, 14)
    assert rows["A"].earliest_finish == D(2026, 10, 9)
    assert rows["A"].total_float == -2 and rows["A"].critical
    assert (rows["B"].earliest_start, rows["B"].earliest_finish) == (
        D(2026, 10, 10),
        D(2026, 10, 13),
    )
    assert rows["C"].earliest_start == D(2026, 10, 14)
    # a day on a holiday waits for the next working day: 1 Oct → 8 Oct
    rows = compute(calendar, finish_not_before={"A": D(2026, 10, 1)})
    assert rows["A"].earliest_finish == D(2026, 10, 8)


def test_each_ticket_is_weighed_alone(calendar):
    x = Block(issue_id=1, milestone_id="A", deadline=D(2026, 10, 9))
    y = Block(issue_id=2, milestone_id="B", deadline=D(2026, 9, 18))
    schedule, (on_a, on_b) = impacts(
        NODES, planned_start=PLANNED, today=TODAY, calendar=calendar, blocks=[x, y]
    )
    assert schedule.forecast_anchor_date == D(2026, 10, 14) and schedule.at_risk
    assert on_a.resolve_by == D(2026, 10, 9) and not on_a.overdue
    assert on_a.forecast_start == D(2026, 10, 14)
    assert on_a.forecast_start_without == D(2026, 10, 8)
    assert (on_a.start_delay, on_a.days_at_risk, on_a.consumed_float) == (5, 2, 5)
    # overdue: held until today, which changes nothing here
    assert on_b.resolve_by == TODAY and on_b.overdue
    assert (on_b.start_delay, on_b.days_at_risk, on_b.consumed_float) == (0, 0, 0)


def test_a_ticket_resolved_before_the_slack_runs_out_puts_nothing_at_risk(calendar):
    # A may finish by 30 Sep: a deadline of 30 Sep takes its 3 days of float, no more
    block = Block(issue_id=1, milestone_id="A", deadline=D(2026, 9, 30))
    _schedule, (impact,) = impacts(
        NODES, planned_start=PLANNED, today=TODAY, calendar=calendar, blocks=[block]
    )
    assert impact.forecast_start == D(2026, 10, 12)
    assert (impact.start_delay, impact.days_at_risk, impact.consumed_float) == (3, 0, 3)
