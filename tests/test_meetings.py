"""The weekly coordination meeting (碰头会, SPEC §6): the agenda built from the data, its pages,
decisions (会商意见) that land on the issues' timelines, the print view and the scope; approvals
running past their promised time limit are heard under their project."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from approvals import services as approval_services
from approvals.models import ApprovalKind
from issues import services
from issues.agenda import agenda
from issues.models import AgendaItem, EventKind, Issue, IssueEvent, Meeting
from projects import services as project_services
from projects.models import Admission, Stage, Tier
from schedule import services as schedule_services
from schedule.models import ScheduleTemplate
from schedule.workdays import current_calendar

from . import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def report(by, project, title):
    return services.issue_report(by=by, project=project, title=title, category="land_sea")


def dispatch(issue, office, department, deadline):
    """Accept and assign (五到位) as the office at the issue's level."""
    services.issue_accept(issue=issue, by=office)
    return services.issue_assign(
        issue=issue,
        by=office,
        unit=department,
        responsible_leader="王副市长",
        responsible_person="李科长",
        solution="并联办理，专人跟进",
        deadline=deadline,
    )


def under_review(by, project, code, workdays_ago):
    """An approval accepted ``workdays_ago`` working days before today and still in review."""
    calendar = current_calendar()
    accepted_on = calendar.add_workdays(calendar.previous_workday(TODAY), -workdays_ago)
    approval = approval_services.approval_create(
        by=by, project=project, kind=ApprovalKind.objects.get(code=code)
    )
    for status, date in (("submitted", accepted_on), ("accepted", accepted_on)):
        approval = approval_services.approval_transition(
            approval=approval, by=by, status=status, date=date
        )
    return approval_services.approval_transition(approval=approval, by=by, status="under_review")


@pytest.fixture
def world(people, library):
    """Projects across 无锡 (江阴, 宜兴, the city itself) and 宿迁 (沭阳) with open issues; an
    at-risk 宜兴 project with none; quiet projects that must stay off the agenda."""
    f = factories
    by = people["province_office"]
    jiangyin_department = f.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    yixing_office = f.user("yixing_office", "320282", ["office_staff"], f.office("320282"))
    projects = {
        **library,
        "provincial": f.project(
            "320281", by=by, tier=Tier.PROVINCIAL_IMPLEMENTATION, name="江阴省重大实施项目"
        ),
        "reserve": f.project(
            "320282", by=by, tier=Tier.PROVINCIAL_RESERVE, name="宜兴省重大储备项目"
        ),
        "two_major": f.project(
            "321322", by=by, tier=Tier.CITY, two_major=True, name="沭阳两重项目"
        ),
        "wuxi_city": f.project("320200", by=by, tier=Tier.CITY, name="无锡市重大项目"),
        "yixing_risky": f.project("320282", by=by, tier=Tier.COUNTY, name="宜兴开工风险项目"),
        "nanjing_calm": f.project("320102", by=by, tier=Tier.COUNTY, name="南京节点正常项目"),
    }
    filer, filer2 = people["county_filer"], people["county_filer2"]
    county_office = people["county_office"]

    # 江阴其他企业项目: one overdue, one due in 20 days, one not yet dispatched.
    waiting = report(filer, projects["jiangyin_other"], "施工用电接入待协调")
    due = dispatch(
        report(filer, projects["jiangyin_other"], "规划许可办理"),
        county_office,
        jiangyin_department,
        TODAY + dt.timedelta(days=20),
    )
    overdue = dispatch(
        report(filer, projects["jiangyin_other"], "用地指标不足"),
        county_office,
        jiangyin_department,
        TODAY + dt.timedelta(days=5),
    )
    Issue.objects.filter(pk=overdue.pk).update(deadline=TODAY - dt.timedelta(days=3))
    # An issue that was rejected is not open: its project is not heard.
    rejected = report(filer, projects["jiangyin_enterprise_1"], "重复上报的问题")
    services.issue_accept(issue=rejected, by=county_office)
    services.issue_reject(issue=rejected, by=county_office, reason="重复问题")

    report(filer, projects["provincial"], "省重大项目能耗指标缺口")
    report(filer2, projects["two_major"], "两重项目资金拨付慢")
    report(yixing_office, projects["reserve"], "储备项目前期手续")
    report(yixing_office, projects["yixing"], "宜兴项目林地审核")
    report(filer2, projects["shuyang"], "沭阳项目征地拆迁")
    report(people["city_office"], projects["wuxi_city"], "市级项目配套管网")

    # Milestones: planned start in ~100 days leaves the land chain (~92 working days) late;
    # the calm project has plenty of time and no issue.
    template = ScheduleTemplate.objects.get(category="industrial")
    for key, days in (("yixing_risky", 100), ("nanjing_calm", 700)):
        project_services.project_update(
            project=projects[key], by=by, planned_start=TODAY + dt.timedelta(days=days)
        )
        schedule_services.apply_template(project=projects[key], template=template, by=by)

    return {
        **people,
        "projects": projects,
        "yixing_office": yixing_office,
        "issues": {"waiting": waiting, "due": due, "overdue": overdue, "rejected": rejected},
    }


@pytest.fixture
def province_meeting(world):
    return services.meeting_create(by=world["province_office"], date=TODAY)


def entry_of(result, project):
    return next(entry for entry in result.entries if entry.project == project)


def item_html(html: str, item: AgendaItem) -> str:
    """The markup of one agenda item on a page."""
    start = html.index(f'id="item-{item.pk}"')
    end = html.find("</article>", start)
    return html[start:end]


def test_agenda_hears_provincial_and_two_major_one_by_one_then_batches_per_city(
    world, province_meeting
):
    p = world["projects"]
    result = agenda(province_meeting)

    assert {entry.project for entry in result.one_by_one} == {
        p["provincial"],
        p["reserve"],
        p["two_major"],
    }
    batches = {batch.label: {entry.project for entry in batch.entries} for batch in result.batches}
    assert batches == {
        "无锡市": {p["wuxi_city"], p["jiangyin_other"], p["yixing"], p["yixing_risky"]},
        "宿迁市": {p["shuyang"]},
    }
    # Every project heard one by one comes before every batch.
    last_single = max(entry.item.position for entry in result.one_by_one)
    assert all(entry.item.position > last_single for b in result.batches for entry in b.entries)
    # No open issue and no risk: not on the agenda (a rejected issue does not count).
    heard = {entry.project for entry in result.entries}
    for key in ("nanjing", "nanjing_calm", "jiangyin_enterprise_1", "jiangyin_enterprise_2"):
        assert p[key] not in heard


@pytest.fixture
def quiet(world):
    """Provincial and "两重" projects with nothing open; one at capacity, one refused at
    pre-review, and a county project with nothing open."""
    by = world["province_office"]
    f = factories
    return {
        "provincial": f.project(
            "320282",
            by=by,
            tier=Tier.PROVINCIAL_IMPLEMENTATION,
            name="宜兴省重大平稳项目",
            stage=Stage.STARTED,
            started_on=TODAY - dt.timedelta(days=30),
        ),
        "two_major": f.project(
            "321322", by=by, tier=Tier.COUNTY, two_major=True, name="沭阳两重平稳项目"
        ),
        "at_capacity": f.project(
            "320281",
            by=by,
            tier=Tier.PROVINCIAL_IMPLEMENTATION,
            name="江阴已达效项目",
            stage=Stage.AT_CAPACITY,
            **{
                field: TODAY - dt.timedelta(days=400 - 50 * number)
                for number, field in enumerate(
                    (
                        "signed_on",
                        "filed_on",
                        "started_on",
                        "completed_on",
                        "producing_on",
                        "at_capacity_on",
                    )
                )
            },
        ),
        "refused": f.project(
            "320281",
            by=by,
            tier=Tier.PROVINCIAL_RESERVE,
            name="预审未通过的储备项目",
            admission=Admission.REJECTED,
        ),
        "county": f.project("320281", by=by, tier=Tier.COUNTY, name="江阴县级平稳项目"),
    }


def test_every_provincial_and_two_major_project_is_heard_even_with_nothing_open(world, quiet):
    """Seed 000, measure 4: 省重大项目和"两重"项目逐个过堂 — at every meeting, each one; those with
    nothing open after those with something to discuss, in one line of status."""
    p = world["projects"]
    meeting = services.meeting_create(by=world["province_office"], date=TODAY)
    result = agenda(meeting)

    heard = [entry.project for entry in result.one_by_one]
    assert set(heard) == {
        p["provincial"],
        p["reserve"],
        p["two_major"],
        quiet["provincial"],
        quiet["two_major"],
    }
    # those with nothing open last, in the order built (code, then id)
    assert heard[-2:] == [quiet["provincial"], quiet["two_major"]]
    assert [entry.quiet for entry in result.one_by_one] == [False, False, False, True, True]
    assert result.quiet_count == 2
    # at capacity, refused at pre-review, or a county project with nothing open: not heard
    everyone = {entry.project for entry in result.entries}
    for key in ("at_capacity", "refused", "county"):
        assert quiet[key] not in everyone


def test_a_project_with_nothing_open_gets_one_line_of_status(client, world, quiet):
    meeting = services.meeting_create(by=world["province_office"], date=TODAY)
    item = meeting.items.get(project=quiet["provincial"])
    client.force_login(world["province_office"])

    html = client.get(meeting.get_absolute_url()).content.decode()
    card = item_html(html, item)
    assert "当前阶段：开工。无未办结问题、风险节点和超期审批。" in card
    assert "问题事项" not in card and "风险节点（总时差为负）" not in card
    assert "其中2个无未办结事项，各列一行状态" in html
    # heard all the same: a decision may be recorded for it
    response = client.post(
        reverse("issues:agenda-decision", args=[meeting.pk, item.pk]),
        {"decision": "按计划推进，下周报送投资进度"},
        follow=True,
    )
    assert "按计划推进，下周报送投资进度" in item_html(response.content.decode(), item)

    printed = client.get(reverse("issues:meeting-print", args=[meeting.pk])).content.decode()
    line = item_html(printed, meeting.items.get(project=quiet["two_major"]))
    assert "无未办结问题、风险节点和超期审批。" in line
    assert "decision-blank" not in line  # no blank to fill in on paper for a one-liner


def test_meeting_page_shows_both_sections_in_order(client, world, province_meeting):
    p = world["projects"]
    client.force_login(world["province_office"])
    html = client.get(province_meeting.get_absolute_url()).content.decode()
    one_by_one, batches = html.split('id="batches"')
    assert one_by_one.count("<article") == 3
    for key in ("provincial", "reserve", "two_major"):
        assert p[key].name in one_by_one
        assert p[key].name not in batches
    wuxi, suqian = batches.split("宿迁市（1个项目）")
    assert "无锡市（4个项目）" in wuxi
    for key in ("jiangyin_other", "yixing", "yixing_risky", "wuxi_city"):
        assert p[key].name in wuxi
    assert p["shuyang"].name in suqian
    assert p["nanjing"].name not in html and p["jiangyin_enterprise_1"].name not in html


def test_meeting_page_has_contents_and_sections_that_fold(
    client, world, province_meeting, monkeypatch
):
    from issues import meeting_views

    client.force_login(world["province_office"])
    html = client.get(province_meeting.get_absolute_url()).content.decode()
    contents = html[
        html.index('class="card agenda-contents"') : html.index(
            "</nav>", html.index("agenda-contents")
        )
    ]
    # each part and each city, with its count, links to its section on the page
    assert '<a href="#one-by-one">一、逐个过堂</a> <span class="count">3</span>' in contents
    assert '<a href="#batches">二、逐批过堂</a> <span class="count">5</span>' in contents
    assert '<a href="#city-320200">无锡市</a> <span class="count">4</span>' in contents
    assert '<a href="#city-321300">宿迁市</a> <span class="count">1</span>' in contents
    for anchor in ("one-by-one", "batches", "city-320200", "city-321300"):
        assert html.count(f'id="{anchor}"') == 1
    # eight projects: every section open
    assert '<details class="agenda-batch" id="city-320200" data-city="320200" open>' in html
    assert '<details class="agenda-section" id="one-by-one" open>' in html

    # more projects than AGENDA_OPEN_UP_TO: every section folded, the page says how to open them
    monkeypatch.setattr(meeting_views, "AGENDA_OPEN_UP_TO", 5)
    html = client.get(province_meeting.get_absolute_url()).content.decode()
    assert '<details class="agenda-batch" id="city-320200" data-city="320200">' in html
    assert '<details class="agenda-section" id="one-by-one">' in html
    assert "各部分默认收起" in html
    # still complete: every project is in the page, folded or not
    for entry in agenda(province_meeting).entries:
        assert f'id="item-{entry.item.pk}"' in html

    # the print view has no folds
    printed = client.get(reverse("issues:meeting-print", args=[province_meeting.pk]))
    assert "<details" not in printed.content.decode()
    assert "agenda-contents" not in printed.content.decode()


def test_overdue_issues_are_listed_first(client, world, province_meeting):
    issues = world["issues"]
    entry = entry_of(agenda(province_meeting), world["projects"]["jiangyin_other"])
    assert [row.issue for row in entry.issues] == [
        issues["overdue"],
        issues["due"],
        issues["waiting"],
    ]
    assert [row.overdue for row in entry.issues] == [True, False, False]
    assert entry.issues[0].days_overdue == 3
    assert entry.issues[0].issue.unit.name == "江阴市自然资源和规划局"

    client.force_login(world["province_office"])
    html = item_html(client.get(province_meeting.get_absolute_url()).content.decode(), entry.item)
    assert (
        html.index("用地指标不足") < html.index("规划许可办理") < html.index("施工用电接入待协调")
    )
    assert "逾期3天" in html
    assert "江阴市自然资源和规划局" in html


def test_a_milestone_at_risk_appears_under_its_project(client, world, province_meeting):
    project = world["projects"]["yixing_risky"]
    entry = entry_of(agenda(province_meeting), project)
    assert entry.issues == []
    names = {risk.name for risk in entry.risks}
    assert {"土地出让（供地）", "施工许可", "开工"} <= names
    assert "环评批复" not in names  # 30 working days of float to spare
    assert all(risk.total_float < 0 for risk in entry.risks)
    assert all(risk.forecast_finish > risk.latest_finish for risk in entry.risks)
    assert entry.forecast_start > entry.planned_start

    client.force_login(world["province_office"])
    html = item_html(client.get(province_meeting.get_absolute_url()).content.decode(), entry.item)
    assert "风险节点（总时差为负）" in html and "土地出让（供地）" in html
    assert "环评批复" not in html
    # The project without risk and without issue has no risk table.
    other = entry_of(agenda(province_meeting), world["projects"]["yixing"])
    assert other.risks == []


@pytest.fixture
def late_approvals(world):
    """南京's calm project (no issue, no risk) waits on two approvals past their promise; the
    other 南京 project's EIA is within its promise; a 江阴 EIA was decided late, but decided."""
    p, by = world["projects"], world["province_office"]
    return {
        "land": under_review(by, p["nanjing_calm"], "land", 25),  # promise: 20 working days
        "energy": under_review(by, p["nanjing_calm"], "energy", 22),
        "within": under_review(by, p["nanjing"], "eia", 10),  # promise: 30 working days
        "decided": approval_services.approval_transition(
            approval=under_review(by, p["jiangyin_enterprise_1"], "eia", 35),
            by=by,
            status="approved",
            date=TODAY,
            document_no="苏环审〔2026〕45号",
        ),
    }


def test_an_overdue_approval_puts_its_project_on_the_agenda_under_it(client, world, late_approvals):
    p = world["projects"]
    meeting = services.meeting_create(by=world["province_office"], date=TODAY)
    result = agenda(meeting)
    heard = {entry.project for entry in result.entries}
    assert p["nanjing_calm"] in heard
    # Running within its promise, or decided (even late): not a reason to be heard.
    assert p["nanjing"] not in heard and p["jiangyin_enterprise_1"] not in heard
    batches = {batch.label: {entry.project for entry in batch.entries} for batch in result.batches}
    assert batches["南京市"] == {p["nanjing_calm"]}

    entry = entry_of(result, p["nanjing_calm"])
    land, energy = late_approvals["land"], late_approvals["energy"]
    # longest overdue first: 5 working days past the promise, then 2
    assert [(row.approval, row.workdays_overdue) for row in entry.approvals] == [
        (land, 5),
        (energy, 2),
    ]
    assert result.overdue_approval_count == 2
    assert all(entry.approvals == [] for entry in result.entries if entry.project != land.project)

    client.force_login(world["province_office"])
    for url in (meeting.get_absolute_url(), reverse("issues:meeting-print", args=[meeting.pk])):
        html = item_html(client.get(url).content.decode(), entry.item)
        assert "超过承诺时限的审批事项" in html and "2项审批超期" in html
        assert html.index("用地用海") < html.index("能评")
        for text in (
            "省自然资源厅",
            "省发展改革委",
            land.accepted_on.isoformat(),
            land.promise_due_on.isoformat(),
        ):
            assert text in html
    # Other projects show no approvals table.
    other = item_html(
        client.get(meeting.get_absolute_url()).content.decode(),
        entry_of(result, p["jiangyin_other"]).item,
    )
    assert "超过承诺时限的审批事项" not in other


def test_a_liaison_sees_the_overdue_approvals_their_department_handles(
    client, world, late_approvals
):
    meeting = services.meeting_create(by=world["province_office"], date=TODAY)
    client.force_login(world["liaison"])  # 省自然资源厅
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert html.count("<article") == 1
    assert world["projects"]["nanjing_calm"].name in html
    assert "用地用海" in html
    assert "能评" not in html  # 省发展改革委's, not theirs
    assert "用地指标不足" not in html


def test_a_decision_lands_on_each_open_issue_of_the_project(client, world, province_meeting):
    issues = world["issues"]
    item = province_meeting.items.get(project=world["projects"]["jiangyin_other"])
    # Closed between building the agenda and the meeting: no decision event for it.
    services.issue_reject(
        issue=issues["waiting"], by=world["county_office"], reason="已由供电公司解决"
    )
    client.force_login(world["province_office"])
    url = reverse("issues:agenda-decision", args=[province_meeting.pk, item.pk])
    response = client.post(
        url, {"decision": "省自然资源厅牵头，两周内完成用地指标调剂"}, follow=True
    )

    assert response.redirect_chain[-1][0].endswith(
        f"{province_meeting.get_absolute_url()}#item-{item.pk}"
    )
    html = response.content.decode()
    assert "已记录“江阴其他企业项目”的会商意见，并写入2个问题的办理记录。" in html
    assert "省自然资源厅牵头，两周内完成用地指标调剂" in item_html(html, item)
    for key in ("overdue", "due"):
        event = issues[key].events.get(kind=EventKind.DECISION)
        assert event.meeting == province_meeting
        assert event.comment == "省自然资源厅牵头，两周内完成用地指标调剂"
        assert event.actor == world["province_office"]
    assert not issues["waiting"].events.filter(kind=EventKind.DECISION).exists()
    timeline = client.get(issues["overdue"].get_absolute_url()).content.decode()
    assert "会商意见" in timeline and province_meeting.title in timeline
    assert "省自然资源厅牵头，两周内完成用地指标调剂" in timeline
    item.refresh_from_db()
    assert item.decided_by == world["province_office"]


def test_an_empty_decision_is_refused_in_chinese(client, world, province_meeting):
    item = province_meeting.items.get(project=world["projects"]["jiangyin_other"])
    client.force_login(world["province_office"])
    url = reverse("issues:agenda-decision", args=[province_meeting.pk, item.pk])
    response = client.post(url, {"decision": "   "}, follow=True)
    assert "会商意见未保存：请填写会商意见。" in response.content.decode()
    item.refresh_from_db()
    assert item.decision == ""
    assert not IssueEvent.objects.filter(kind=EventKind.DECISION).exists()


def test_only_the_organising_office_records_decisions(client, world, province_meeting):
    client.force_login(world["province_office"])
    assert (
        'class="decision-form"' in client.get(province_meeting.get_absolute_url()).content.decode()
    )

    # A county filer sees their county's meeting but may not record decisions.
    county_meeting = services.meeting_create(by=world["county_office"], date=TODAY)
    county_item = county_meeting.items.get(project=world["projects"]["jiangyin_other"])
    client.force_login(world["county_filer"])
    page = client.get(county_meeting.get_absolute_url())
    assert page.status_code == 200 and 'class="decision-form"' not in page.content.decode()
    county_url = reverse("issues:agenda-decision", args=[county_meeting.pk, county_item.pk])
    assert client.post(county_url, {"decision": "越权意见"}).status_code == 403
    # The province office sees the county's meeting but does not hold it.
    client.force_login(world["province_office"])
    assert client.post(county_url, {"decision": "越级意见"}).status_code == 403
    county_item.refresh_from_db()
    assert county_item.decision == ""
    assert not IssueEvent.objects.filter(kind=EventKind.DECISION).exists()


def test_a_county_filer_cannot_create_a_meeting(client, world):
    client.force_login(world["county_filer"])
    url = reverse("issues:meeting-create")
    assert client.get(url).status_code == 403
    assert client.post(url, {"date": TODAY.isoformat()}).status_code == 403
    assert not Meeting.objects.exists()
    assert "召开碰头会" not in client.get(reverse("issues:meetings")).content.decode()


def test_office_staff_create_a_meeting_with_attending_units(client, world):
    client.force_login(world["province_office"])
    url = reverse("issues:meeting-create")
    form = client.get(url).context["form"]
    offered = {unit.name for unit in form.fields["attending_units"].queryset}
    assert {"省自然资源厅", "省发展改革委", "无锡市重大项目办"} <= offered
    assert "江阴市重大项目办" not in offered  # two levels down: heard within 无锡's batch
    assert form["date"].value() == TODAY

    departments = Unit.objects.filter(name__in=["省自然资源厅", "省发展改革委"])
    response = client.post(
        url,
        {"date": TODAY.isoformat(), "title": "", "attending_units": [u.pk for u in departments]},
        follow=True,
    )
    meeting = Meeting.objects.get()
    assert response.redirect_chain[-1][0] == meeting.get_absolute_url()
    assert meeting.title == f"江苏省重大项目周碰头会（{TODAY.isoformat()}）"
    assert set(meeting.attending_units.all()) == set(departments)
    html = response.content.decode()
    assert "已生成碰头会议程，共8个项目上会。" in html
    assert "省自然资源厅" in html and "省发展改革委" in html


def test_a_meeting_needs_a_date(client, world):
    client.force_login(world["city_office"])
    response = client.post(reverse("issues:meeting-create"), {"date": "", "title": "周会"})
    assert response.status_code == 200
    assert response.context["form"].errors["date"]
    assert not Meeting.objects.exists()


def test_a_meeting_outside_the_region_is_not_found(client, world, province_meeting):
    item = province_meeting.items.first()
    urls = [
        reverse("issues:meeting-detail", args=[province_meeting.pk]),
        reverse("issues:meeting-print", args=[province_meeting.pk]),
    ]
    decision = reverse("issues:agenda-decision", args=[province_meeting.pk, item.pk])
    client.force_login(world["city_office"])
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(decision, {"decision": "越界"}).status_code == 404
    item.refresh_from_db()
    assert item.decision == ""

    city_meeting = services.meeting_create(by=world["city_office"], date=TODAY)
    listed = client.get(reverse("issues:meetings")).context["meetings"]
    assert list(listed) == [city_meeting]
    # 沭阳 is in 宿迁: 无锡's meeting does not exist for its filer.
    client.force_login(world["county_filer2"])
    assert client.get(city_meeting.get_absolute_url()).status_code == 404
    # An item of another meeting is not found under this one.
    other = city_meeting.items.first()
    client.force_login(world["province_office"])
    wrong = reverse("issues:agenda-decision", args=[province_meeting.pk, other.pk])
    assert client.post(wrong, {"decision": "张冠李戴"}).status_code == 404


def test_the_print_view_is_a_clean_agenda(client, world, province_meeting):
    client.force_login(world["province_office"])
    response = client.get(reverse("issues:meeting-print", args=[province_meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert province_meeting.title in html and "省重大项目办" in html
    assert "一、逐个过堂" in html and "二、逐批过堂" in html
    for project in ("江阴省重大实施项目", "沭阳两重项目", "江阴其他企业项目", "沭阳项目"):
        assert project in html
    assert "土地出让（供地）" in html
    assert 'class="mainnav"' not in html  # no site navigation on paper
    assert 'class="decision-form"' not in html
    assert 'class="print-toolbar no-print"' in html and "data-print" in html


def test_a_liaison_sees_only_the_agenda_items_of_their_units_issues(
    client, world, province_meeting
):
    # 省自然资源厅 has nothing assigned: no project, no issue of others on their agenda.
    client.force_login(world["liaison"])
    html = client.get(province_meeting.get_absolute_url()).content.decode()
    for title in ("用地指标不足", "规划许可办理", "两重项目资金拨付慢", "市级项目配套管网"):
        assert title not in html
    assert "江阴其他企业项目" not in html

    # The 江阴 department's liaison sees the project of its two issues and only those issues.
    jiangyin_liaison = factories.user(
        "jiangyin_liaison",
        "320281",
        ["department_liaison"],
        factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT),
    )
    county_meeting = services.meeting_create(by=world["county_office"], date=TODAY)
    client.force_login(jiangyin_liaison)
    for url in (
        county_meeting.get_absolute_url(),
        reverse("issues:meeting-print", args=[county_meeting.pk]),
    ):
        html = client.get(url).content.decode()
        assert "用地指标不足" in html and "规划许可办理" in html
        assert "施工用电接入待协调" not in html  # same project, not their unit's
        assert "江阴省重大实施项目" not in html and "沭阳两重项目" not in html


def test_the_meeting_pages_need_a_fixed_number_of_queries(
    client, world, province_meeting, django_assert_max_num_queries
):
    """More projects, issues, schedules and overdue approvals on the agenda do not mean more
    queries."""
    client.force_login(world["province_office"])
    urls = [
        province_meeting.get_absolute_url(),
        reverse("issues:meeting-print", args=[province_meeting.pk]),
    ]
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    by = world["province_office"]
    template = ScheduleTemplate.objects.get(category="industrial")
    for number, region in enumerate(("320281", "320282", "321322", "320102")):
        project = factories.project(
            region, by=by, name=f"新增项目{number}", planned_start=TODAY + dt.timedelta(days=60)
        )
        schedule_services.apply_template(project=project, template=template, by=by)
        report(by, project, f"新增问题{number}")
        under_review(by, project, "land", 30)
        under_review(by, project, "eia", 40)
    bigger = services.meeting_create(by=by, date=TODAY)
    assert bigger.items.count() == province_meeting.items.count() + 4
    for url, count in zip(
        [bigger.get_absolute_url(), reverse("issues:meeting-print", args=[bigger.pk])],
        counts,
        strict=True,
    ):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200
