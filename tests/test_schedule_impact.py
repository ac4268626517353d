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


# --- on the pages and in the API (the same schedule in the database) ---------------------------

import re  # noqa: E402

from django.urls import reverse  # noqa: E402

from issues.models import Issue  # noqa: E402
from projects.models import Project, Stage, Tier  # noqa: E402
from schedule import services as schedule_services  # noqa: E402
from schedule.models import Milestone  # noqa: E402
from schedule.services import Predecessor  # noqa: E402

from . import factories  # noqa: E402
from .conftest import clock_at  # noqa: E402


@pytest.fixture
def built(people):
    """The schedule above in 江阴, ticket X blocking 用地 until 9 Oct, dispatched (五到位)."""
    with clock_at(TODAY):
        by = people["province_office"]
        project = factories.project(
            "320281",
            by=by,
            name="江阴高端装备项目",
            tier=Tier.PROVINCIAL_IMPLEMENTATION,
            stage=Stage.FILED,
            planned_start=PLANNED,
        )
        land = schedule_services.milestone_create(
            project=project,
            by=by,
            kind="land_supply",
            name="用地审批",
            duration_days=10,
            actual_start=D(2026, 9, 14),
        )
        permit = schedule_services.milestone_create(
            project=project,
            by=by,
            kind="construction_permit",
            name="施工许可",
            duration_days=3,
            predecessors=[Predecessor(land, 0)],
        )
        ticket = Issue.objects.create(
            project=project,
            region_id="320281",
            milestone=land,
            title="新增建设用地指标缺口",
            category="land_sea",
            source="county",
            level="county",
            status="assigned",
            unit=people["liaison"].unit,
            responsible_leader="王厅长",
            responsible_person="李处长",
            solution="省级统筹调剂用地指标",
            deadline=D(2026, 10, 9),
        )
        yield {**people, "project": project, "land": land, "permit": permit, "ticket": ticket}


@pytest.fixture
def today_is_the_21st():
    with clock_at(TODAY):
        yield


def test_the_issue_page_states_its_impact_and_suggests_escalation(
    built, client, settings, today_is_the_21st
):
    settings.ISSUE_ESCALATION_IMPACT_DAYS = 2
    client.force_login(built["county_office"])
    html = client.get(built["ticket"].get_absolute_url()).content.decode()
    impact = re.sub(r"\s+", " ", re.search(r'id="impact">(.*?)</dd>', html, re.S).group(1))
    assert "按2026-10-09解决，预计2026-10-14开工，推迟5个工作日（超过计划开工2个工作日）" in impact
    assert "消耗总时差5天" in impact and "无此问题时预计2026-10-08开工" in impact
    assert 'id="escalation-suggested"' in html
    assert "超过计划开工2个工作日，建议上提协调" in html  # the escalation form's reason
    settings.ISSUE_ESCALATION_IMPACT_DAYS = 3
    html = client.get(built["ticket"].get_absolute_url()).content.decode()
    assert 'id="escalation-suggested"' not in html


def test_the_project_gantt_draws_the_ticket_on_its_milestone(built, client, today_is_the_21st):
    client.force_login(built["province_office"])
    html = client.get(built["project"].get_absolute_url()).content.decode()
    row = re.search(rf'data-milestone="{built["land"].pk}".*?</div>\s*</div>', html, re.S).group(0)
    assert f'data-issue="{built["ticket"].pk}"' in row
    assert f'data-blocker="{built["ticket"].pk}"' in html
    # the forecast start is the one with the ticket holding 用地 back
    assert "2026-10-14" in re.search(r"按当前进度预计开工</dt><dd[^>]*>(.*?)</dd>", html).group(1)


def test_the_api_gives_the_impact_on_the_schedule_and_the_ticket(built, api, today_is_the_21st):
    client = api.as_user(built["province_office"])
    project = built["project"]
    schedule = client.get(reverse("api:project-schedule", args=[project.pk])).json()
    assert schedule["forecast_anchor_date"] == "2026-10-14"
    (blocking,) = schedule["blocking_issues"]
    assert blocking["issue"] == built["ticket"].pk and blocking["milestone"] == built["land"].pk
    assert (blocking["start_delay"], blocking["days_at_risk"], blocking["consumed_float"]) == (
        5,
        2,
        5,
    )
    ticket = client.get(reverse("api:issue-detail", args=[built["ticket"].pk])).json()
    assert ticket["schedule_impact"]["forecast_start"] == "2026-10-14"
    # a liaison of another unit sees the schedule but not the ticket's impact
    other = factories.user(
        "other_liaison",
        "320000",
        ["department_liaison"],
        factories.unit("省住房城乡建设厅", "320000", "department"),
    )
    Milestone.objects.filter(pk=built["permit"].pk).update(responsible_unit=other.unit)
    seen = api.as_user(other).get(reverse("api:project-schedule", args=[project.pk])).json()
    assert seen["blocking_issues"] == []


def test_resolving_the_ticket_releases_the_milestone(built, today_is_the_21st):
    from schedule.recompute import recompute_project

    assert recompute_project(built["project"]).forecast_anchor_date == D(2026, 10, 14)
    Issue.objects.filter(pk=built["ticket"].pk).update(status="resolved")
    assert recompute_project(built["project"]).forecast_anchor_date == D(2026, 10, 8)


def test_tickets_are_ranked_on_the_cockpit_and_the_board(built, client, today_is_the_21st):
    from issues.selectors import threatening

    quiet = Issue.objects.create(
        project=built["project"],
        region_id="320281",
        milestone=built["permit"],
        title="施工图审查意见未回复",
        category="other",
        source="county",
        level="county",
        deadline=D(2026, 9, 18),
    )
    ranked = threatening(Issue.objects.all(), TODAY)
    assert [issue for issue, _impact in ranked] == [built["ticket"]]  # quiet puts nothing at risk
    client.force_login(built["city_office"])
    board = client.get(reverse("issues:board"), {"threatens": "1"}).content.decode()
    threats = re.search(r'id="threats".*?</section>', board, re.S).group(0)
    assert built["ticket"].title in threats and quiet.title not in threats
    # the cockpit lists the starts due this quarter (to 30 Sep): 12 Oct is the next one's
    cockpit = client.get(reverse("home"), {"region": "320200"}).content.decode()
    listed = re.search(r'id="threats".*?</section>', cockpit, re.S).group(0)
    assert built["ticket"].title not in listed
    # planned for 30 Sep: late already (8 Oct without the ticket), 5 more days with it
    Project.objects.filter(pk=built["project"].pk).update(planned_start=D(2026, 9, 30))
    cockpit = client.get(reverse("home"), {"region": "320200"}).content.decode()
    listed = re.search(r'id="threats".*?</section>', cockpit, re.S).group(0)
    assert built["ticket"].title in listed and "江阴高端装备项目" in listed
    assert re.search(r'<td class="num alert">5</td>', listed)
    # a county elsewhere sees none of it
    client.force_login(built["county_filer2"])
    board = client.get(reverse("issues:board"), {"threatens": "1"}).content.decode()
    assert built["ticket"].title not in board


# --- what-if ------------------------------------------------------------------------------------


def test_a_what_if_is_computed_at_once_and_saved_only_on_request(built, client, today_is_the_21st):
    client.force_login(built["province_office"])
    project, land = built["project"], built["land"]
    page = project.get_absolute_url()
    # 用地 to finish on 30 Sep instead of waiting: with the ticket still holding it until 9 Oct,
    # nothing changes; with the ticket's deadline moved to 30 Sep too, 开工 on 12 Oct
    html = client.get(
        page,
        {
            "whatif": "1",
            f"finish_{land.pk}": "2026-09-30",
            f"deadline_{built['ticket'].pk}": "2026-09-30",
        },
    ).content.decode()
    assert "模拟结果（未保存）：预计开工由 2026-10-14 变为 2026-10-12" in html
    land.refresh_from_db()
    assert land.duration_days == 10  # nothing saved
    html = client.get(page, {"whatif": "1", "planned_start": "2026-10-20"}).content.decode()
    assert "模拟结果（未保存）" in html
    refused = client.get(page, {"whatif": "1", f"finish_{land.pk}": "2026-09-01"}).content.decode()
    assert "预计完成日期不能早于其开始日期2026-09-14" in refused

    # save as plan: 用地 to finish on 30 Sep is 13 working days from 14 Sep (Sunday 20th counted)
    save = reverse("schedule:what-if-save", args=[project.pk])
    response = client.post(f"{save}?whatif=1&finish_{land.pk}=2026-09-30&planned_start=2026-10-20")
    assert response.status_code == 302
    land.refresh_from_db()
    project.refresh_from_db()
    assert land.duration_days == 13 and project.planned_start == D(2026, 10, 20)
    assert land.history.first().history_user == built["province_office"]


def test_a_what_if_needs_an_office_user_and_saving_a_library_editor(
    built, client, api, today_is_the_21st
):
    project = built["project"]
    client.force_login(built["county_filer"])
    html = client.get(
        project.get_absolute_url(), {"whatif": "1", "planned_start": "2026-11-02"}
    ).content.decode()
    assert "模拟结果" not in html and 'id="what-if"' not in html
    save = reverse("schedule:what-if-save", args=[project.pk])
    assert client.post(f"{save}?planned_start=2026-11-02").status_code == 403
    client.force_login(built["county_filer2"])  # another county: not found
    assert client.post(f"{save}?planned_start=2026-11-02").status_code == 404
    project.refresh_from_db()
    assert project.planned_start == PLANNED


def test_the_api_dry_run_and_save(built, api, today_is_the_21st):
    project, land = built["project"], built["land"]
    url = reverse("api:project-schedule-what-if", args=[project.pk])
    office = api.as_user(built["province_office"])
    dry = office.post(
        url,
        {
            "finishes": {str(land.pk): "2026-09-30"},
            "deadlines": {str(built["ticket"].pk): "2026-09-30"},
        },
        format="json",
    )
    assert dry.status_code == 200, dry.content
    assert dry.json()["forecast_anchor_date"] == "2026-10-12"
    land.refresh_from_db()
    assert land.duration_days == 10
    bad = office.post(url, {"finishes": {str(land.pk): "2026-09-01"}}, format="json")
    assert bad.status_code == 400
    assert "不能早于其开始日期" in str(bad.json())
    filer = api.as_user(built["county_filer"])
    assert filer.post(url, {"planned_start": "2026-11-02"}, format="json").status_code == 403
    office = api.as_user(built["province_office"])
    saved = office.post(url, {"planned_start": "2026-10-20", "save": True}, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["anchor_date"] == "2026-10-20"
    assert Project.objects.get(pk=project.pk).planned_start == D(2026, 10, 20)


def test_the_weekly_agenda_shows_what_each_ticket_costs_the_start(built, client, today_is_the_21st):
    from issues import services as issue_services

    meeting = issue_services.meeting_create(by=built["province_office"], date=D(2026, 9, 23))
    client.force_login(built["province_office"])
    html = client.get(meeting.get_absolute_url()).content.decode()
    row = re.search(rf'data-issue="{built["ticket"].pk}".*?</tr>', html, re.S).group(0)
    assert "预计2026-10-14开工，推迟5个工作日（超过计划开工2个工作日）" in re.sub(r"\s+", "", row)
