"""The backward and forward passes, on hand-computed networks and as properties."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedule.scheduling import (
    DONE,
    IN_PROGRESS,
    CycleError,
    Node,
    ScheduleError,
    compute_schedule,
)
from schedule.workdays import WorkdayCalendar

D = dt.date
calendar = WorkdayCalendar()
# March 2026 has no holiday: Mondays are the 2nd, 9th, 16th, 23rd and 30th.
PLANNED = D(2026, 3, 20)  # a Friday
TODAY = D(2026, 3, 2)


def run(nodes, planned=PLANNED, today=TODAY, cal=calendar):
    return compute_schedule(nodes, planned_start=planned, today=today, calendar=cal)


def start(*predecessors, duration=0):
    return Node("start", "开工", duration, tuple((p, 0) for p in predecessors), anchor=True)


def row(schedule, node_id):
    return schedule.by_id()[node_id]


def test_a_chain():
    schedule = run([Node("a", "立项", 5), Node("b", "施工许可", 3, (("a", 0),)), start("b")])
    a, b, anchor = row(schedule, "a"), row(schedule, "b"), row(schedule, "start")
    assert (anchor.latest_start, anchor.latest_finish) == (D(2026, 3, 20), D(2026, 3, 20))
    assert (b.latest_start, b.latest_finish) == (D(2026, 3, 17), D(2026, 3, 19))
    assert (a.latest_start, a.latest_finish) == (D(2026, 3, 10), D(2026, 3, 16))
    assert (a.earliest_start, a.earliest_finish) == (D(2026, 3, 2), D(2026, 3, 6))
    assert (b.earliest_start, b.earliest_finish) == (D(2026, 3, 9), D(2026, 3, 11))
    assert anchor.earliest_start == D(2026, 3, 12)
    assert schedule.forecast_anchor_date == D(2026, 3, 12)
    assert [a.total_float, b.total_float, anchor.total_float] == [6, 6, 6]
    assert not schedule.at_risk and not a.critical
    assert schedule.anchor_date == PLANNED and schedule.warnings == []


def diamond():
    return [
        Node("a", "用地预审", 2),
        Node("b", "环评批复", 4, (("a", 0),)),
        Node("c", "能评", 1, (("a", 2),)),
        start("b", "c"),
    ]


def test_a_diamond_with_a_lag():
    schedule = run(diamond())
    a, b, c, anchor = (row(schedule, key) for key in "a b c start".split())
    assert (b.latest_start, b.latest_finish) == (D(2026, 3, 16), D(2026, 3, 19))
    assert (c.latest_start, c.latest_finish) == (D(2026, 3, 19), D(2026, 3, 19))
    # via b: 3-16 − 1; via c: 3-19 − 2 (lag) − 1 → the earlier one wins
    assert (a.latest_start, a.latest_finish) == (D(2026, 3, 12), D(2026, 3, 13))
    assert (c.earliest_start, c.earliest_finish) == (D(2026, 3, 6), D(2026, 3, 6))
    assert anchor.earliest_start == D(2026, 3, 10)
    assert [a.total_float, b.total_float, c.total_float, anchor.total_float] == [8, 8, 9, 8]


def test_negative_float_puts_the_project_at_risk():
    schedule = run(diamond(), today=D(2026, 3, 16))
    a, b, c, anchor = (row(schedule, key) for key in "a b c start".split())
    assert a.total_float == -2 and b.total_float == -2 and anchor.total_float == -2
    assert c.total_float == -1
    assert a.critical and c.critical
    assert schedule.at_risk
    assert schedule.forecast_anchor_date == D(2026, 3, 24)
    assert any("晚于计划开工日期" in warning for warning in schedule.warnings)


def test_zero_duration_events():
    schedule = run([Node("z", "签约", 0), Node("y", "规划许可", 2, (("z", 0),)), start("y")])
    z, y, anchor = row(schedule, "z"), row(schedule, "y"), row(schedule, "start")
    assert (y.latest_start, y.latest_finish) == (D(2026, 3, 18), D(2026, 3, 19))
    assert (z.latest_start, z.latest_finish) == (D(2026, 3, 18), D(2026, 3, 18))
    assert (z.earliest_start, z.earliest_finish) == (D(2026, 3, 2), D(2026, 3, 2))
    assert (y.earliest_start, y.earliest_finish) == (D(2026, 3, 2), D(2026, 3, 3))
    assert anchor.earliest_start == D(2026, 3, 4)


def test_a_zero_duration_predecessor_with_a_lag():
    schedule = run([Node("z", "签约", 0), Node("y", "规划许可", 2, (("z", 3),)), start("y")])
    z, y = row(schedule, "z"), row(schedule, "y")
    assert y.earliest_start == D(2026, 3, 5)
    assert z.latest_start == D(2026, 3, 13)


def test_an_anchor_on_a_holiday_moves_to_the_previous_working_day():
    # 2024-10-03 is in the National Day holiday; Sunday 2024-09-29 was a working day.
    schedule = run(
        [Node("a", "施工许可", 3), start("a")], planned=D(2024, 10, 3), today=D(2024, 9, 2)
    )
    assert schedule.anchor_date == D(2024, 9, 30)
    assert row(schedule, "a").latest_start == D(2024, 9, 26)
    assert row(schedule, "a").latest_finish == D(2024, 9, 29)
    assert any("不是工作日" in warning and "2024-09-30" in warning for warning in schedule.warnings)


def test_actual_dates_drive_the_forward_pass():
    nodes = [
        Node("a", "立项", 3, status=DONE, actual_start=D(2026, 3, 2), actual_finish=D(2026, 3, 4)),
        Node("b", "环评", 4, (("a", 0),), status=IN_PROGRESS, actual_start=D(2026, 3, 5)),
        start("b"),
    ]
    schedule = run(nodes, today=D(2026, 3, 9))
    a, b, anchor = row(schedule, "a"), row(schedule, "b"), row(schedule, "start")
    assert (a.earliest_start, a.earliest_finish) == (D(2026, 3, 2), D(2026, 3, 4))
    assert (b.earliest_start, b.earliest_finish) == (D(2026, 3, 5), D(2026, 3, 10))
    assert anchor.earliest_start == D(2026, 3, 11)


def test_an_overrun_in_progress_milestone_is_reported():
    nodes = [Node("b", "环评", 2, status=IN_PROGRESS, actual_start=D(2026, 3, 2)), start("b")]
    schedule = run(nodes, today=D(2026, 3, 9))
    assert any("已超过工期" in warning for warning in schedule.warnings)


def test_a_milestone_without_successor_must_finish_before_the_anchor():
    schedule = run([Node("a", "立项", 5), Node("x", "水电接入", 2), start("a")])
    assert row(schedule, "x").latest_finish == D(2026, 3, 19)
    assert row(schedule, "x").total_float == 12  # 3-02 … 3-18


def test_a_milestone_listed_after_the_anchor_still_precedes_it():
    schedule = run([Node("a", "立项", 5), start("a"), Node("x", "排污许可", 2)])
    assert row(schedule, "x").latest_finish == D(2026, 3, 19)
    assert row(schedule, "start").predecessors == (("a", 0),)  # as entered
    assert [result.id for result in schedule.milestones][-1] == "start"


def test_a_cycle_is_refused_naming_its_milestones():
    nodes = [
        Node("a", "用地预审", 2, (("c", 0),)),
        Node("b", "规划许可", 2, (("a", 0),)),
        Node("c", "施工图审查", 2, (("b", 0),)),
        Node("d", "立项", 1),
        start("c"),
    ]
    with pytest.raises(CycleError) as caught:
        run(nodes)
    assert caught.value.code == "milestone_cycle"
    assert sorted(caught.value.cycle[:-1]) == ["施工图审查", "用地预审", "规划许可"]
    assert caught.value.cycle[0] == caught.value.cycle[-1]
    assert "立项" not in caught.value.message
    # the cycle is named in the order work flows: 用地预审 → 规划许可 → 施工图审查
    names = caught.value.cycle
    at = names.index("用地预审")
    assert names[at + 1] == "规划许可"


def test_the_anchor_cannot_precede_anything():
    with pytest.raises(ScheduleError) as caught:
        run([Node("a", "投产", 2, (("start", 0),)), start()])
    assert caught.value.code == "anchor_has_successor"


def test_a_provisional_year_is_flagged():
    schedule = run([Node("a", "立项", 5), start("a")], planned=D(2027, 3, 1), today=D(2026, 11, 23))
    assert schedule.calendar_provisional
    assert any("2027年" in warning for warning in schedule.warnings)
    entered = WorkdayCalendar(entered_years=[2027])
    again = run(
        [Node("a", "立项", 5), start("a")],
        planned=D(2027, 3, 1),
        today=D(2026, 11, 23),
        cal=entered,
    )
    assert not again.calendar_provisional


def test_without_planned_start_there_are_no_latest_dates():
    schedule = run([Node("a", "立项", 5), start("a")], planned=None)
    assert schedule.anchor_date is None and not schedule.at_risk
    assert row(schedule, "a").latest_start is None and row(schedule, "a").total_float is None
    assert schedule.forecast_anchor_date == D(2026, 3, 9)


# --- properties -------------------------------------------------------------------------------


@st.composite
def networks(draw):
    """A random milestone DAG ending in the anchor, a planned start and a 'today'."""
    size = draw(st.integers(min_value=1, max_value=8))
    nodes = []
    for index in range(size):
        predecessors = draw(
            st.lists(st.integers(min_value=0, max_value=index - 1), unique=True, max_size=3)
            if index
            else st.just([])
        )
        lags = [draw(st.integers(min_value=0, max_value=5)) for _ in predecessors]
        nodes.append(
            Node(
                index,
                f"节点{index}",
                draw(st.integers(min_value=0, max_value=15)),
                tuple(zip(predecessors, lags, strict=True)),
            )
        )
    linked = {p for node in nodes for p, _lag in node.predecessors}
    sinks = [node.id for node in nodes if node.id not in linked]
    anchor_links = tuple((sink, draw(st.integers(min_value=0, max_value=3))) for sink in sinks)
    nodes.append(Node("start", "开工", 0, anchor_links, anchor=True))
    planned = draw(st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 12, 31)))
    today = draw(st.dates(min_value=D(2023, 6, 1), max_value=D(2026, 12, 31)))
    return nodes, planned, today


def longest_paths(nodes):
    """Each node's longest source→anchor path through it, by enumerating every path."""
    by_id = {node.id: node for node in nodes}
    successors = {node.id: [] for node in nodes}
    for node in nodes:
        for predecessor, lag in node.predecessors:
            successors[predecessor].append((node.id, lag))
    best = {node.id: None for node in nodes}

    # a path's length is the working days from its first start to the anchor: Σ duration + Σ lag
    def walk(node_id, length, path):
        if not successors[node_id]:
            for member in path:
                best[member] = length if best[member] is None else max(best[member], length)
            return
        for successor, lag in successors[node_id]:
            walk(successor, length + by_id[node_id].duration + lag, [*path, successor])

    for node in nodes:
        if not node.predecessors:
            walk(node.id, 0, [node.id])
    return best


@settings(max_examples=150, deadline=None)
@given(networks())
def test_properties_of_both_passes(network):
    nodes, planned, today = network
    schedule = run(nodes, planned=planned, today=today)
    for result in schedule.milestones:
        assert result.latest_start <= result.latest_finish
        assert result.earliest_start <= result.earliest_finish
    # A milestone on the longest path has the smallest float: anchor − today − that path.
    paths = longest_paths(nodes)
    longest = max(paths.values())
    floats = {result.id: result.total_float for result in schedule.milestones}
    anchor = calendar.number_on_or_before(planned)
    now = calendar.number_on_or_after(today)
    assert min(floats.values()) == anchor - now - longest
    for node_id, length in paths.items():
        if length == longest:
            assert floats[node_id] == min(floats.values())
    assert schedule.at_risk == (min(floats.values()) < 0)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_the_summary_alone_is_the_summary_of_the_details(network):
    # the nightly recompute of every project asks for the summary only
    nodes, planned, today = network
    full = run(nodes, planned=planned, today=today)
    summary = compute_schedule(
        nodes, planned_start=planned, today=today, calendar=calendar, details=False
    )
    assert summary.milestones == []
    assert (
        summary.anchor_date,
        summary.forecast_anchor_date,
        summary.at_risk,
        summary.min_float,
        summary.calendar_provisional,
        summary.warnings,
    ) == (
        full.anchor_date,
        full.forecast_anchor_date,
        full.at_risk,
        min(
            (r.total_float for r in full.milestones if r.total_float is not None),
            default=None,
        ),
        full.calendar_provisional,
        full.warnings,
    )


@settings(max_examples=100, deadline=None)
@given(networks(), st.integers(min_value=-30, max_value=30))
def test_moving_the_anchor_moves_every_latest_date_alike(network, shift):
    nodes, planned, today = network
    before = run(nodes, planned=planned, today=today)
    moved = calendar.add_workdays(before.anchor_date, shift)
    after = run(nodes, planned=moved, today=today)
    for old, new in zip(before.milestones, after.milestones, strict=True):
        assert calendar.workdays_between(old.latest_start, new.latest_start) == shift
        assert calendar.workdays_between(old.latest_finish, new.latest_finish) == shift
        assert old.earliest_start == new.earliest_start


def test_milestones_without_a_start_are_scheduled_forward_with_a_warning():
    schedule = run([Node("a", "立项", 5), Node("b", "施工许可", 3, (("a", 0),))])
    assert "尚未设置开工节点，无法倒排最迟时间。" in schedule.warnings
    assert row(schedule, "b").predecessors == (("a", 0),)


@settings(max_examples=100, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_the_order_milestones_are_listed_in_changes_no_date(network, random):
    # listed with every predecessor first, the ordering is skipped; listed otherwise, computed
    nodes, planned, today = network
    shuffled = list(nodes)
    random.shuffle(shuffled)
    listed, reordered = (run(n, planned=planned, today=today) for n in (nodes, shuffled))
    assert listed.by_id() == reordered.by_id()
    assert (listed.forecast_anchor_date, listed.min_float, listed.warnings) == (
        reordered.forecast_anchor_date,
        reordered.min_float,
        reordered.warnings,
    )
