"""走访服务: each project's service specialist (一项目一专员) and linked leader (挂钩帮办), the
visits they make, the problems they bring back as issue tickets (through the issues app's
intake, in one transaction with the visit), and the figures the cockpit and the briefing show —
走访覆盖率 and 反馈率 — each as its definition says, in the reader's scope.

Today is pinned to Monday 23 November 2026.
"""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.exceptions import DomainError, NotPermitted
from fieldservice import selectors, services
from fieldservice.models import Assignment, Visit, VisitorKind
from issues.models import Issue, Source, Status
from projects.models import Project
from todo.selectors import todo_count, todo_items

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)
day = datetime.date


@pytest.fixture(autouse=True)
def pinned_today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the briefing's file
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def world(people, library):
    """江阴's filer serves two 江阴 projects, 无锡's office one in 宜兴; 沭阳 has none."""
    office = people["county_office"]
    for project in (library["jiangyin_other"], library["jiangyin_enterprise_1"]):
        services.assignment_set(by=office, project=project, specialist=people["county_filer"])
    services.assignment_set(
        by=people["city_office"], project=library["yixing"], specialist=people["city_office"]
    )
    return {**people, **library}


def record(by, project, visited_on=TODAY, problems=(), **extra) -> Visit:
    values = {"visitor_kind": VisitorKind.SPECIALIST, "findings": "主体结构施工，进度正常。"}
    values.update(extra)
    return services.visit_record(
        by=by, project=project, visited_on=visited_on, problems=list(problems), **values
    )


LAND = services.Problem("新增建设用地指标缺口", "land_sea", "二期需新增用地86亩。")
POWER = services.Problem("施工用电接入迟缓", "utilities")


# --- who serves a project --------------------------------------------------------------------


def test_office_staff_name_a_specialist_of_the_region_and_replacing_keeps_the_date(world):
    project = world["jiangyin_other"]
    assignment = Assignment.objects.get(project=project)
    assert assignment.specialist == world["county_filer"] and assignment.assigned_on == TODAY
    Assignment.objects.filter(pk=assignment.pk).update(assigned_on=day(2026, 3, 1))
    services.assignment_set(
        by=world["city_office"], project=project, specialist=world["city_office"]
    )
    assignment.refresh_from_db()
    assert assignment.specialist == world["city_office"]
    assert assignment.assigned_on == day(2026, 3, 1)  # the project has had one since March
    assert assignment.history.count() == 2  # named, then replaced


def test_a_specialist_is_someone_who_sees_the_project_and_may_report_its_problems(world):
    project = world["jiangyin_other"]
    with pytest.raises(NotPermitted):  # a filer cannot name one
        services.assignment_set(
            by=world["county_filer"], project=project, specialist=world["county_filer"]
        )
    for person in ("county_filer2", "liaison", "leader", "enterprise"):
        with pytest.raises(DomainError) as refused:  # 沭阳's filer; people who cannot report
            services.assignment_set(
                by=world["county_office"], project=project, specialist=world[person]
            )
        assert refused.value.field == "specialist"
    with pytest.raises(DomainError) as refused:  # 沭阳's project is outside 江阴's office
        services.assignment_set(
            by=world["county_office"], project=world["shuyang"], specialist=world["county_filer"]
        )
    assert refused.value.code == "project_out_of_scope"


def test_the_project_page_shows_its_specialist_and_linked_leader(client, world):
    project = world["jiangyin_other"]
    Project.objects.filter(pk=project.pk).update(
        responsible_leader="张副市长", responsible_leader_level=2
    )
    record(world["county_filer"], project, findings="桩基完成八成。")
    client.force_login(world["county_office"])
    html = client.get(project.get_absolute_url()).content.decode()
    section = html[html.index('id="fieldservice"') :]
    assert str(world["county_filer"]) in section
    assert "张副市长（市分管领导）" in section and "桩基完成八成" in section
    assert reverse("fieldservice:create", args=[project.pk]) in section
    client.force_login(world["enterprise"])  # the project unit sees it, may not record
    own = world["jiangyin_enterprise_1"]
    section = client.get(own.get_absolute_url()).content.decode().split('id="fieldservice"')[1]
    assert str(world["county_filer"]) in section
    assert reverse("fieldservice:create", args=[own.pk]) not in section


# --- recording a visit -----------------------------------------------------------------------


def test_a_visit_files_each_problem_as_a_ticket_linked_back_and_is_published(
    world, heard, django_capture_on_commit_callbacks
):
    project = world["jiangyin_other"]
    with django_capture_on_commit_callbacks(execute=True):
        visit = record(world["county_filer"], project, problems=[LAND, POWER])
    assert visit.visitors == str(world["county_filer"])  # the specialist by default
    issues = [problem.issue for problem in visit.problems.select_related("issue")]
    assert [issue.title for issue in issues] == [LAND.title, POWER.title]
    for issue in issues:  # through the intake: reported, at the county, from 协调服务组
        assert (issue.project, issue.status, issue.source) == (
            project,
            Status.REPORTED,
            Source.FIELD_SERVICE,
        )
        assert issue.events.get().kind == "report" and issue.reported_by == world["county_filer"]
        assert issue.visit_problem.visit == visit
        assert "2026-11-23服务专员" in issue.description
    (event,) = [e for e in heard if e.name == "visit.record"]
    assert (event.object_type, event.object_id, event.project_id) == (
        "fieldservice.visit",
        visit.pk,
        project.pk,
    )
    assert event.region == "320281" and event.payload["issues"] == [i.pk for i in issues]
    assert sum(e.name == "issue.report" for e in heard) == 2


def test_the_linked_leader_visits_under_the_projects_leader(world):
    project = world["jiangyin_other"]
    Project.objects.filter(pk=project.pk).update(responsible_leader="张副市长")
    project.refresh_from_db()
    visit = record(world["county_office"], project, visitor_kind=VisitorKind.LEADER)
    assert visit.visitors == "张副市长" and visit.get_visitor_kind_display() == "挂钩领导"


def test_a_visit_in_the_future_is_refused_and_nothing_is_written(world):
    with pytest.raises(DomainError) as refused:
        record(world["county_filer"], world["jiangyin_other"], day(2026, 11, 24), [LAND])
    assert refused.value.messages == ["走访日期不能晚于今天。"]
    assert not Visit.objects.exists() and not Issue.objects.exists()


def test_a_problem_the_intake_refuses_leaves_no_visit_and_no_other_ticket(world):
    bad = services.Problem("  ", "land_sea")  # the intake wants a title
    with pytest.raises(DomainError) as refused:
        record(world["county_filer"], world["jiangyin_other"], problems=[LAND, bad])
    assert refused.value.messages == ["第2个问题：请填写问题标题。"]
    with pytest.raises(DomainError) as refused:
        record(
            world["county_filer"], world["jiangyin_other"], problems=[replace(LAND, category="x")]
        )
    assert refused.value.messages == ["第1个问题：请选择问题类别。"]
    assert not Visit.objects.exists() and not Issue.objects.exists()


@pytest.mark.parametrize("person", ["county_filer2", "leader", "liaison", "enterprise", "nobody"])
def test_only_office_staff_and_the_projects_specialist_record(world, person):
    with pytest.raises(DomainError):
        record(world[person], world["jiangyin_other"])
    with pytest.raises(NotPermitted):  # 江阴's filer is not this one's specialist
        record(world["county_filer"], world["jiangyin_enterprise_2"])
    assert not Visit.objects.exists()
    record(world["county_filer"], world["jiangyin_other"])  # its own project
    record(world["city_office"], world["jiangyin_other"])  # any office in scope


# --- pages -----------------------------------------------------------------------------------


def test_the_visit_form_records_and_refuses_on_the_form(client, world):
    project = world["jiangyin_other"]
    url = reverse("fieldservice:create", args=[project.pk])
    client.force_login(world["county_filer"])
    assert client.get(url).status_code == 200
    base = {
        "visited_on": "2026-11-20",
        "visitor_kind": "specialist",
        "visitors": "",
        "findings": "问进度、问原因。",
        "problems-TOTAL_FORMS": "3",
        "problems-INITIAL_FORMS": "0",
        "problems-0-title": LAND.title,
        "problems-0-category": LAND.category,
        # the rows left empty, as a browser sends them
        **{f"problems-{n}-{name}": "" for n in (1, 2) for name in ("title", "category")},
    }
    future = client.post(url, {**base, "visited_on": "2026-12-01"})
    assert future.status_code == 400 and "走访日期不能晚于今天。" in future.content.decode()
    assert not Visit.objects.exists()
    begun = client.post(url, {**base, "problems-1-description": "用电", "problems-1-category": ""})
    assert begun.status_code == 400 and "请选择问题类别。" in begun.content.decode()
    assert not Visit.objects.exists() and not Issue.objects.exists()
    done = client.post(url, base)
    visit = Visit.objects.get()
    assert done.status_code == 302 and done["Location"] == visit.get_absolute_url()
    assert visit.problems.get().issue.title == LAND.title
    page = client.get(visit.get_absolute_url()).content.decode()
    assert LAND.title in page and "已上报" in page and "反馈率 =" in page


def test_pages_outside_the_scope_are_not_found_and_others_may_not_record(client, world):
    visit = record(world["county_filer"], world["jiangyin_other"])
    shuyang = world["shuyang"]
    client.force_login(world["county_filer2"])  # 沭阳
    assert client.get(visit.get_absolute_url()).status_code == 404
    assert (
        client.get(reverse("fieldservice:create", args=[world["jiangyin_other"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("fieldservice:assignment", args=[world["yixing"].pk])).status_code == 404
    )
    assert client.get(reverse("fieldservice:list"), {"region": "320200"}).status_code == 404
    assert visit.project.name not in client.get(reverse("fieldservice:list")).content.decode()
    client.force_login(world["leader"])  # sees it, may neither record nor name a specialist
    assert client.get(visit.get_absolute_url()).status_code == 200
    assert client.get(reverse("fieldservice:create", args=[shuyang.pk])).status_code == 403
    assert client.get(reverse("fieldservice:assignment", args=[shuyang.pk])).status_code == 403
    client.force_login(world["county_filer2"])  # no specialist of 沭阳's project
    assert client.get(reverse("fieldservice:create", args=[shuyang.pk])).status_code == 403


def test_the_specialist_page_names_and_clears(client, world):
    project = world["jiangyin_other"]
    url = reverse("fieldservice:assignment", args=[project.pk])
    client.force_login(world["county_office"])
    assert str(world["county_office"]) in client.get(url).content.decode()
    answer = client.post(url, {"specialist": world["county_office"].pk})
    assert answer.status_code == 302
    assert Assignment.objects.get(project=project).specialist == world["county_office"]
    refused = client.post(url, {"specialist": world["county_filer2"].pk})  # not offered
    assert refused.status_code == 400
    assert client.post(url, {"specialist": ""}).status_code == 302
    assert not Assignment.objects.filter(project=project).exists()


def test_the_list_filters_by_month_and_region_and_states_the_definitions(client, world):
    record(world["county_filer"], world["jiangyin_other"], day(2026, 11, 2), findings="十一月江阴")
    record(world["county_filer"], world["jiangyin_other"], day(2026, 10, 9), findings="十月江阴")
    record(world["city_office"], world["yixing"], day(2026, 11, 3), findings="十一月宜兴")
    client.force_login(world["city_office"])
    url = reverse("fieldservice:list")
    html = client.get(url, {"month": "2026-11", "region": "320281"}).content.decode()
    assert "十一月江阴" in html and "十月江阴" not in html and "十一月宜兴" not in html
    assert str(selectors.COVERAGE_DEFINITION) in html and str(selectors.FEEDBACK_DEFINITION) in html
    whole = client.get(url, {"month": "2026-11"}).content.decode()
    assert "十一月宜兴" in whole and "十一月江阴" in whole
    assert client.get(url, {"month": "2026-13"}).status_code == 200  # told, not a crash
    assert "月份应写作" in client.get(url, {"month": "2026-13"}).content.decode()


def test_the_list_reads_in_the_same_queries_however_many_visits(client, world):
    client.force_login(world["city_office"])
    url = reverse("fieldservice:list")

    def measured() -> int:
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"month": "2026-11"}).status_code == 200
        return len(queries)

    record(world["county_filer"], world["jiangyin_other"], day(2026, 11, 2), [LAND])
    client.get(url)  # warm the per-process caches
    few = measured()
    for n in range(1, 8):
        record(world["city_office"], world["yixing"], day(2026, 11, n), [POWER])
    assert measured() == few
    assert few <= 14


# --- the figures -----------------------------------------------------------------------------


def test_coverage_and_feedback_rate_follow_their_definitions(world):
    """无锡 in November: 3 projects with a specialist by the month's end (a fourth named only in
    December does not count), 2 of them visited in November (one twice; October's visit of the
    third does not count); a visit to a project without a specialist is not counted. Of the 4
    problems raised on November's visits, 2 have had their handling fed back: one resolved,
    one not accepted (不予受理); one was sent back for rework and is in progress again."""
    filer, office = world["county_filer"], world["city_office"]
    later = world["jiangyin_enterprise_2"]
    services.assignment_set(by=office, project=later, specialist=filer)
    Assignment.objects.filter(project=later).update(assigned_on=day(2026, 12, 1))
    visits = [
        record(filer, world["jiangyin_other"], day(2026, 11, 2), [LAND, POWER]),
        record(filer, world["jiangyin_other"], day(2026, 11, 9)),
        record(office, world["yixing"], day(2026, 11, 5), [LAND, POWER]),
        record(filer, world["jiangyin_enterprise_1"], day(2026, 10, 28), [LAND]),
        record(office, later, day(2026, 11, 6)),  # no specialist in November
    ]
    first, _again, yixing, october, _later = visits
    statuses = {
        first.problems.all()[0].issue_id: Status.RESOLVED,
        first.problems.all()[1].issue_id: Status.IN_PROGRESS,  # returned for rework
        yixing.problems.all()[0].issue_id: Status.REJECTED,
        october.problems.get().issue_id: Status.CLOSED,  # October's
    }
    department = factories.unit("江阴市自然资源和规划局", "320281", "department")
    five = {
        "unit": department,
        "responsible_leader": "王副县长",
        "responsible_person": "李科长",
        "solution": "专题协调",
        "deadline": day(2026, 12, 31),
    }
    for pk, status in statuses.items():
        Issue.objects.filter(pk=pk).update(status=status, **five)

    wuxi = world["city_office"].region
    figures = selectors.service_figures(office, wuxi, 2026, 11)
    total = figures.total
    assert (total.assigned, total.visited, total.coverage) == (3, 2, Decimal("66.7"))
    assert (total.raised, total.answered, total.feedback_rate) == (4, 2, 50)
    rows = {row.region.code: row for row in figures.rows}
    assert (rows["320281"].assigned, rows["320281"].visited) == (2, 1)
    assert (rows["320282"].assigned, rows["320282"].visited) == (1, 1)
    assert (rows["320281"].raised, rows["320281"].answered) == (2, 1)
    # from 1 January: October's problem (closed) counts too
    year = selectors.service_figures(office, wuxi, 2026, 11, since=day(2026, 1, 1)).total
    assert (year.raised, year.answered) == (5, 3)
    # 江阴's office sees 江阴 only; 沭阳's filer nothing of 无锡
    jiangyin = selectors.service_figures(world["county_office"], wuxi, 2026, 11).total
    assert (jiangyin.assigned, jiangyin.raised) == (2, 2)
    shuyang = selectors.service_figures(world["county_filer2"], wuxi, 2026, 11).total
    assert (shuyang.assigned, shuyang.coverage, shuyang.feedback_rate) == (0, None, None)


def test_the_cockpit_shows_the_figures_per_region_with_their_definitions(client, world):
    record(world["county_filer"], world["jiangyin_other"], day(2026, 11, 2), [LAND])
    client.force_login(world["city_office"])
    html = client.get(reverse("home"), {"period": "M11", "year": 2026}).content.decode()
    section = html[html.index('id="service-title"') :]
    assert "11月走访覆盖率" in section and "33.3%" in section  # 1 of 3
    assert '<tr data-region="320281">' in section and '<tr data-region="320282">' in section
    assert str(selectors.COVERAGE_DEFINITION) in section
    assert str(selectors.FEEDBACK_DEFINITION) in section


def test_the_briefing_has_the_figures_and_their_definitions(world):
    from reports import services as report_services
    from reports.models import Kind
    from reports.models import Status as JobStatus

    from .test_report_briefing import flat, pdf_text

    record(world["county_filer"], world["jiangyin_other"], day(2026, 11, 2), [LAND])
    report, _queued = report_services.report_request(
        kind=Kind.BRIEFING, period="2026-11", by=world["city_office"]
    )
    report = report_services.report_run(report.pk)
    assert report.status == JobStatus.DONE, report.error
    body = flat(pdf_text(report))
    section = body[body.index("八、走访服务情况") :]
    assert (
        "11月，已配服务专员的项目3个，其中本月有服务专员或挂钩领导走访的1个，走访覆盖率33.3%"
        in section
    )
    assert "1—11月走访中提出问题1个，已反馈办理结果0个，反馈率0.0%" in section
    assert flat(str(selectors.COVERAGE_DEFINITION)) in section
    assert flat(str(selectors.FEEDBACK_DEFINITION)) in section


# --- the to-do list --------------------------------------------------------------------------


def test_a_specialist_is_asked_to_visit_the_projects_not_visited_this_month(world):
    filer = world["county_filer"]
    record(filer, world["jiangyin_other"], day(2026, 10, 30))  # last month: still to visit

    def asked():
        return [item for item in todo_items(filer) if item.kind == "visit"]

    items = asked()
    assert {item.title for item in items} == {
        f"本月走访：{world['jiangyin_enterprise_1'].name}",
        f"本月走访：{world['jiangyin_other'].name}",
    }
    assert items[0].due_on == day(2026, 11, 30) and items[0].url.endswith("/new/")
    assert todo_count(filer) == len(todo_items(filer))
    record(world["county_office"], world["jiangyin_other"], day(2026, 11, 20))  # anyone's visit
    assert [item.title for item in asked()] == [f"本月走访：{world['jiangyin_enterprise_1'].name}"]
    assert todo_count(filer) == len(todo_items(filer))
    assert not [i for i in todo_items(world["county_office"]) if i.kind == "visit"]


# --- the API ---------------------------------------------------------------------------------


def test_the_api_lists_in_scope_and_records_with_problems(api, world):
    record(world["city_office"], world["yixing"], day(2026, 11, 3))
    caller = api.as_user(world["county_filer"])
    url = reverse("api:visit-list")
    answer = caller.post(
        url,
        {
            "project": world["jiangyin_other"].pk,
            "visited_on": "2026-11-20",
            "visitor_kind": "specialist",
            "findings": "问进度、问原因。",
            "problems": [{"title": LAND.title, "category": "land_sea"}],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["visitors"] == str(world["county_filer"]) and body["region"] == "320281"
    (problem,) = body["problems"]
    assert problem["title"] == LAND.title and problem["status"] == "reported"
    assert problem["fed_back"] is False
    listed = caller.get(url, {"month": "2026-11"}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]  # not 宜兴's
    assert caller.get(url, {"month": "2026-1"}).status_code == 400


def test_the_api_answers_404_outside_the_scope_and_403_without_the_role(api, world):
    visit = record(world["county_filer"], world["jiangyin_other"])
    body = {
        "project": world["jiangyin_other"].pk,
        "visited_on": "2026-11-20",
        "visitor_kind": "leader",
        "visitors": "张副市长",
        "findings": "现场会办。",
    }
    outsider = api.as_user(world["county_filer2"])
    assert outsider.get(reverse("api:visit-detail", args=[visit.pk])).status_code == 404
    assert outsider.post(reverse("api:visit-list"), body, format="json").status_code == 404
    leader = api.as_user(world["leader"])
    assert leader.get(reverse("api:visit-detail", args=[visit.pk])).status_code == 200
    assert leader.post(reverse("api:visit-list"), body, format="json").status_code == 403
    future = api.as_user(world["county_office"]).post(
        reverse("api:visit-list"), {**body, "visited_on": "2026-12-01"}, format="json"
    )
    assert future.status_code == 400 and future.json()["message"] == "走访日期不能晚于今天。"
    assert Visit.objects.count() == 1


def test_a_department_liaison_sees_only_the_problems_of_its_own_unit(client, api, world):
    """A liaison sees a visit to a project its unit works on, but only the problems whose
    tickets are its unit's — as the tickets themselves."""
    from accounts.models import Unit
    from issues.models import Issue

    visit = record(world["county_office"], world["jiangyin_other"], problems=[LAND, POWER])
    land, power = (p.issue for p in visit.problems.order_by("pk"))
    liaison = world["liaison"]
    other = Unit.objects.create(name="省住房城乡建设厅", region_id="320000", kind="department")
    Issue.objects.filter(pk=land.pk).update(unit=liaison.unit)
    Issue.objects.filter(pk=power.pk).update(unit=other)

    client.force_login(liaison)
    page = client.get(reverse("fieldservice:detail", args=[visit.pk])).content.decode()
    assert LAND.title in page and POWER.title not in page
    body = api.as_user(liaison).get(reverse("api:visit-detail", args=[visit.pk])).json()
    assert [p["title"] for p in body["problems"]] == [LAND.title]
    listed = api.as_user(liaison).get(reverse("api:visit-list")).json()["results"]
    assert [row["id"] for row in listed] == [visit.pk]
    # the office sees both
    assert (
        len(
            api.as_user(world["county_office"])
            .get(reverse("api:visit-detail", args=[visit.pk]))
            .json()["problems"]
        )
        == 2
    )
