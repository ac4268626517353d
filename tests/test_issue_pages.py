"""The issue pages (SPEC §5, §13): board, issue page with its actions and timeline, report form,
close-out list and its export, special supervision — each as the people of the scope matrix see
it."""

import datetime
import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Unit
from issues import selectors, services
from issues.models import Issue, IssueEvent, Level, Status

from . import factories

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PHONE = "13812345678"


@pytest.fixture
def world(people, library):
    """Two 江阴 departments with a liaison each, and one reported ticket in 江阴 and 沭阳."""
    land = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    ecology = factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)
    jiangyin = services.issue_report(
        by=people["county_filer"],
        project=library["jiangyin_other"],
        title="用地指标缺口120亩",
        category="land_sea",
        description="新增建设用地指标不足",
    )
    shuyang = services.issue_report(
        by=people["county_filer2"],
        project=library["shuyang"],
        title="沭阳环评批复滞后",
        category="eia",
    )
    return {
        **people,
        **library,
        "land": land,
        "ecology": ecology,
        "handler": factories.user("handler", "320281", ["department_liaison"], land),
        "ecology_liaison": factories.user(
            "ecology_liaison", "320281", ["department_liaison"], ecology
        ),
        "jiangyin_issue": jiangyin,
        "shuyang_issue": shuyang,
    }


def login(client, person):
    assert client.login(username=person.username, password=factories.PASSWORD)
    return client


def make_issue(project, status, *, unit=None, deadline=None, title="配套电网接入滞后", **extra):
    """A ticket put straight into ``status``; past dispatch it carries all of 五到位."""
    fields = {}
    if unit is not None:
        fields = {
            "unit": unit,
            "responsible_leader": "王副县长",
            "responsible_person": "李科长",
            "solution": "协调供电公司提前接入",
            "deadline": deadline or TODAY + 20 * DAY,
        }
    return Issue.objects.create(
        project=project,
        region=project.region,
        title=title,
        category="utilities",
        source="county",
        level=Level.of_region(project.region),
        status=status,
        **fields,
        **extra,
    )


def five(world, **extra):
    return {
        "unit": world["land"].pk,
        "responsible_leader": "王副市长",
        "responsible_person": "李科长",
        "solution": "调整用地规划，月底前完成预审",
        **extra,
    }


def board_titles(response) -> set[str]:
    return {card.issue.title for column in response.context["columns"] for card in column.cards}


def action_url(issue, action):
    return reverse("issues:action", args=[issue.pk, action])


# --- the board -----------------------------------------------------------------------------


def test_board_shows_the_issues_in_scope_and_no_others(client, world):
    page = login(client, world["county_filer"]).get(reverse("issues:board"))
    assert page.status_code == 200
    assert board_titles(page) == {"用地指标缺口120亩"}
    assert "沭阳环评批复滞后" not in page.content.decode()

    page = login(client, world["county_filer2"]).get(reverse("issues:board"))
    assert board_titles(page) == {"沭阳环评批复滞后"}

    page = login(client, world["province_office"]).get(reverse("issues:board"))
    assert board_titles(page) == {"用地指标缺口120亩", "沭阳环评批复滞后"}


def test_board_puts_overdue_first_and_marks_due_soon(client, world):
    project = world["jiangyin_other"]
    later = make_issue(project, Status.IN_PROGRESS, unit=world["land"], title="稍后到期")
    late = make_issue(
        project, Status.IN_PROGRESS, unit=world["land"], deadline=TODAY - DAY, title="已经逾期"
    )
    soon = make_issue(project, Status.IN_PROGRESS, unit=world["land"], title="今天到期")
    Issue.objects.filter(pk=soon.pk).update(deadline=TODAY)

    page = login(client, world["county_office"]).get(reverse("issues:board"))
    column = next(c for c in page.context["columns"] if c.status == Status.IN_PROGRESS)
    assert [card.issue.pk for card in column.cards] == [late.pk, soon.pk, later.pk]
    badges = {card.issue.title: (card.overdue, card.due_soon) for card in column.cards}
    assert badges == {
        "已经逾期": (True, False),
        "今天到期": (False, True),
        "稍后到期": (False, False),
    }
    html = page.content.decode()
    assert "已逾期" in html and "即将到期" in html


def test_a_long_column_shows_the_most_urgent_and_says_how_many_more(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 2)
    project = world["jiangyin_other"]
    for n in range(3):
        make_issue(project, Status.ASSIGNED, unit=world["land"], title=f"按期{n}")
    late = make_issue(project, Status.ASSIGNED, unit=world["land"], title="逾期的那个")
    Issue.objects.filter(pk=late.pk).update(deadline=TODAY - DAY)

    page = login(client, world["county_office"]).get(reverse("issues:board"))
    column = next(c for c in page.context["columns"] if c.status == Status.ASSIGNED)
    assert (column.count, len(column.cards), column.cards[0].issue.title) == (4, 2, "逾期的那个")
    html = page.content.decode()
    assert "还有 2 个，逐页查看" in html
    # the link opens that status alone, paged, most urgent first
    assert '<a href="?status=assigned">还有 2 个' in html
    first = client.get(reverse("issues:board"), {"status": "assigned"})
    (column,) = first.context["columns"]
    assert [card.issue.title for card in column.cards][0] == "逾期的那个"
    assert first.context["page"].paginator.count == 4 and "第 1 / 2 页" in first.content.decode()
    second = client.get(reverse("issues:board"), {"status": "assigned", "page": 2})
    shown = board_titles(first) | board_titles(second)
    assert shown == {"逾期的那个", "按期0", "按期1", "按期2"}


def test_board_sorts_within_each_column(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 2)
    project = world["jiangyin_other"]
    for n, days in enumerate((30, 10, 20)):
        make_issue(
            project,
            Status.ASSIGNED,
            unit=world["land"],
            deadline=TODAY + days * DAY,
            title=f"第{n}",
        )
    login(client, world["county_office"])
    board = reverse("issues:board")

    def assigned(response):
        column = next(c for c in response.context["columns"] if c.status == Status.ASSIGNED)
        return [card.issue.title for card in column.cards]

    assert assigned(client.get(board, {"sort": "-deadline"})) == ["第0", "第2"]
    by_deadline = client.get(board, {"sort": "deadline"})
    assert assigned(by_deadline) == ["第1", "第2"]
    html = by_deadline.content.decode()
    assert 'href="?sort=-deadline" aria-current="true" data-sort="ascending">办结时限' in html
    # paging one status keeps the sort and the filter
    single = client.get(board, {"sort": "-deadline", "status": "assigned", "overdue": "false"})
    assert assigned(single) == ["第0", "第2"]
    next_page = re.search(r'href="\?([^"]+)" rel="next"', single.content.decode()).group(1)
    assert set(next_page.split("&amp;")) == {
        "sort=-deadline",
        "status=assigned",
        "overdue=false",
        "page=2",
    }
    assert assigned(client.get(board, {"sort": "-deadline", "status": "assigned", "page": 2})) == [
        "第1"
    ]
    # an unknown order is ignored: most urgent first
    assert client.get(board, {"sort": "secret"}).status_code == 200


def test_board_filters_and_keeps_rejected_apart(client, world):
    project = world["jiangyin_other"]
    make_issue(project, Status.REJECTED, title="重复上报的问题")
    make_issue(project, Status.IN_PROGRESS, unit=world["land"], deadline=TODAY - DAY, title="逾期")
    login(client, world["county_office"])

    page = client.get(reverse("issues:board"))
    assert "重复上报的问题" not in board_titles(page)
    assert page.context["rejected_count"] == 1
    assert "另有 1 个不予受理的问题" in page.content.decode()

    page = client.get(reverse("issues:board"), {"status": "rejected"})
    assert board_titles(page) == {"重复上报的问题"}
    assert [column.status for column in page.context["columns"]] == ["rejected"]

    assert board_titles(client.get(reverse("issues:board"), {"overdue": "true"})) == {"逾期"}
    assert board_titles(client.get(reverse("issues:board"), {"search": "用地指标"})) == {
        "用地指标缺口120亩"
    }
    assert board_titles(client.get(reverse("issues:board"), {"category": "eia"})) == set()


def test_board_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world["province_office"])
    for project in ("jiangyin_other", "yixing", "shuyang", "nanjing"):
        make_issue(world[project], Status.IN_PROGRESS, unit=world["land"], title="少量")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("issues:board")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(12):
        for status in (Status.ASSIGNED, Status.RESOLVED, Status.CLOSED):
            make_issue(world["yixing"], status, unit=world["ecology"], title=f"批量{n}")
    assert queries() == few
    with django_assert_max_num_queries(12):
        client.get(reverse("issues:board"))


# --- the issue page ------------------------------------------------------------------------


def test_issue_outside_scope_is_not_found(client, world):
    issue = world["jiangyin_issue"]
    url = reverse("issues:detail", args=[issue.pk])
    assert login(client, world["county_filer2"]).get(url).status_code == 404
    assert client.post(action_url(issue, "accept")).status_code == 404

    assigned = make_issue(world["jiangyin_other"], Status.ASSIGNED, unit=world["land"])
    assigned_url = reverse("issues:detail", args=[assigned.pk])
    assert login(client, world["ecology_liaison"]).get(assigned_url).status_code == 404
    assert login(client, world["handler"]).get(assigned_url).status_code == 200
    assert login(client, world["county_filer"]).get(url).status_code == 200


def test_issue_page_offers_only_the_actions_the_user_may_take(client, world):
    issue = world["jiangyin_issue"]
    url = reverse("issues:detail", args=[issue.pk])

    office_page = login(client, world["county_office"]).get(url).content.decode()
    for action in ("accept", "reject", "escalate"):
        assert action_url(issue, action) in office_page
    for action in ("assign", "close", "confirm", "start"):
        assert action_url(issue, action) not in office_page
    assert "<summary>受理</summary>" in office_page and "<summary>交办</summary>" not in office_page

    filer_page = login(client, world["county_filer"]).get(url).content.decode()
    assert 'action="/issues/' not in filer_page
    assert "当前没有需要您办理的操作" in filer_page
    assert "用地指标缺口120亩" in filer_page and "新增建设用地指标不足" in filer_page


def test_accepting_from_the_page_moves_the_issue_and_adds_to_the_timeline(client, world):
    issue = world["jiangyin_issue"]
    login(client, world["county_office"])
    response = client.post(action_url(issue, "accept"), {"comment": "属实，予以受理"})
    assert response.status_code == 302
    assert response["Location"] == reverse("issues:detail", args=[issue.pk])
    issue.refresh_from_db()
    assert issue.status == Status.ACCEPTED
    last = issue.events.last()
    assert (last.kind, last.actor, last.comment) == (
        "accept",
        world["county_office"],
        "属实，予以受理",
    )

    page = client.get(response["Location"]).content.decode()
    assert "“受理”已完成。" in page
    assert "属实，予以受理" in page and "已上报 → 已受理" in page
    # now the office may dispatch it, and the form hints the default deadline
    assert action_url(issue, "assign") in page
    default = services.default_deadline(issue.level, issue.category, TODAY)
    assert default.isoformat() in page


def test_illegal_action_is_refused_in_chinese_and_changes_nothing(client, world):
    issue = world["jiangyin_issue"]
    events = IssueEvent.objects.filter(issue=issue).count()
    login(client, world["county_office"])
    response = client.post(action_url(issue, "close"), {"comment": ""})
    assert response.status_code == 400
    assert "问题当前为“已上报”，不能销号。" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.REPORTED
    assert IssueEvent.objects.filter(issue=issue).count() == events


def test_action_not_the_users_to_take_is_forbidden_and_changes_nothing(client, world):
    issue = world["jiangyin_issue"]
    response = login(client, world["county_filer"]).post(action_url(issue, "accept"))
    assert response.status_code == 403
    assert "只有问题所在层级的重大办可以受理此问题。" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.REPORTED


def test_assign_without_a_leader_shows_the_field_error_and_changes_nothing(client, world):
    issue = services.issue_accept(issue=world["jiangyin_issue"], by=world["county_office"])
    events = issue.events.count()
    login(client, world["county_office"])

    response = client.post(action_url(issue, "assign"), five(world, responsible_leader=""))
    assert response.status_code == 400
    assign_form = next(a["form"] for a in response.context["actions"] if a["name"] == "assign")
    assert assign_form.errors == {"responsible_leader": ["请填写责任领导。"]}
    assert "请填写责任领导。" in response.content.decode()
    # what was typed is kept on the form
    assert "调整用地规划，月底前完成预审" in response.content.decode()
    issue.refresh_from_db()
    assert (issue.status, issue.unit, issue.events.count()) == (Status.ACCEPTED, None, events)

    past = client.post(action_url(issue, "assign"), five(world, deadline=TODAY - DAY))
    assert "办结时限不能早于今天。" in past.content.decode()

    elsewhere = factories.unit("沭阳县自然资源局", "321322", Unit.Kind.DEPARTMENT)
    outside = client.post(action_url(issue, "assign"), five(world, unit=elsewhere.pk))
    assert outside.status_code == 400
    assert "责任单位应为本层级范围内的职能部门或重大办。" in outside.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.ACCEPTED

    done = client.post(action_url(issue, "assign"), five(world))
    assert done.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.unit, issue.responsible_leader) == (
        Status.ASSIGNED,
        world["land"],
        "王副市长",
    )
    assert issue.deadline == services.default_deadline(issue.level, issue.category, TODAY)
    page = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert "江阴市自然资源和规划局" in page and "李科长" in page


def test_the_handler_works_the_issue_from_the_page(client, world):
    issue = make_issue(world["jiangyin_other"], Status.ASSIGNED, unit=world["land"])
    login(client, world["handler"])
    assert client.post(action_url(issue, "start")).status_code == 302
    missing = client.post(action_url(issue, "resolve"), {"resolution": " "})
    assert missing.status_code == 400 and "请填写办理结果。" in missing.content.decode()
    assert client.post(action_url(issue, "resolve"), {"resolution": "已接入"}).status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == (Status.RESOLVED, "已接入")
    assert list(issue.events.values_list("kind", flat=True)) == ["start", "resolve"]


def test_unknown_action_is_not_found_and_get_is_not_allowed(client, world):
    issue = world["jiangyin_issue"]
    login(client, world["county_office"])
    assert client.post(action_url(issue, "delete")).status_code == 404
    assert client.get(action_url(issue, "accept")).status_code == 405
    issue.refresh_from_db()
    assert issue.status == Status.REPORTED


def test_reporter_phone_is_full_for_office_staff_and_masked_for_others(client, world):
    issue, _ = services.issue_intake(
        by=world["api_client"],
        source="hotline_12345",
        external_id="12345-2026-0001",
        region_code="320281",
        title="企业反映供水接入慢",
        category="utilities",
        project_name="某未入库项目",
        reporter_name="张先生",
        reporter_phone=PHONE,
    )
    url = reverse("issues:detail", args=[issue.pk])

    filer_page = login(client, world["county_filer"]).get(url).content.decode()
    assert PHONE not in filer_page
    assert "138****5678" in filer_page
    assert "未匹配项目" in filer_page and "某未入库项目" in filer_page

    office_page = login(client, world["county_office"]).get(url).content.decode()
    assert PHONE in office_page


# --- reporting -----------------------------------------------------------------------------


def test_report_form_creates_an_issue_for_a_project_in_scope(client, world):
    project = world["jiangyin_enterprise_1"]
    login(client, world["enterprise"])
    form_page = client.get(reverse("issues:report"), {"project": project.pk})
    assert form_page.status_code == 200
    assert f'<option value="{project.pk}" selected>' in form_page.content.decode()

    response = client.post(
        reverse("issues:report"),
        {"project": project.pk, "title": "施工用电未接入", "category": "utilities"},
    )
    issue = Issue.objects.get(title="施工用电未接入")
    assert response.status_code == 302
    assert response["Location"] == reverse("issues:detail", args=[issue.pk])
    assert (issue.project, issue.reported_by, issue.status, issue.source) == (
        project,
        world["enterprise"],
        Status.REPORTED,
        "enterprise",
    )


def test_report_form_refuses_a_project_out_of_scope(client, world):
    before = Issue.objects.count()
    login(client, world["county_filer"])
    response = client.post(
        reverse("issues:report"),
        {"project": world["shuyang"].pk, "title": "越界上报", "category": "other"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["project"] == ["所选项目不存在或不在您的管辖范围内。"]
    assert "所选项目不存在或不在您的管辖范围内。" in response.content.decode()
    assert Issue.objects.count() == before
    assert client.get(reverse("issues:report"), {"project": world["shuyang"].pk}).status_code == 404


def test_report_form_is_for_filers_units_and_offices_only(client, world):
    for who in ("liaison", "leader"):
        assert login(client, world[who]).get(reverse("issues:report")).status_code == 403
    assert login(client, world["county_office"]).get(reverse("issues:report")).status_code == 200


def test_project_page_lists_its_issues_and_links_to_the_report_form(client, world):
    project = world["jiangyin_other"]
    make_issue(project, Status.CLOSED, unit=world["land"], title="已销号的旧问题")
    page = login(client, world["county_filer"]).get(reverse("projects:detail", args=[project.pk]))
    html = page.content.decode()
    assert "用地指标缺口120亩" in html and "已销号的旧问题" in html
    assert f"{reverse('issues:report')}?project={project.pk}" in html

    other = login(client, world["leader"]).get(reverse("projects:detail", args=[project.pk]))
    assert reverse("issues:report") not in other.content.decode()


# --- the close-out list --------------------------------------------------------------------


@pytest.fixture
def closeout(world):
    jiangyin = world["jiangyin_other"]
    assigned = make_issue(
        jiangyin, Status.IN_PROGRESS, unit=world["land"], deadline=TODAY - DAY, title="逾期在办"
    )
    Issue.objects.filter(pk=assigned.pk).update(reporter_phone=PHONE, reporter_name="张先生")
    make_issue(jiangyin, Status.CLOSED, unit=world["land"], title="已销号问题")
    make_issue(world["yixing"], Status.ASSIGNED, unit=world["ecology"], title="宜兴在办")
    return world


def test_closeout_page_groups_open_issues_by_region_and_unit(
    client, closeout, django_assert_max_num_queries
):
    login(client, closeout["city_office"])
    with django_assert_max_num_queries(11):  # +1: the to-do badge in the navigation
        page = client.get(reverse("issues:closeout"))
    assert page.status_code == 200
    titles = [row.issue.title for row in page.context["rows"]]
    assert set(titles) == {"用地指标缺口120亩", "逾期在办", "宜兴在办"}
    html = page.content.decode()
    assert "已销号问题" not in html and "沭阳环评批复滞后" not in html
    assert "待交办" in html and "江阴市自然资源和规划局" in html
    overdue = next(row for row in page.context["rows"] if row.issue.title == "逾期在办")
    assert overdue.overdue and overdue.age_days == 0

    by_unit = client.get(reverse("issues:closeout"), {"unit": closeout["land"].pk})
    assert [row.issue.title for row in by_unit.context["rows"]] == ["逾期在办"]
    by_region = client.get(reverse("issues:closeout"), {"region": "320282"})
    assert [row.issue.title for row in by_region.context["rows"]] == ["宜兴在办"]


def test_closeout_export_has_the_open_issues_in_scope_with_masked_phones(client, closeout):
    response = login(client, closeout["county_office"]).get(reverse("issues:closeout-export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = list(
        load_workbook(BytesIO(response.content), read_only=True).active.iter_rows(values_only=True)
    )
    header = rows[0]
    title_at, phone_at = header.index("问题标题"), header.index("反映人电话")
    assert {row[title_at] for row in rows[1:]} == {"用地指标缺口120亩", "逾期在办"}
    phones = {row[title_at]: row[phone_at] for row in rows[1:]}
    assert phones["逾期在办"] == "138****5678"
    assert PHONE not in {str(cell) for row in rows for cell in row}


# --- special supervision -------------------------------------------------------------------


def test_supervision_lists_units_and_regions_past_the_thresholds(client, world):
    jiangyin = world["jiangyin_other"]
    late = [
        make_issue(jiangyin, Status.ASSIGNED, unit=world["land"], title=f"逾期{n}")
        for n in range(3)
    ]
    # dispatched with a proper deadline, then the deadline passes
    Issue.objects.filter(pk__in=[issue.pk for issue in late]).update(deadline=TODAY - DAY)
    make_issue(jiangyin, Status.ASSIGNED, unit=world["ecology"], title="按期在办")
    services.sweep(TODAY)  # 通报 each overdue ticket; three in the window → 约谈

    page = login(client, world["city_office"]).get(reverse("issues:supervision"))
    assert page.status_code == 200
    units = {row.subject.name: row for row in page.context["units"]}
    assert set(units) == {"江阴市自然资源和规划局"}
    row = units["江阴市自然资源和规划局"]
    assert (row.open_count, row.overdue_count, row.share) == (3, 3, 1.0)
    assert (row.notices, row.interviews) == (3, 2)
    regions = {row.subject.code: row for row in page.context["regions"]}
    assert set(regions) == {"320200", "320281"}
    assert regions["320281"].open_count == 5  # with the reported ticket and the one on time
    html = page.content.decode()
    assert "江阴市自然资源和规划局" in html and "江阴市生态环境局" not in html
    assert "100%" in html

    elsewhere = login(client, world["county_filer2"]).get(reverse("issues:supervision"))
    assert elsewhere.context["units"] == [] and elsewhere.context["regions"] == []


def test_issue_pages_need_a_login(client, world):
    for name in ("issues:board", "issues:report", "issues:closeout", "issues:supervision"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_office_matches_an_unmatched_ticket_from_its_page(client, world):
    ticket, _ = services.issue_intake(
        by=world["api_client"],
        source="hotline_12345",
        external_id="12345-PAGE-1",
        region_code="320281",
        title="热线反映道路施工",
        category="utilities",
        project_name="未知项目",
    )
    url = reverse("issues:detail", args=[ticket.pk])
    link = reverse("issues:action", args=[ticket.pk, "link-project"])
    assert link not in login(client, world["county_filer"]).get(url).content.decode()
    assert client.post(link, {"project": world["jiangyin_other"].pk}).status_code == 403

    page = login(client, world["county_office"]).get(url).content.decode()
    assert link in page and "未匹配项目" in page
    project = world["jiangyin_other"]
    response = client.post(link, {"project": project.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.project == project
    assert "匹配项目" in client.get(url).content.decode()


def test_a_title_written_as_a_formula_is_exported_as_text(client, closeout):
    hostile = '=HYPERLINK("http://example.invalid/","点此查看")'
    Issue.objects.filter(title="逾期在办").update(title=hostile)
    response = login(client, closeout["county_office"]).get(reverse("issues:closeout-export"))
    cells = [c for row in load_workbook(BytesIO(response.content)).active.iter_rows() for c in row]
    written = next(cell for cell in cells if cell.value == hostile)
    assert written.data_type == "s"  # text, not a formula Excel or WPS would run
