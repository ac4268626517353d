"""The issue workflow (SPEC §5): lifecycle, the transition table over every status × action ×
role, 五到位, escalation and its end, intake idempotency, the immutable timeline."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from accounts.models import Unit
from core.exceptions import DomainError, NotPermitted
from issues import services
from issues.models import Issue, IssueEvent, Level, Status, mask_phone

from . import factories


@pytest.fixture
def cast(people, library):
    """The people around one 江阴 (county-level) ticket of the demo enterprise's project."""
    department = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    handler = factories.user("handler", "320281", ["department_liaison"], department)
    return {
        **people,
        "handler": handler,
        "department": department,
        "project": library["jiangyin_enterprise_1"],
    }


def five(cast, **extra):
    return {
        "unit": cast["department"],
        "responsible_leader": "王副市长",
        "responsible_person": "李科长",
        "solution": "调整用地规划，月底前完成预审",
        **extra,
    }


def make_issue(cast, status: str, level: str = Level.COUNTY) -> Issue:
    """A ticket put straight into ``status`` (the lifecycle test walks the real path)."""
    fields = {}
    if status not in (Status.REPORTED, Status.ACCEPTED, Status.REJECTED):
        fields = five(cast, deadline=timezone.localdate() + datetime.timedelta(days=20))
    return Issue.objects.create(
        project=cast["project"],
        region=cast["project"].region,
        title="用地预审卡在规划调整",
        category="land_sea",
        source="county",
        level=level,
        status=status,
        **fields,
    )


def test_whole_lifecycle_with_timeline(cast):
    issue = services.issue_report(
        by=cast["county_filer"],
        project=cast["project"],
        title="用地指标不足",
        category="land_sea",
        description="新增建设用地指标缺口120亩",
    )
    assert (issue.status, issue.level, issue.source) == ("reported", "county", "county")

    steps = [
        ("accept", "county_office", {}),
        ("assign", "county_office", five(cast)),
        ("start", "handler", {}),
        ("note", "handler", {"comment": "已对接省厅，预计下周批复指标"}),
        ("resolve", "handler", {"resolution": "指标已下达"}),
        ("return", "enterprise", {"reason": "指标数量不足，仍差20亩"}),
        ("resolve", "handler", {"resolution": "剩余20亩指标已下达"}),
        ("confirm", "enterprise", {}),
        ("close", "county_office", {}),
    ]
    for action, who, data in steps:
        issue = services.issue_act(issue=issue, action=action, by=cast[who], **data)

    assert issue.status == Status.CLOSED
    assert issue.deadline is not None and issue.closed_at is not None
    assert issue.accepted_at <= issue.assigned_at <= issue.resolved_at <= issue.closed_at
    timeline = list(issue.events.values_list("kind", "from_status", "to_status", "actor__username"))
    assert timeline == [
        ("report", "reported", "reported", "county_filer"),
        ("accept", "reported", "accepted", "county_office"),
        ("assign", "accepted", "assigned", "county_office"),
        ("start", "assigned", "in_progress", "handler"),
        ("note", "in_progress", "in_progress", "handler"),
        ("resolve", "in_progress", "resolved", "handler"),
        ("return", "resolved", "in_progress", "enterprise"),
        ("resolve", "in_progress", "resolved", "handler"),
        ("confirm", "resolved", "confirmed", "enterprise"),
        ("close", "confirmed", "closed", "county_office"),
    ]


# The table of the issue, written out independently of the code: (status, action, who).
ALLOWED = {
    ("reported", "accept", "county_office"),
    ("reported", "reject", "county_office"),
    ("reported", "escalate", "county_office"),
    ("accepted", "assign", "county_office"),
    ("accepted", "reject", "county_office"),
    ("accepted", "escalate", "county_office"),
    ("assigned", "start", "handler"),
    ("assigned", "escalate", "county_office"),
    ("in_progress", "note", "handler"),
    ("in_progress", "resolve", "handler"),
    ("in_progress", "escalate", "county_office"),
    ("resolved", "confirm", "enterprise"),
    ("resolved", "confirm", "county_office"),
    ("resolved", "return", "enterprise"),
    ("resolved", "return", "county_office"),
    ("confirmed", "close", "county_office"),
}
ROLES = [
    "county_office",
    "city_office",
    "province_office",
    "county_filer",
    "handler",
    "liaison",  # a provincial department's liaison, not the assigned unit
    "enterprise",
    "leader",
]


def action_data(cast, action):
    return {
        "assign": five(cast),
        "note": {"comment": "进展：已召开专题协调会"},
        "resolve": {"resolution": "已解决"},
        "return": {"reason": "企业反映仍未解决"},
        "escalate": {"reason": "超出县级权限"},
        "reject": {"reason": "重复问题"},
        "confirm": {"reason": "已电话回访，企业表示满意"},
    }.get(action, {})


def state(issue):
    issue = Issue.objects.get(pk=issue.pk)
    return (
        issue.status,
        issue.level,
        issue.unit_id,
        issue.deadline,
        issue.resolution,
        issue.events.count(),
    )


@pytest.mark.parametrize("status", Status.values)
def test_transition_table(cast, status):
    """Every action by every role from this status: allowed exactly as the table says; a
    refusal is a Chinese error and leaves the ticket exactly as it was."""
    surprises = []
    for action in services.ACTIONS:
        for who in ROLES:
            issue = make_issue(cast, status)
            before = state(issue)
            allowed = (status, action, who) in ALLOWED
            try:
                services.issue_act(
                    issue=issue, action=action, by=cast[who], **action_data(cast, action)
                )
            except DomainError as refusal:
                if allowed:
                    surprises.append((action, who, "refused", refusal.messages))
                elif state(issue) != before:
                    surprises.append((action, who, "refused but changed"))
                elif not any("\u4e00" <= ch <= "\u9fff" for ch in refusal.messages[0]):
                    surprises.append((action, who, "message not Chinese"))
                expected = NotPermitted if status in _sources(action) else DomainError
                if not allowed and not isinstance(refusal, expected):
                    surprises.append((action, who, "wrong kind of refusal"))
            else:
                if not allowed:
                    surprises.append((action, who, "allowed"))
                elif state(issue) == before:
                    surprises.append((action, who, "nothing recorded"))
            if allowed != (action in services.allowed_actions(make_issue(cast, status), cast[who])):
                surprises.append((action, who, "page offers differently"))
    assert surprises == []


def _sources(action):
    return {s for (s, a, _who) in ALLOWED if a == action}


def test_assign_requires_all_five(cast):
    issue = make_issue(cast, Status.ACCEPTED)
    for missing in ("unit", "responsible_leader", "responsible_person", "solution"):
        data = five(cast)
        data[missing] = None if missing == "unit" else "  "
        with pytest.raises(DomainError) as refusal:
            services.issue_assign(issue=issue, by=cast["county_office"], **data)
        assert refusal.value.field == missing
        assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED
    with pytest.raises(DomainError) as refusal:
        services.issue_assign(
            issue=issue,
            by=cast["county_office"],
            **five(cast, deadline=timezone.localdate() - datetime.timedelta(days=1)),
        )
    assert refusal.value.field == "deadline"


def test_assign_refuses_a_unit_outside_the_level_or_a_company(cast):
    issue = make_issue(cast, Status.ACCEPTED)
    elsewhere = factories.unit("宜兴市自然资源和规划局", "320282", Unit.Kind.DEPARTMENT)
    for unit in (elsewhere, cast["project"].unit):
        with pytest.raises(DomainError) as refusal:
            services.issue_assign(issue=issue, by=cast["county_office"], **five(cast, unit=unit))
        assert refusal.value.field == "unit"
    assert Issue.objects.get(pk=issue.pk).unit_id is None


@override_settings(
    ISSUE_DEADLINE_WORKDAYS={"county": 5, "city": 10, "province": 20, "government": 30},
    ISSUE_DEADLINE_WORKDAYS_BY_CATEGORY={"county": {"forestry": 8}},
)
@pytest.mark.clock(datetime.date(2026, 9, 29))
def test_default_deadline_counts_working_days_per_level_and_category(cast):
    # Tuesday 2026-09-29: 5 working days skip the National Day holiday (1–7 Oct) and the
    # 调休 Saturday 10 Oct counts: 9-30, 10-8, 10-9, 10-10, 10-12.
    issue = services.issue_assign(
        issue=make_issue(cast, Status.ACCEPTED), by=cast["county_office"], **five(cast)
    )
    assert issue.deadline == datetime.date(2026, 10, 12)
    assert services.default_deadline("county", "forestry", datetime.date(2026, 9, 29)) == (
        datetime.date(2026, 10, 15)
    )


def test_escalation_chain_and_its_end(cast):
    issue = make_issue(cast, Status.IN_PROGRESS)
    offices = ["county_office", "city_office", "province_office", "province_office"]
    levels = ["city", "province", "government"]
    for office, level in zip(offices, levels, strict=False):
        issue = services.issue_escalate(issue=issue, by=cast[office], reason="需上级协调")
        assert (issue.level, issue.status) == (level, Status.REPORTED)
        assert issue.unit_id is None and issue.deadline is None
    # The province office acts for the provincial government level, but there is nowhere higher.
    assert "escalate" not in services.allowed_actions(issue, cast["province_office"])
    with pytest.raises(DomainError) as refusal:
        services.issue_escalate(issue=issue, by=cast["province_office"], reason="再上提")
    assert refusal.value.code == "escalation_end"
    assert "省政府" in refusal.value.messages[0]
    escalations = issue.events.filter(kind="escalate")
    assert list(escalations.values_list("from_level", "to_level")) == [
        ("county", "city"),
        ("city", "province"),
        ("province", "government"),
    ]
    # At the new level, the new office accepts; the old one no longer may.
    with pytest.raises(NotPermitted):
        services.issue_accept(issue=issue, by=cast["county_office"])
    assert services.issue_accept(issue=issue, by=cast["province_office"]).status == "accepted"


def test_office_confirming_for_the_enterprise_needs_a_reason(cast):
    issue = make_issue(cast, Status.RESOLVED)
    with pytest.raises(DomainError) as refusal:
        services.issue_confirm(issue=issue, by=cast["county_office"], reason="")
    assert refusal.value.field == "reason"
    services.issue_confirm(issue=issue, by=cast["county_office"], reason="电话回访满意")
    assert issue.events.get(kind="confirm").comment == "电话回访满意"


def test_reporting_is_scoped(cast, library):
    with pytest.raises(DomainError) as refusal:
        services.issue_report(
            by=cast["enterprise"], project=library["jiangyin_other"], title="x", category="other"
        )
    assert refusal.value.field == "project"
    with pytest.raises(NotPermitted):
        services.issue_report(
            by=cast["leader"], project=cast["project"], title="x", category="other"
        )
    assert not Issue.objects.exists()


def test_events_cannot_be_changed_or_deleted(cast):
    issue = services.issue_report(
        by=cast["county_filer"], project=cast["project"], title="x", category="other"
    )
    event = issue.events.get()
    event.comment = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        IssueEvent.objects.filter(pk=event.pk).update(comment="改写")
    with pytest.raises(TypeError):
        IssueEvent.objects.all().delete()
    assert IssueEvent.objects.get(pk=event.pk).comment == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_database_refuses_to_rewrite_the_timeline(cast):
    from django.db import DatabaseError, transaction

    issue = services.issue_report(
        by=cast["county_filer"], project=cast["project"], title="x", category="other"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE issues_issueevent SET comment = 'x' WHERE issue_id = %s", [issue.pk])


def intake(by, **extra):
    data = {
        "source": "hotline_12345",
        "external_id": "12345-20261123-0001",
        "region_code": "320281",
        "title": "企业反映施工用电迟迟未接入",
        "category": "utilities",
        "reporter_name": "陈先生",
        "reporter_phone": "13812345678",
        **extra,
    }
    return services.issue_intake(by=by, **data)


def test_intake_is_idempotent_and_matches_projects(cast):
    project = cast["project"]
    first, created = intake(cast["api_client"], project_code=project.code or "")
    again, created_again = intake(cast["api_client"], title="改过的标题")
    assert created and not created_again and again.pk == first.pk
    assert Issue.objects.count() == 1 and first.events.count() == 1
    assert again.title == "企业反映施工用电迟迟未接入"
    if project.code:
        assert first.project == project

    unknown, created = intake(
        cast["api_client"], external_id="12345-0002", project_code="2099-000000-00-00-000000"
    )
    assert created and unknown.unmatched and unknown.level == "county"
    assert "2099-000000-00-00-000000" in unknown.project_hint

    by_name, _ = intake(cast["api_client"], external_id="12345-0003", project_name=project.name)
    assert by_name.project == project


def test_intake_region_must_be_in_the_callers_scope(cast):
    with pytest.raises(DomainError) as refusal:
        intake(cast["county_office"], region_code="321322")
    assert refusal.value.field == "region"
    assert not Issue.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_identical_intake_calls_racing_make_one_issue(transactional_db, people):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def call():
        try:
            barrier.wait(timeout=10)
            results.append(intake(people["api_client"], external_id="RACE-1"))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(created for _issue, created in results) == [False, True]
    assert len({issue.pk for issue, _created in results}) == 1
    assert Issue.objects.filter(external_id="RACE-1").count() == 1


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("025-83301234", "025*****1234"),
        ("12345", "1**45"),
        ("", ""),
    ],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked


def test_only_systems_and_offices_push_tickets(cast):
    for who in ("county_filer", "enterprise", "liaison", "leader"):
        with pytest.raises(NotPermitted):
            intake(cast[who])
    assert not Issue.objects.exists()


@pytest.mark.clock(datetime.date(2026, 11, 23))
def test_deadline_at_most_a_year_ahead(cast):
    issue = make_issue(cast, Status.ACCEPTED)
    with pytest.raises(DomainError) as refusal:
        services.issue_assign(
            issue=issue, by=cast["county_office"], **five(cast, deadline=datetime.date(2099, 1, 1))
        )
    assert refusal.value.field == "deadline" and "2027-11-24" in refusal.value.messages[0]
    assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED


@pytest.mark.clock(datetime.date(2026, 12, 21))
def test_a_default_deadline_in_a_year_without_holidays_says_so(cast):
    # 2027's holidays are not published in the calendar package: the count is provisional.
    issue = services.issue_assign(
        issue=make_issue(cast, Status.ACCEPTED), by=cast["county_office"], **five(cast)
    )
    assert issue.deadline.year == 2027
    assert "2027年节假日安排尚未录入" in issue.events.get(kind="assign").comment


def test_only_offices_file_above_the_regions_level(cast):
    project = cast["project"]
    for who in ("county_filer", "enterprise"):
        with pytest.raises(DomainError) as refusal:
            services.issue_report(
                by=cast[who], project=project, title="x", category="other", level="province"
            )
        assert refusal.value.field == "level"
    with pytest.raises(DomainError):  # a county office files at most at county level
        services.issue_report(
            by=cast["county_office"], project=project, title="x", category="other", level="city"
        )
    assert not Issue.objects.exists()
    issue = services.issue_report(
        by=cast["province_office"], project=project, title="x", category="other", level="province"
    )
    assert issue.level == "province"


def test_the_office_matches_an_unmatched_ticket_to_a_project(cast, library):
    ticket, _ = intake(cast["api_client"], project_code="2099-000000-00-00-000000")
    assert ticket.unmatched and services.may_link_project(ticket, cast["county_office"])
    for who in ("county_filer", "city_office", "handler"):
        with pytest.raises(NotPermitted):
            services.issue_link_project(issue=ticket, by=cast[who], project=cast["project"])
    with pytest.raises(DomainError) as refusal:  # another county's project
        services.issue_link_project(
            issue=ticket, by=cast["county_office"], project=library["yixing"]
        )
    assert refusal.value.field == "project"

    ticket = services.issue_link_project(
        issue=ticket, by=cast["county_office"], project=cast["project"], comment="电话核实"
    )
    assert ticket.project == cast["project"] and ticket.status == Status.REPORTED
    assert "电话核实" in ticket.events.get(kind="match").comment
    assert not services.may_link_project(ticket, cast["county_office"])
    with pytest.raises(DomainError):
        services.issue_link_project(
            issue=ticket, by=cast["county_office"], project=library["jiangyin_other"]
        )
    # The enterprise now sees the ticket of its project.
    assert Issue.objects.for_user(cast["enterprise"]).filter(pk=ticket.pk).exists()
