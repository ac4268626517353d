"""我的待办: each person's to-do list as they see it on the page, in the navigation and through
``GET /api/v1/me/todo/`` — computed from the workflows' state, in their scope, most urgent first.

Today is pinned to Monday 23 November 2026 (no holidays around it): the forms of November were
due on the 20th, those of October on 20 October; three working days from today is Thursday 26
November.
"""

import datetime
import os
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from approvals import services as approval_services
from approvals.models import ApprovalKind, ApprovalStatus
from issues import services as issue_services
from issues.models import Issue, Level, Status
from progress import services as progress_services
from projects.models import Admission, Project, Stage
from reports.models import Kind as ReportKind
from reports.models import Report
from reports.models import Status as ReportJobStatus
from schedule.models import CalendarDay
from todo.selectors import todo_count, todo_items

from . import factories
from .conftest import clock_at
from .test_browser_progress import (
    CHROMIUM,
    PHONE,
    browser,  # noqa: F401  (the fixture)
    phone_page,
    scroll_width,
)

TODAY = datetime.date(2026, 11, 23)
NOV = {day: datetime.date(2026, 11, day) for day in range(1, 31)}


@pytest.fixture(autouse=True)
def pinned_today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the documents' files
    with clock_at(TODAY):
        yield TODAY


# --- the world -------------------------------------------------------------------------------


def ticket(project, title, status, *, level=Level.COUNTY, unit=None, deadline=None) -> Issue:
    """A ticket standing in ``status`` (the workflow's own tests walk the real steps)."""
    five = {}
    if unit is not None:
        five = {
            "unit": unit,
            "responsible_leader": "王副县长",
            "responsible_person": "李科长",
            "solution": "专题协调",
            "deadline": deadline,
        }
    return Issue.objects.create(
        project=project,
        region=project.region,
        title=title,
        category="land_sea",
        source="county",
        level=level,
        status=status,
        **five,
    )


def active_project(people, region, name):
    """A started project admitted to the library: it files a monthly form."""
    project = factories.project(
        region,
        by=people["province_office"],
        name=name,
        stage=Stage.STARTED,
        signed_on=datetime.date(2026, 1, 10),
        filed_on=datetime.date(2026, 2, 10),
        started_on=datetime.date(2026, 3, 10),
    )
    Project.objects.filter(pk=project.pk).update(admission=Admission.ADMITTED)
    project.refresh_from_db()
    return project


def submitted_form(people, project, period="2026-11", filer="county_filer"):
    report, _outcome = progress_services.report_save(
        project=project,
        period=period,
        by=people[filer],
        investment_this_month="100",
        physical_progress="主体结构施工",
    )
    return progress_services.report_submit(report=report, by=people[filer])


def running_approval(project, kind, unit, *, by, accepted, promised_days, specialist=None):
    """An approval accepted on ``accepted``: promised by ``promised_days`` working days later."""
    approval = approval_services.approval_create(
        by=by,
        project=project,
        kind=ApprovalKind.objects.get(code=kind),
        unit=unit,
        promised_days=promised_days,
        specialist=specialist,
    )
    for status in (ApprovalStatus.SUBMITTED, ApprovalStatus.ACCEPTED):
        approval = approval_services.approval_transition(
            approval=approval, by=by, status=status, date=accepted
        )
    return approval


def finished_document(region, kind=ReportKind.BRIEFING, period="2026-10", number=1) -> Report:
    """A generated, not yet published document of ``region``'s office."""
    report = Report(
        kind=kind,
        period=period,
        year=int(period[:4]),
        number=number,
        unit=factories.office(region),
        title=f"{ReportKind(kind).label}（{period}）第{number}期",
        status=ReportJobStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    report.file.save(f"{kind}-{period}-{number}.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    report.save()
    return report


@pytest.fixture
def world(people, library):
    """江阴 (county 320281 of 无锡 320200): tickets at every step, three active projects (one
    November form submitted), approvals of 省自然资源厅 near and past their promise, a
    briefing of 无锡 waiting to be published, and a 江阴 meeting with a decision."""
    by = people["province_office"]
    department = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    handler = factories.user("handler", "320281", ["department_liaison"], department)
    enterprise_project = library["jiangyin_enterprise_1"]
    other = library["jiangyin_other"]
    tickets = {
        "reported": ticket(enterprise_project, "用地指标不足", Status.REPORTED),
        "accepted": ticket(enterprise_project, "环评批复滞后", Status.ACCEPTED),
        "assigned": ticket(
            other, "新交办的规划调整", Status.ASSIGNED, unit=department, deadline=NOV[27]
        ),
        "late": ticket(
            enterprise_project,
            "征地拆迁迟迟未完成",
            Status.IN_PROGRESS,
            unit=department,
            deadline=NOV[20],
        ),
        "resolved": ticket(
            enterprise_project, "供电线路已接入", Status.RESOLVED, unit=department, deadline=NOV[30]
        ),
        "confirmed": ticket(
            enterprise_project, "道路配套已完成", Status.CONFIRMED, unit=department, deadline=NOV[6]
        ),
        "city": ticket(other, "跨县用水指标", Status.REPORTED, level=Level.CITY),
        "province": ticket(other, "省级用林指标", Status.REPORTED, level=Level.PROVINCE),
        "closed": ticket(enterprise_project, "已销号的问题", Status.CLOSED),
        "yixing": ticket(library["yixing"], "宜兴的问题", Status.REPORTED),
    }
    # reported on Monday 16 November: two working days to accept it, to the 18th
    tickets["slow"] = ticket(other, "迟迟未受理的问题", Status.REPORTED)
    Issue.objects.filter(pk=tickets["slow"].pk).update(
        reported_at=timezone.make_aware(datetime.datetime(2026, 11, 16, 9))
    )
    projects = [active_project(people, "320281", f"江阴在建项目{n}") for n in (1, 2, 3)]
    submitted_form(people, projects[0])
    land = people["liaison"].unit  # 省自然资源厅
    ecology = factories.unit("省生态环境厅", "320000", Unit.Kind.DEPARTMENT)
    approvals = {
        # accepted Mon 16 Nov, 8 working days: promised Thu 26 Nov (within 3 working days)
        "near": running_approval(other, "land", land, by=by, accepted=NOV[16], promised_days=8),
        # accepted Mon 2 Nov, 5 working days: promised Mon 9 Nov, past it
        "late": running_approval(
            enterprise_project, "land", land, by=by, accepted=NOV[2], promised_days=5
        ),
        # promised Mon 14 Dec: not yet
        "far": running_approval(
            library["yixing"], "land", land, by=by, accepted=NOV[16], promised_days=20
        ),
        # 省生态环境厅's, past its promise, 无锡's office as the service specialist
        "specialist": running_approval(
            other,
            "eia",
            ecology,
            by=by,
            accepted=NOV[2],
            promised_days=5,
            specialist=people["city_office"],
        ),
    }
    briefing = finished_document("320200")
    meeting = issue_services.meeting_create(by=people["county_office"], date=NOV[20])
    item = meeting.items.get(project=enterprise_project)
    issue_services.agenda_decide(
        item=item, by=people["county_office"], decision="自然资源局11月底前完成征地拆迁"
    )
    return {
        **people,
        **library,
        "department": department,
        "handler": handler,
        "tickets": tickets,
        "projects": projects,
        "approvals": approvals,
        "briefing": briefing,
        "meeting": meeting,
        "item": item,
    }


def titles(items) -> list[str]:
    return [item.title for item in items]


# --- who sees what ---------------------------------------------------------------------------


def test_the_county_office_accepts_assigns_and_closes_at_its_level(world):
    items = todo_items(world["county_office"])
    tickets = world["tickets"]
    assert titles(items) == [
        "待受理：迟迟未受理的问题",  # to be accepted by the 18th
        "落实会商意见：江阴澄新一期",  # its 征地拆迁 ticket was due on the 20th
        "待受理：用地指标不足",  # reported today: to be accepted by the 25th
        "待交办：环评批复滞后",  # no date: last, by title
        "待销号：道路配套已完成",
    ]
    by_title = {item.title: item for item in items}
    assert (by_title["待受理：迟迟未受理的问题"].due_on, items[0].overdue) == (NOV[18], True)
    accept = by_title["待受理：用地指标不足"]
    assert accept.url == tickets["reported"].get_absolute_url()
    assert [step.name for step in accept.steps] == ["accept", "escalate", "reject"]
    assert [step.label for step in accept.steps] == ["受理", "上提", "不予受理"]
    assert (accept.due_on, accept.overdue) == (NOV[25], False)
    assign = by_title["待交办：环评批复滞后"]
    assert (assign.due_on, assign.overdue) == (None, False)
    assert [step.name for step in by_title["待销号：道路配套已完成"].steps] == ["close"]
    decision = by_title["落实会商意见：江阴澄新一期"]
    assert decision.url == (
        reverse("issues:meeting-detail", args=[world["meeting"].pk]) + f"#item-{world['item'].pk}"
    )
    assert (decision.due_on, decision.overdue) == (NOV[20], True)
    assert "自然资源局11月底前完成征地拆迁" in decision.detail


def test_each_office_gets_the_tickets_of_its_own_level(world):
    city = titles(todo_items(world["city_office"]))
    province = titles(todo_items(world["province_office"]))
    assert "待受理：跨县用水指标" in city and "待受理：跨县用水指标" not in province
    # the province office has three working days to accept, the city office two
    dues = {
        item.title: item.due_on
        for who in ("city_office", "province_office")
        for item in todo_items(world[who])
    }
    assert dues["待受理：跨县用水指标"] == NOV[25] and dues["待受理：省级用林指标"] == NOV[26]
    assert "待受理：省级用林指标" in province and "待受理：省级用林指标" not in city
    # the county's own tickets wait on the county office, not on the offices above it
    assert not any("用地指标不足" in title for title in city + province)


def test_the_handling_unit_starts_reports_and_resolves(world):
    items = todo_items(world["handler"])
    assert titles(items) == [
        "待办结：征地拆迁迟迟未完成",
        "落实会商意见：江阴澄新一期",
        "待开始办理：新交办的规划调整",
    ]
    late, decision, assigned = items
    assert (late.due_on, late.overdue) == (NOV[20], True)
    assert [step.name for step in late.steps] == ["note", "resolve"]
    assert [step.label for step in late.steps] == ["进展反馈", "办结"]
    assert (assigned.due_on, assigned.overdue) == (NOV[27], False)
    assert [step.name for step in assigned.steps] == ["start"]
    assert (decision.due_on, decision.overdue) == (NOV[20], True)
    assert late.detail == "江阴澄新一期 · 县级 · 江阴市自然资源和规划局"


def test_the_project_unit_confirms_the_result(world):
    items = todo_items(world["enterprise"])
    assert titles(items) == ["待确认办结结果：供电线路已接入"]
    assert [step.name for step in items[0].steps] == ["confirm", "return"]
    assert items[0].url == world["tickets"]["resolved"].get_absolute_url()


def test_the_county_filer_files_this_month_and_the_last(world):
    items = todo_items(world["county_filer"])
    assert titles(items) == [
        "江阴市2026年10月月度进展待报送",
        "江阴市2026年11月月度进展待报送",
    ]
    october, november = items
    assert (october.count, october.due_on, october.overdue) == (
        3,
        datetime.date(2026, 10, 20),
        True,
    )
    assert (november.count, november.due_on, november.overdue) == (2, NOV[20], True)
    assert november.detail == "2个项目未报送，截止2026-11-20"
    assert november.url == reverse(
        "progress:form", kwargs={"region": "320281", "period": "2026-11"}
    )
    assert [step.label for step in november.steps] == ["填报", "报送"]


def test_before_the_deadline_the_month_is_not_overdue(world):
    with clock_at(NOV[2]):
        october, november = todo_items(world["county_filer"])
    assert (october.due_on, october.overdue) == (datetime.date(2026, 10, 20), True)
    assert (november.due_on, november.overdue, november.count) == (NOV[20], False, 2)


def test_the_city_and_province_offices_review_the_submitted_forms(world):
    for who in ("city_office", "province_office"):
        reviews = [item for item in todo_items(world[who]) if item.kind == "progress_review"]
        assert titles(reviews) == ["江阴市2026年11月月度进展待审核"], who
        assert reviews[0].count == 1
        assert reviews[0].url == reverse(
            "progress:form", kwargs={"region": "320281", "period": "2026-11"}
        )
        assert [step.name for step in reviews[0].steps] == ["approve", "return"]
    # the county does not review its own forms; once approved, the review is done
    assert not [item for item in todo_items(world["county_office"]) if "审核" in item.title]
    report = world["projects"][0].monthly_reports.get()
    progress_services.report_approve(report=report, by=world["city_office"])
    assert not [item for item in todo_items(world["province_office"]) if "审核" in item.title]


def test_approvals_near_or_past_their_promise_for_the_department_and_the_specialist(world):
    items = todo_items(world["liaison"])
    approvals = world["approvals"]
    assert titles(items) == [
        "审批已超承诺时限：江阴澄新一期 · 用地用海",
        "审批临近承诺时限：江阴其他企业项目 · 用地用海",
    ]
    late, near = items
    assert (late.due_on, late.overdue) == (NOV[9], True)
    assert (near.due_on, near.overdue) == (NOV[26], False)
    assert near.url == approvals["near"].get_absolute_url()
    assert [step.name for step in near.steps] == ["review", "approve", "refuse", "return"]
    # the specialist follows the approval of another department
    city = [item for item in todo_items(world["city_office"]) if item.kind == "approval"]
    assert titles(city) == ["审批已超承诺时限：江阴其他企业项目 · 环评"]
    assert city[0].url == approvals["specialist"].get_absolute_url()


def test_a_wider_window_brings_the_later_promise_in(world, settings):
    settings.APPROVAL_DUE_WORKDAYS = 15  # to Mon 14 December
    items = todo_items(world["liaison"])
    assert "审批临近承诺时限：宜兴项目 · 用地用海" in titles(items)
    assert todo_count(world["liaison"]) == len(items) == 3


def test_days_entered_in_the_calendar_move_the_window(world):
    """Holidays entered by hand on 24–26 November: three working days from today reach to
    Tuesday 1 December, and an approval promised for 30 November comes in."""
    monday = running_approval(
        world["jiangyin_other"],
        "forestry",
        world["liaison"].unit,
        by=world["province_office"],
        accepted=NOV[16],
        promised_days=10,
    )
    assert monday.promise_due_on == NOV[30]
    assert len(todo_items(world["liaison"])) == todo_count(world["liaison"]) == 2
    for day in (24, 25, 26):
        CalendarDay.objects.create(date=NOV[day], is_workday=False, note="临时放假")
    items = todo_items(world["liaison"])
    assert "审批临近承诺时限：江阴其他企业项目 · 用林" in titles(items)
    assert todo_count(world["liaison"]) == len(items) == 3


def test_documents_to_publish_for_the_issuing_office(world):
    reports = [item for item in todo_items(world["city_office"]) if item.kind == "report"]
    assert titles(reports) == ["待印发：重大项目工作简报（2026-10）第1期"]
    assert reports[0].url == world["briefing"].get_absolute_url()
    assert [step.name for step in reports[0].steps] == ["publish"]
    for who in ("province_office", "county_office", "county_filer", "liaison"):
        assert not [item for item in todo_items(world[who]) if item.kind == "report"], who


def test_a_quota_near_its_issuance_deadline_and_not_issued_is_the_offices(world, settings):
    """ "9月底前完成发行": a quota of the office's own region not fully issued shows from
    QUOTA_DEADLINE_WARN_DAYS days before its deadline, and as overdue after it."""
    from decimal import Decimal

    from accounts.models import Region
    from funding import services as funding_services
    from funding.models import FundingChannel

    settings.QUOTA_DEADLINE_WARN_DAYS = 30
    by = world["province_office"]
    wuxi = Region.objects.get(code="320200")

    def quota(code, deadline, amount="600"):
        return funding_services.quota_save(
            by=by,
            channel=FundingChannel.objects.get(code=code),
            year=2026,
            region=wuxi,
            amount=Decimal(amount),
            issuance_deadline=deadline,
        )

    quota("special_bond", datetime.date(2026, 12, 15))  # in 22 days
    quota("treasury_bond", datetime.date(2026, 11, 20))  # three days ago
    quota("central_budget", datetime.date(2027, 1, 31))  # beyond the 30 days
    funding_services.record_create(
        by=by,
        project=world["jiangyin_other"],
        channel=FundingChannel.objects.get(code="special_bond"),
        year=2026,
        allocated=Decimal("400"),
        issued=Decimal("240"),
    )

    items = [item for item in todo_items(world["city_office"]) if item.kind == "quota"]
    assert [(item.title, item.overdue) for item in items] == [
        ("超长期特别国债额度待发行：无锡市2026年", True),
        ("专项债额度待发行：无锡市2026年", False),
    ]
    assert items[1].detail == "额度600.00万元，已发行240.00万元（40.0%），2026-12-15前完成发行"
    assert items[1].url == "/funding/?year=2026&region=320200"
    assert todo_count(world["city_office"]) == len(todo_items(world["city_office"]))
    # nobody else's: not the province's, not the county's
    for who in ("province_office", "county_office"):
        assert not [item for item in todo_items(world[who]) if item.kind == "quota"], who

    # fully issued: off the list
    quota("special_bond", datetime.date(2026, 12, 15), amount="240")
    items = [item for item in todo_items(world["city_office"]) if item.kind == "quota"]
    assert [item.title for item in items] == ["超长期特别国债额度待发行：无锡市2026年"]


# --- scope -----------------------------------------------------------------------------------


def test_nobody_outside_the_region_gets_anything(world):
    suqian = factories.user("suqian_office", "321300", ["office_staff"], factories.office("321300"))
    for person in (suqian, world["county_filer2"], world["nobody"], world["leader"]):
        assert todo_items(person) == [], person.username
        assert todo_count(person) == 0, person.username


def test_every_item_opens_for_its_person(client, world):
    """Nobody is shown an item about something they cannot open; an issue's or approval's
    page offers exactly the steps the item names."""
    for who in (
        "county_office",
        "city_office",
        "province_office",
        "handler",
        "enterprise",
        "county_filer",
        "liaison",
    ):
        person = world[who]
        client.force_login(person)
        items = todo_items(person)
        assert items, who
        for item in items:
            page = client.get(item.url)
            assert page.status_code == 200, (who, item.title)
            if item.kind in ("issue", "approval"):
                offered = re.findall(r'id="action-([a-z_]+)"', page.content.decode())
                assert offered == [step.name for step in item.steps], (who, item.title)


def test_the_list_follows_the_workflow_at_once(world):
    """Computed from the current state: a step taken leaves the list, the next one arrives."""
    tickets = world["tickets"]
    issue_services.issue_accept(issue=tickets["reported"], by=world["county_office"])
    assert "待交办：用地指标不足" in titles(todo_items(world["county_office"]))
    issue_services.issue_resolve(
        issue=tickets["late"], by=world["handler"], resolution="已完成征地拆迁"
    )
    assert "待办结：征地拆迁迟迟未完成" not in titles(todo_items(world["handler"]))
    assert "待确认办结结果：征地拆迁迟迟未完成" in titles(todo_items(world["enterprise"]))


# --- the page, the navigation and the API ----------------------------------------------------


def test_the_page_lists_the_items_with_their_links_and_the_badge(client, world):
    client.force_login(world["handler"])
    html = client.get(reverse("todo:list")).content.decode()
    listed = re.findall(r'<h2><a href="([^"]+)">([^<]+)</a></h2>', html)
    assert [title for _url, title in listed] == titles(todo_items(world["handler"]))
    late = world["tickets"]["late"].get_absolute_url()
    assert listed[0][0] == late
    # each step named leads to its form on the ticket's page
    assert f'<a class="step" href="{late}#action-resolve">办结</a>' in html
    assert "共 3 项待办" in html and "其中 2 项已逾期" in html
    assert html.count('<span class="badge overdue">已逾期</span>') == 2
    assert re.search(r'class="badge todo-count"[^>]*>3</span>', html)
    # every page shows the same count in the navigation
    board = client.get(reverse("issues:board")).content.decode()
    assert re.search(r'class="badge todo-count"[^>]*>3</span>', board)


def test_no_badge_without_items_and_the_page_says_so(client, world):
    client.force_login(world["county_filer2"])
    html = client.get(reverse("todo:list")).content.decode()
    assert "暂无待办事项。" in html and "todo-count" not in html


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no chromium at {CHROMIUM}")
def test_the_list_fits_a_phone_and_leads_to_the_ticket(
    transactional_db,
    world,
    live_server,
    browser,  # noqa: F811
):
    page = phone_page(browser, live_server, world["handler"])
    page.goto(live_server.url + reverse("todo:list"))
    assert scroll_width(page) <= PHONE["width"]
    assert page.locator(".todo-item").count() == 3
    # on a phone the menu is folded: its button carries the count
    assert page.locator(".menu-button .menu-todo").inner_text() == "3"
    page.get_by_role("link", name="待办结：征地拆迁迟迟未完成").click()
    page.wait_for_load_state()
    assert page.url.endswith(world["tickets"]["late"].get_absolute_url())
    assert page.locator("#action-resolve").count() == 1
    page.context.close()


def test_the_page_needs_a_login(client, world):
    response = client.get(reverse("todo:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "who",
    ["county_office", "city_office", "province_office", "handler", "enterprise", "county_filer"],
)
def test_the_navigation_count_is_the_length_of_the_list(world, who):
    assert todo_count(world[who]) == len(todo_items(world[who])) > 0


def test_the_api_answers_the_callers_own_list(api, world):
    url = reverse("api:me-todo")
    answer = api.as_user(world["handler"]).get(url, {"user": world["county_office"].pk})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3 and body["overdue"] == 2
    assert [row["title"] for row in body["results"]] == titles(todo_items(world["handler"]))
    first = body["results"][0]
    assert first == {
        "kind": "issue",
        "kind_label": "困难问题",
        "title": "待办结：征地拆迁迟迟未完成",
        "detail": "江阴澄新一期 · 县级 · 江阴市自然资源和规划局",
        "url": "http://testserver" + world["tickets"]["late"].get_absolute_url(),
        "due_on": "2026-11-20",
        "overdue": True,
        "count": None,
        "actions": [{"name": "note", "label": "进展反馈"}, {"name": "resolve", "label": "办结"}],
    }
    filer = api.as_user(world["county_filer"]).get(url).json()
    assert [(row["kind"], row["count"]) for row in filer["results"]] == [
        ("progress_file", 3),
        ("progress_file", 2),
    ]
    assert api.as_user(world["county_filer2"]).get(url).json() == {
        "count": 0,
        "overdue": 0,
        "results": [],
    }


def test_the_api_needs_authentication(world):
    from rest_framework.test import APIClient

    answer = APIClient().get(reverse("api:me-todo"))
    assert answer.status_code in (401, 403)
    assert "results" not in answer.json()


# --- a fixed number of queries ---------------------------------------------------------------


def more_of_everything(world, number: int) -> None:
    """Another round of work for the province office: tickets at its level, forms of another
    county to review, a document to publish, an approval it serves, a meeting decision, a
    quota to issue within days."""
    from decimal import Decimal

    from accounts.models import Region
    from funding import services as funding_services
    from funding.models import FundingChannel

    by = world["province_office"]
    funding_services.quota_save(
        by=by,
        channel=FundingChannel.objects.get(code="special_bond"),
        year=2020 + number,
        region=Region.objects.get(code="320000"),
        amount=Decimal("100"),
        issuance_deadline=NOV[20] + datetime.timedelta(days=number),
    )
    for county, filer in (("320282", "city_office"), ("321322", "county_filer2")):
        project = active_project(world, county, f"再一个项目{county}-{number}")
        submitted_form(world, project, filer=filer)
        ticket(project, f"省级问题{county}-{number}", Status.REPORTED, level=Level.PROVINCE)
        running_approval(
            project,
            "forestry",
            world["liaison"].unit,
            by=by,
            accepted=NOV[2],
            promised_days=5,
            specialist=by,
        )
    finished_document("320000", period=f"2026-0{number}", number=number)
    meeting = issue_services.meeting_create(by=by, date=NOV[20] - datetime.timedelta(days=number))
    for item in meeting.items.all():
        issue_services.agenda_decide(item=item, by=by, decision=f"第{number}轮会商意见")


def test_the_list_costs_the_same_queries_for_many_items(client, api, world):
    person = world["province_office"]
    client.force_login(person)
    caller = api.as_user(person)

    def measured() -> tuple[int, int, int, int]:
        person.refresh_from_db()  # a fresh user: nothing cached on it
        reset_queries()  # the log keeps 9,000 queries; the world took many of them
        with CaptureQueriesContext(connection) as listed:
            items = todo_items(person)
        with CaptureQueriesContext(connection) as counted:
            assert todo_count(person) == len(items)
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("todo:list")).status_code == 200
        with CaptureQueriesContext(connection) as answer:
            assert caller.get(reverse("api:me-todo")).json()["count"] == len(items)
        return len(items), len(listed), len(counted), (len(page), len(answer))

    more_of_everything(world, 1)  # one of each kind
    few_items, *few = measured()
    for number in (2, 3, 4, 5):
        more_of_everything(world, number)
    many_items, *many = measured()
    assert many_items >= few_items + 16
    assert many == few
    listed, counted, (page, answer) = many
    assert listed <= 13 and counted == 1 and page <= 17 and answer <= 17


def test_the_domain_does_not_import_the_to_do_list():
    """The list reads the domain; nothing below it reads the list."""
    from .test_layers import DOMAIN_APPS, offending

    assert offending(["core", *DOMAIN_APPS[:-1]], {"todo"}) == []
