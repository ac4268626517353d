"""Project lights (indicators/lights.py) on a small hand-made library: each rule turns a project
red or yellow on its own, the light follows the facts, and "worst first" orders by it.

Pinned to Monday 7 December 2026: November's forms were due on 20 November, so eleven months
of this year's plan are "to date"; three working days from today reach Thursday 10 December.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import services as approval_services
from approvals.models import ApprovalKind
from indicators import lights
from issues.models import Issue, Level, Status
from progress.models import MonthlyReport
from projects.models import Project, Stage
from schedule.models import ProjectSchedule

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 12, 7)
pytestmark = pytest.mark.clock(TODAY)


@pytest.fixture
def by(people):
    return people["province_office"]


def light(project) -> tuple[str, set[str]]:
    annotated = lights.with_lights(Project.objects.filter(pk=project.pk), TODAY).get()
    return annotated.light, {rule.code for rule in lights.reasons(annotated)}


def issue(project, *, status=Status.ASSIGNED, deadline=None, **extra) -> Issue:
    """A ticket being handled (交办, with its 五到位), as the workflow would have left it."""
    return Issue.objects.create(
        project=project,
        region=project.region,
        title="征地拆迁未完成",
        category="land_sea",
        source="county",
        level=Level.COUNTY,
        status=status,
        # 五到位
        unit=factories.unit("江阴市自然资源和规划局", "320281", "department"),
        responsible_leader="分管副市长",
        responsible_person="经办人",
        solution="加快征收",
        deadline=deadline,
        **extra,
    )


def schedule(project, *, at_risk=False, min_float=None) -> None:
    ProjectSchedule.objects.update_or_create(
        project=project,
        defaults={
            "at_risk": at_risk,
            "min_float": min_float,
            "computed_for": TODAY,
            "computed_at": timezone.now(),
        },
    )


def test_a_project_with_nothing_wrong_is_green(people, by):
    project = factories.project("320281", by=by, stage=Stage.FILED)
    schedule(project, min_float=6)
    assert light(project) == ("green", set())


def test_an_overdue_issue_makes_the_project_red_until_it_is_resolved(by):
    project = factories.project("320281", by=by)
    ticket = issue(project, deadline=datetime.date(2026, 12, 4))
    assert light(project) == ("red", {"issue_overdue"})
    ticket.status = Status.RESOLVED
    ticket.save()
    assert light(project) == ("green", set())


def test_a_deadline_within_three_working_days_is_yellow_and_a_later_one_green(by):
    project = factories.project("320281", by=by)
    ticket = issue(project, deadline=datetime.date(2026, 12, 10))  # Thursday: third working day
    assert light(project) == ("yellow", {"deadline_near"})
    ticket.deadline = datetime.date(2026, 12, 11)
    ticket.save()
    assert light(project) == ("green", set())


def test_an_approval_running_past_its_promise_is_red_and_one_near_it_yellow(by):
    project = factories.project("320281", by=by)
    with clock_at(datetime.date(2026, 11, 2)):
        item = approval_services.approval_create(
            by=by, project=project, kind=ApprovalKind.objects.get(code="land")
        )
        for status in ("submitted", "accepted"):
            item = approval_services.approval_transition(
                approval=item, by=by, status=status, date=datetime.date(2026, 11, 2)
            )
    promised = item.promise_due_on
    assert promised is not None
    late = item.promise_late_on  # late in working days from the first working day after
    expected = (
        "red" if late <= TODAY else "yellow" if promised <= lights.horizon(TODAY) else "green"
    )
    assert light(project)[0] == expected
    # promised on Tuesday 1 December: late from Wednesday the 2nd
    item.promise_due_on, item.promise_late_on = (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 2),
    )
    item.save(update_fields=["promise_due_on", "promise_late_on"])
    assert light(project) == ("red", {"approval_overdue"})
    item.promise_due_on, item.promise_late_on = (
        datetime.date(2026, 12, 9),
        datetime.date(2026, 12, 10),
    )
    item.save(update_fields=["promise_due_on", "promise_late_on"])
    assert light(project) == ("yellow", {"deadline_near"})


def test_the_start_at_risk_or_short_of_float_counts_only_before_the_start(by):
    waiting = factories.project("320281", by=by, stage=Stage.FILED)
    schedule(waiting, at_risk=True, min_float=-4)
    assert light(waiting) == ("red", {"start_at_risk", "float_low"})
    schedule(waiting, min_float=5)
    assert light(waiting) == ("yellow", {"float_low"})
    started = factories.project(
        "320281", by=by, stage=Stage.STARTED, started_on=datetime.date(2026, 3, 1)
    )
    schedule(started, at_risk=True, min_float=-4)
    assert light(started) == ("green", set())


def test_investment_below_the_share_of_plan_to_date_is_red(people, by, settings):
    """Approved through the monthly review (which keeps the library's 本年完成投资): a submitted
    month does not count until it is approved."""
    from progress import services as progress

    settings.LIGHT_INVESTMENT_SHARE = 0.8
    project = factories.project(
        "320281",
        by=by,
        stage=Stage.STARTED,
        started_on=datetime.date(2026, 2, 1),
        planned_investment_year=Decimal("1200"),
        admission="admitted",
    )
    assert lights.months_due(TODAY) == 11  # plan to date 1,100; 80 % of it is 880

    def file(period, amount, approve=True):
        report, _outcome = progress.report_save(
            project=project,
            period=period,
            by=people["county_filer"],
            investment_this_month=amount,
            physical_progress="主体施工",
        )
        report = progress.report_submit(report=report, by=people["county_filer"])
        if approve:
            progress.report_approve(report=report, by=people["city_office"])

    file("2026-10", "500")
    file("2026-11", "370")
    assert light(project) == ("red", {"investment_behind"})
    file("2026-12", "20", approve=False)  # submitted, not approved: not counted
    assert light(project) == ("red", {"investment_behind"})
    progress.report_approve(
        report=MonthlyReport.objects.get(project=project, period="2026-12"),
        by=people["city_office"],
    )
    assert light(project) == ("green", set())


def test_worst_first_orders_red_then_yellow_then_green_and_filters_by_light(by):
    calm = factories.project("320281", by=by, name="平稳项目", total_investment=Decimal("900000"))
    near = factories.project("320281", by=by, name="临期项目")
    issue(near, deadline=datetime.date(2026, 12, 8))
    bad = factories.project("320281", by=by, name="逾期项目", total_investment=Decimal("1000"))
    issue(bad, deadline=datetime.date(2026, 12, 1))
    worse = factories.project("320281", by=by, name="多项逾期项目", stage=Stage.FILED)
    issue(worse, deadline=datetime.date(2026, 12, 1))
    schedule(worse, at_risk=True, min_float=-1)
    ours = Project.objects.filter(pk__in=[calm.pk, near.pk, bad.pk, worse.pk])
    ordered = lights.worst_first(lights.with_lights(ours, TODAY))
    assert [p.name for p in ordered] == ["多项逾期项目", "逾期项目", "临期项目", "平稳项目"]
    reds = lights.with_lights(ours, TODAY).filter(light="red")
    assert {p.name for p in reds} == {"多项逾期项目", "逾期项目"}
    with clock_at(TODAY):
        assert lights.light_of(calm)[0] == "green"


def test_the_light_worked_out_of_the_rules_is_the_one_the_database_works_out(by):
    """Pages and answers that only show lights annotate the rules (a smaller query) and work
    the light out in Python; ordering and counting use the database's: both must agree."""
    calm = factories.project("320281", by=by, name="平稳项目")
    near = factories.project("320281", by=by, name="临期项目")
    issue(near, deadline=datetime.date(2026, 12, 8))
    bad = factories.project("320281", by=by, name="逾期项目", stage=Stage.FILED)
    issue(bad, deadline=datetime.date(2026, 12, 1))
    schedule(bad, at_risk=False, min_float=2)  # red and yellow at once: red
    ours = Project.objects.filter(pk__in=[calm.pk, near.pk, bad.pk])
    database = {p.pk: (p.light, lights.reasons(p)) for p in lights.with_lights(ours, TODAY)}
    worked_out = {p.pk: lights.light_of(p) for p in lights.with_light_rules(ours, TODAY)}
    assert worked_out == database
    assert {pk: light for pk, (light, _) in worked_out.items()} == {
        calm.pk: "green",
        near.pk: "yellow",
        bad.pk: "red",
    }
    assert [rule.code for rule in worked_out[bad.pk][1]] == ["issue_overdue", "float_low"]


def test_the_api_gives_each_project_its_light_and_filters_by_it(people, by, api):
    calm = factories.project("320281", by=by, name="平稳项目")
    bad = factories.project("320281", by=by, name="逾期项目")
    issue(bad, deadline=datetime.date(2026, 12, 1))
    client = api.as_user(people["city_office"])
    red = client.get("/api/v1/projects/", {"light": "red"}).json()
    assert [row["name"] for row in red["results"]] == ["逾期项目"]
    assert red["results"][0]["light_reasons"] == [
        {"code": "issue_overdue", "light": "red", "label": "有逾期未办结的问题"}
    ]
    detail = client.get(f"/api/v1/projects/{calm.pk}/").json()
    assert (detail["light"], detail["light_reasons"]) == ("green", [])
    assert client.get("/api/v1/projects/", {"light": "purple"}).status_code == 400
    elsewhere = api.as_user(people["county_filer2"])  # 沭阳: neither project is in its scope
    assert elsewhere.get("/api/v1/projects/", {"light": "red"}).json()["count"] == 0
    assert elsewhere.get(f"/api/v1/projects/{bad.pk}/").status_code == 404


def test_the_library_and_the_project_page_show_the_light_and_filter_by_it(people, by, client):
    calm = factories.project("320281", by=by, name="平稳项目", admission="admitted")
    bad = factories.project("320281", by=by, name="逾期项目", admission="admitted")
    issue(bad, deadline=datetime.date(2026, 12, 1))
    client.force_login(people["city_office"])
    page = client.get("/projects/", {"light": "red"}).content.decode()
    assert "共 1 个项目" in page and "逾期项目" in page and "平稳项目" not in page
    ordered = client.get("/projects/", {"sort": "light"}).content.decode()
    assert ordered.index("逾期项目") < ordered.index("平稳项目")
    detail = client.get(f"/projects/{bad.pk}/").content.decode()
    assert "红灯" in detail and "有逾期未办结的问题" in detail
    assert "绿灯" in client.get(f"/projects/{calm.pk}/").content.decode()
    client.force_login(people["county_filer2"])
    assert client.get(f"/projects/{bad.pk}/").status_code == 404
