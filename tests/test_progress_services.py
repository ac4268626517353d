"""Monthly progress forms (SPEC §8): every validation rule with its Chinese message on its field,
the draft → submitted → approved / returned workflow and who may take each step, the derived
year-to-date, what approval does to the project, problems becoming one issue ticket, the
sheet of a county's month (all or nothing), uniqueness under concurrent writers, filing status
and the reminders."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import override_settings

from core.exceptions import DomainError, NotPermitted
from issues.models import Issue
from progress import selectors, services
from progress.models import (
    FilingReminder,
    MonthlyReport,
    ProgressAction,
    ProgressEvent,
    ReportStatus,
)
from progress.reminders import remind_filers
from projects.models import STAGE_DATE_FIELDS, Admission, Project, Stage, StageChange

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)
PERIOD = "2026-11"
#: the day each stage was reached by a project made with ``at_stage``
REACHED = {
    Stage.SIGNED: datetime.date(2026, 1, 10),
    Stage.FILED: datetime.date(2026, 2, 10),
    Stage.STARTED: datetime.date(2026, 3, 10),
    Stage.COMPLETED: datetime.date(2026, 6, 10),
    Stage.PRODUCING: datetime.date(2026, 8, 10),
    Stage.AT_CAPACITY: datetime.date(2026, 10, 10),
}


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


def at_stage(people, stage=Stage.STARTED, region="320281", admission=Admission.ADMITTED, **extra):
    """A project in ``stage`` (every earlier stage reached on its REACHED day)."""
    dates = {
        STAGE_DATE_FIELDS[s]: day
        for s, day in REACHED.items()
        if Stage.order(s) <= Stage.order(stage)
    }
    fields = {"stage": stage, "admission": admission, **dates, **extra}
    project = factories.project(region, by=people["province_office"], **fields)
    if project.admission != admission:  # a signed project is created waiting for pre-review
        Project.objects.filter(pk=project.pk).update(admission=admission)
        project.refresh_from_db()
    return project


@pytest.fixture
def project(people):
    return at_stage(people, total_investment=Decimal("1000"))


def save(project, by, period=PERIOD, **values):
    return services.report_save(project=project, period=period, by=by, **values)


FILLED = {"investment_this_month": "100", "physical_progress": "主体结构施工"}


def submitted(people, project, period=PERIOD, **values):
    report, _outcome = save(project, people["county_filer"], period, **{**FILLED, **values})
    return services.report_submit(report=report, by=people["county_filer"])


def approved(people, project, period=PERIOD, **values):
    report = submitted(people, project, period, **values)
    return services.report_approve(report=report, by=people["city_office"])


def field_errors(excinfo) -> dict:
    return excinfo.value.message_dict


# --- validation --------------------------------------------------------------------------------


def test_a_valid_form_is_saved_as_a_draft(people, project):
    report, outcome = save(project, people["county_filer"], **FILLED, percent_complete="35.5")
    assert outcome == "created"
    assert report.status == ReportStatus.DRAFT
    assert report.investment_this_month == Decimal("100.00")
    assert report.investment_ytd == Decimal("100.00")
    assert report.percent_complete == Decimal("35.50")
    assert report.created_by == people["county_filer"]
    assert [e.action for e in report.events.all()] == [ProgressAction.CREATE]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("investment_this_month", "-0.01", "本月完成投资不能为负数。"),
        ("investment_this_month", "一百", "本月完成投资应为数字。"),
        ("investment_this_month", "12万", "本月完成投资应为数字。"),
        ("investment_this_month", "NaN", "本月完成投资应为数字。"),
        ("investment_this_month", "Infinity", "本月完成投资应为数字。"),
        ("percent_complete", "abc", "工程完成百分比应为数字。"),
        ("percent_complete", "100.01", "工程完成百分比应在0到100之间。"),
        ("percent_complete", "-1", "工程完成百分比应在0到100之间。"),
    ],
)
def test_money_and_percent_are_checked_on_their_field(people, project, field, value, message):
    with pytest.raises(ValidationError) as refused:
        save(project, people["county_filer"], **{**FILLED, field: value})
    assert field_errors(refused) == {field: [message]}
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize("field", ["investment_this_month", "percent_complete"])
@pytest.mark.parametrize("value", ["1e30", 1e30, "9" * 40])
def test_absurdly_large_numbers_are_a_field_error_not_a_crash(people, project, field, value):
    # Decimal.quantize raises InvalidOperation beyond 28 digits; the filer must get a message.
    with pytest.raises(ValidationError) as refused:
        save(project, people["county_filer"], **{**FILLED, field: value})
    assert list(field_errors(refused)) == [field]
    assert not MonthlyReport.objects.exists()


def test_percent_bounds_and_blank_values_are_accepted(people, project):
    filer = people["county_filer"]
    assert save(project, filer, percent_complete="100")[0].percent_complete == Decimal(100)
    assert save(project, filer, percent_complete="0")[0].percent_complete == Decimal(0)
    report, _ = save(project, filer, percent_complete="", investment_this_month="0,234.5")
    assert report.percent_complete is None
    assert report.investment_this_month == Decimal("234.50")


def test_this_years_cumulative_may_not_exceed_total_investment(people, project):
    filer = people["county_filer"]
    save(project, filer, "2025-12", investment_this_month="900")  # last year does not count
    save(project, filer, "2026-01", investment_this_month="600")
    save(project, filer, "2026-02", investment_this_month="400")  # exactly the total
    with pytest.raises(ValidationError) as refused:
        save(project, filer, "2026-03", investment_this_month="0.01")
    assert field_errors(refused) == {
        "investment_this_month": [
            "本年累计完成投资（1,000.01万元）不能超过项目总投资（1,000.00万元）。"
        ]
    }
    # changing an earlier month counts the later ones too
    with pytest.raises(ValidationError) as refused:
        save(project, filer, "2026-01", investment_this_month="601")
    assert "1,001.00万元" in field_errors(refused)["investment_this_month"][0]
    assert not MonthlyReport.objects.filter(period="2026-03").exists()
    assert MonthlyReport.objects.get(period="2026-01").investment_this_month == Decimal(600)


def test_future_periods_are_refused_and_the_current_month_is_allowed(people, project):
    with pytest.raises(DomainError) as refused:
        save(project, people["county_filer"], "2026-12", **FILLED)
    assert (refused.value.code, refused.value.field) == ("future_period", "period")
    assert refused.value.messages == ["不能填报未来月份（2026-12）的进展。"]
    assert save(project, people["county_filer"], "2026-11", **FILLED)[1] == "created"
    assert save(project, people["county_filer"], "2025-06", **FILLED)[1] == "created"


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026/11", "202611", "26-11", "", None])
def test_period_format(people, project, period):
    with pytest.raises(DomainError) as refused:
        save(project, people["county_filer"], period, **FILLED)
    assert (refused.value.code, refused.value.field) == ("invalid_period", "period")
    assert refused.value.messages == ["月份格式应为 YYYY-MM，例如 2026-11。"]


def test_a_stage_needs_its_date_and_a_date_needs_its_stage(people, project):
    filer = people["county_filer"]
    with pytest.raises(ValidationError) as refused:
        save(project, filer, **FILLED, new_stage=Stage.COMPLETED)
    assert field_errors(refused) == {"stage_date": ["请填写进入“竣工”阶段的日期。"]}
    with pytest.raises(ValidationError) as refused:
        save(project, filer, **FILLED, stage_date="2026-11-05")
    assert field_errors(refused) == {"new_stage": ["请选择本月进入的阶段。"]}
    with pytest.raises(ValidationError) as refused:
        save(project, filer, **FILLED, new_stage=Stage.FILED, stage_date="2026-11-05")
    assert field_errors(refused) == {"new_stage": ["本月进入阶段应为开工、竣工、投产或达效之一。"]}
    with pytest.raises(ValidationError) as refused:
        save(project, filer, **FILLED, new_stage=Stage.COMPLETED, stage_date="2026/11/05")
    assert field_errors(refused) == {"stage_date": ["阶段日期格式应为 YYYY-MM-DD。"]}
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (datetime.date(2026, 10, 31), "阶段日期应在本月（2026-11-01至2026-11-30）内。"),
        (datetime.date(2026, 12, 1), "阶段日期应在本月（2026-11-01至2026-11-30）内。"),
        (datetime.date(2026, 11, 24), "阶段日期不能晚于今天。"),
    ],
)
def test_stage_date_inside_the_month_and_not_in_the_future(people, project, day, message):
    with pytest.raises(ValidationError) as refused:
        save(project, people["county_filer"], **FILLED, new_stage="completed", stage_date=day)
    assert message in field_errors(refused)["stage_date"]
    assert list(field_errors(refused)) == ["stage_date"]


def test_stage_date_today_is_allowed(people, project):
    report, _ = save(
        project, people["county_filer"], **FILLED, new_stage="completed", stage_date=TODAY
    )
    assert (report.new_stage, report.stage_date) == ("completed", TODAY)


def test_stage_date_not_before_an_earlier_stage(people):
    project = at_stage(people, Stage.FILED)
    Project.objects.filter(pk=project.pk).update(filed_on=datetime.date(2026, 11, 15))
    project.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        save(
            project, people["county_filer"], **FILLED, new_stage="started", stage_date="2026-11-10"
        )
    assert field_errors(refused) == {
        "stage_date": ["阶段日期不能早于项目“备案/赋码”日期（2026-11-15）。"]
    }
    report, _ = save(
        project, people["county_filer"], **FILLED, new_stage="started", stage_date="2026-11-15"
    )
    assert report.stage_date == datetime.date(2026, 11, 15)


@pytest.mark.parametrize("reported", [Stage.STARTED, Stage.COMPLETED])
def test_a_stage_must_come_after_the_projects_current_stage(people, reported):
    project = at_stage(people, Stage.COMPLETED)
    with pytest.raises(ValidationError) as refused:
        save(project, people["county_filer"], **FILLED, new_stage=reported, stage_date="2026-11-05")
    assert field_errors(refused) == {
        "new_stage": [f"项目当前已处于“竣工”阶段，不能再报告进入“{Stage(reported).label}”。"]
    }


@pytest.mark.parametrize(
    ("stage", "admission"),
    [
        (Stage.PLANNING, Admission.ADMITTED),
        (Stage.SIGNED, Admission.PENDING),
        (Stage.FILED, Admission.REJECTED),
        (Stage.AT_CAPACITY, Admission.ADMITTED),
    ],
)
def test_only_active_projects_file(people, stage, admission):
    project = at_stage(people, stage, admission=admission)
    with pytest.raises(DomainError) as refused:
        save(project, people["county_filer"], **FILLED)
    assert (refused.value.code, refused.value.field) == ("project_not_active", "project")
    assert "不在月度调度范围内" in refused.value.messages[0]
    assert not MonthlyReport.objects.exists()


def test_a_signed_admitted_project_files(people):
    project = at_stage(people, Stage.SIGNED)
    assert save(project, people["county_filer"], **FILLED)[1] == "created"


def test_out_of_scope_projects_are_refused(people, project):
    for who in ("county_filer2", "nobody"):
        with pytest.raises(DomainError) as refused:
            save(project, people[who], **FILLED)
        assert (refused.value.code, refused.value.field) == ("project_out_of_scope", "project")
    for who in ("leader", "enterprise", "liaison"):  # in scope or not, they do not file
        with pytest.raises(DomainError) as refused:
            save(project, people[who], **FILLED)
        assert refused.value.code in ("not_permitted", "project_out_of_scope")
    assert not MonthlyReport.objects.exists()


def test_derived_and_workflow_fields_cannot_be_written(people, project):
    for field, value in (("investment_ytd", "5"), ("status", "approved")):
        with pytest.raises(DomainError) as refused:
            save(project, people["county_filer"], **FILLED, **{field: value})
        assert refused.value.code == "field_read_only"
    assert not MonthlyReport.objects.exists()


def test_every_wrong_field_is_named_at_once(people, project):
    with pytest.raises(ValidationError) as refused:
        save(
            project,
            people["county_filer"],
            investment_this_month="-5",
            percent_complete="120",
            new_stage="completed",
            problem_category="weather",
            problems="下雨",
        )
    assert set(field_errors(refused)) == {
        "investment_this_month",
        "percent_complete",
        "stage_date",
        "problem_category",
    }


# --- the workflow -------------------------------------------------------------------------------


def test_draft_submitted_approved_locks_the_form(people, project):
    filer, city = people["county_filer"], people["city_office"]
    report, _ = save(project, filer, **FILLED)
    assert services.allowed_actions(report, filer) == ["submit"]
    report = services.report_submit(report=report, by=filer)
    assert (report.status, report.submitted_by, report.submitted_at is not None) == (
        ReportStatus.SUBMITTED,
        filer,
        True,
    )
    assert services.allowed_actions(report, filer) == []
    assert services.allowed_actions(report, city) == ["approve", "return"]
    report = services.report_approve(report=report, by=city, comment="数据属实")
    assert (report.status, report.approved_by, report.review_comment) == (
        ReportStatus.APPROVED,
        city,
        "数据属实",
    )
    assert services.allowed_actions(report, city) == ["reopen"]

    # the same figures again change nothing (e.g. the same file uploaded twice) …
    same, outcome = save(project, filer, **FILLED)
    assert (same.pk, outcome) == (report.pk, "unchanged")
    # … other figures are refused
    with pytest.raises(DomainError) as refused:
        save(project, filer, investment_this_month="101")
    assert refused.value.code == "report_locked"
    report.refresh_from_db()
    assert report.investment_this_month == Decimal(100)
    assert [(e.action, e.from_status, e.to_status) for e in report.events.all()] == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
    ]


def test_a_locked_form_says_it_is_locked_even_for_bad_values(people, project):
    report = submitted(people, project)
    with pytest.raises(DomainError) as refused:
        save(project, people["county_filer"], investment_this_month="-3")
    assert refused.value.code == "report_locked"
    report.refresh_from_db()
    assert report.investment_this_month == Decimal(100)


def test_submitting_needs_the_physical_progress(people, project):
    report, _ = save(project, people["county_filer"], investment_this_month="5")
    with pytest.raises(ValidationError) as refused:
        services.report_submit(report=report, by=people["county_filer"])
    assert field_errors(refused) == {"physical_progress": ["报送前请填写形象进度。"]}
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_returned_needs_a_comment_and_is_editable_again(people, project):
    filer, city = people["county_filer"], people["city_office"]
    report = submitted(people, project)
    for comment in ("", "   "):
        with pytest.raises(DomainError) as refused:
            services.report_return(report=report, by=city, comment=comment)
        assert (refused.value.code, refused.value.field) == ("comment_required", "comment")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    report = services.report_return(report=report, by=city, comment="本月投资与形象进度不符")
    assert (report.status, report.returned_by, report.review_comment) == (
        ReportStatus.RETURNED,
        city,
        "本月投资与形象进度不符",
    )
    assert report.editable
    changed, outcome = save(project, filer, investment_this_month="80")
    assert (changed.pk, outcome, changed.status) == (report.pk, "updated", ReportStatus.RETURNED)
    again = services.report_submit(report=changed, by=filer)
    assert again.status == ReportStatus.SUBMITTED
    assert [e.action for e in again.events.all()] == [
        "create",
        "submit",
        "return",
        "update",
        "submit",
    ]


def test_reopen_needs_a_reason_and_is_recorded(people, project):
    province = people["province_office"]
    report = approved(people, project)
    with pytest.raises(DomainError) as refused:
        services.report_reopen(report=report, by=province, reason=" ")
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    report = services.report_reopen(report=report, by=province, reason="统计口径调整，需重新核实")
    assert report.status == ReportStatus.RETURNED
    event = report.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor, event.comment) == (
        ProgressAction.REOPEN,
        ReportStatus.APPROVED,
        ReportStatus.RETURNED,
        province,
        "统计口径调整，需重新核实",
    )
    assert save(project, people["county_filer"], investment_this_month="90")[1] == "updated"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ReportStatus.DRAFT, "approve"),
        (ReportStatus.DRAFT, "return"),
        (ReportStatus.DRAFT, "reopen"),
        (ReportStatus.SUBMITTED, "submit"),
        (ReportStatus.SUBMITTED, "reopen"),
        (ReportStatus.APPROVED, "submit"),
        (ReportStatus.APPROVED, "approve"),
        (ReportStatus.APPROVED, "return"),
        (ReportStatus.RETURNED, "approve"),
        (ReportStatus.RETURNED, "return"),
        (ReportStatus.RETURNED, "reopen"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(people, project, status, action):
    report, _ = save(project, people["county_filer"], **FILLED)
    MonthlyReport.objects.filter(pk=report.pk).update(status=status)
    events = ProgressEvent.objects.count()
    by = people["county_filer"] if action == "submit" else people["province_office"]
    with pytest.raises(DomainError) as refused:
        services.report_act(report=report, action=action, by=by, comment="意见", reason="原因")
    assert refused.value.code == "invalid_transition"
    report.refresh_from_db()
    assert report.status == status
    assert ProgressEvent.objects.count() == events


def test_unknown_action_is_refused(people, project):
    report, _ = save(project, people["county_filer"], **FILLED)
    with pytest.raises(DomainError) as refused:
        services.report_act(report=report, action="delete", by=people["province_office"])
    assert refused.value.code == "invalid_action"


def test_who_may_review(people, project):
    report = submitted(people, project)
    for who in ("county_filer", "county_office", "county_filer2", "leader", "liaison"):
        assert services.allowed_actions(report, people[who]) == [], who
        with pytest.raises(NotPermitted):
            services.report_approve(report=report, by=people[who])
        with pytest.raises(NotPermitted):
            services.report_return(report=report, by=people[who], comment="退回")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert services.report_approve(report=report, by=people["province_office"]).status == (
        ReportStatus.APPROVED
    )
    for who in ("county_filer", "county_office"):
        with pytest.raises(NotPermitted):
            services.report_reopen(report=report, by=people[who], reason="原因")


def test_the_city_office_approves(people, project):
    assert approved(people, project).approved_by == people["city_office"]


def test_nobody_approves_their_own_submission(people, project):
    city = people["city_office"]
    report, _ = save(project, city, **FILLED)
    report = services.report_submit(report=report, by=city)
    assert "approve" not in services.allowed_actions(report, city)
    with pytest.raises(NotPermitted) as refused:
        services.report_approve(report=report, by=city)
    assert refused.value.code == "own_report"
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert services.report_approve(report=report, by=people["province_office"]).status == (
        ReportStatus.APPROVED
    )


def test_another_countys_filer_cannot_touch_it(people, project):
    other = people["county_filer2"]
    report, _ = save(project, people["county_filer"], **FILLED)
    assert not MonthlyReport.objects.for_user(other).exists()
    assert MonthlyReport.objects.for_user(people["county_filer"]).get() == report
    assert services.allowed_actions(report, other) == []
    with pytest.raises(DomainError) as refused:
        services.report_submit(report=report, by=other)
    assert refused.value.code == "project_out_of_scope"
    with pytest.raises(DomainError):
        save(project, other, investment_this_month="1")
    report.refresh_from_db()
    assert (report.status, report.investment_this_month) == (ReportStatus.DRAFT, Decimal(100))


def test_progress_events_are_append_only(people, project):
    report = submitted(people, project)
    event = report.events.first()
    event.comment = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ProgressEvent.objects.filter(report=report).update(comment="改写")
    with pytest.raises(TypeError):
        ProgressEvent.objects.filter(report=report).delete()
    assert ProgressEvent.objects.filter(report=report).count() == 2


# --- what the forms move --------------------------------------------------------------------


def test_ytd_is_the_sum_of_the_years_months_and_follows_earlier_changes(people, project):
    filer = people["county_filer"]
    save(project, filer, "2025-12", investment_this_month="500")
    save(project, filer, "2026-03", investment_this_month="25")
    save(project, filer, "2026-02", investment_this_month="50")
    save(project, filer, "2026-01", investment_this_month="100")

    def ytd():
        return dict(
            MonthlyReport.objects.filter(project=project)
            .order_by("period")
            .values_list("period", "investment_ytd")
        )

    assert ytd() == {
        "2025-12": Decimal(500),
        "2026-01": Decimal(100),
        "2026-02": Decimal(150),
        "2026-03": Decimal(175),
    }
    report, outcome = save(project, filer, "2026-01", investment_this_month="130")
    assert (outcome, report.investment_ytd) == ("updated", Decimal(130))
    assert ytd()["2026-02"] == Decimal(180) and ytd()["2026-03"] == Decimal(205)
    assert ytd()["2025-12"] == Decimal(500)


def test_approval_moves_the_projects_completed_investment(people, project):
    Project.objects.filter(pk=project.pk).update(
        completed_investment_total=Decimal(300), completed_investment_year=Decimal(0)
    )
    approved(people, project, "2026-10", investment_this_month="120")
    project.refresh_from_db()
    assert (project.completed_investment_year, project.completed_investment_total) == (
        Decimal(120),
        Decimal(420),
    )
    approved(people, project, "2026-11", investment_this_month="30")
    project.refresh_from_db()
    assert (project.completed_investment_year, project.completed_investment_total) == (
        Decimal(150),
        Decimal(450),
    )
    # a form of an earlier year approved late does not touch this year's figure
    approved(people, project, "2025-12", investment_this_month="70")
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal(150)


def test_a_stage_change_is_applied_on_approval_through_the_stage_service(people):
    project = at_stage(people, Stage.FILED)
    report = submitted(people, project, new_stage="started", stage_date="2026-11-10")
    project.refresh_from_db()
    assert project.stage == Stage.FILED  # nothing moves before the office approves
    services.report_approve(report=report, by=people["city_office"])
    project.refresh_from_db()
    assert (project.stage, project.started_on) == (Stage.STARTED, datetime.date(2026, 11, 10))
    change = StageChange.objects.get(project=project)
    assert (change.from_stage, change.to_stage, change.date, change.by) == (
        Stage.FILED,
        Stage.STARTED,
        datetime.date(2026, 11, 10),
        people["city_office"],
    )
    # the approved form still validates against the moved project: the same file is no change
    assert (
        save(
            project, people["county_filer"], **FILLED, new_stage="started", stage_date="2026-11-10"
        )[1]
        == "unchanged"
    )


def test_problems_on_submit_make_one_issue_of_the_project(people, project):
    filer, city = people["county_filer"], people["city_office"]
    report = submitted(
        people, project, problems="施工用电迟迟未接入\n影响设备调试", problem_category="utilities"
    )
    issue = Issue.objects.get()
    assert report.issue == issue
    assert (issue.project, issue.category, issue.region_id) == (project, "utilities", "320281")
    assert issue.title == "2026-11月报反映：施工用电迟迟未接入"
    assert issue.reported_by == filer
    services.report_return(report=report, by=city, comment="请补充问题描述")
    save(project, filer, problems="施工用电迟迟未接入，已协调供电公司")
    services.report_submit(report=report, by=filer)
    assert Issue.objects.count() == 1
    report.refresh_from_db()
    assert report.issue == issue


def test_no_problems_no_issue_and_problems_default_to_other(people, project):
    submitted(people, project)
    assert not Issue.objects.exists()
    other = at_stage(people)
    report = submitted(people, other, problems="资金到位慢")
    assert report.problem_category == "other"
    assert report.issue.category == "other"


# --- a county's month at once -------------------------------------------------------------------


def test_sheet_save_is_all_or_nothing(people, project):
    filer = people["county_filer"]
    second, third = at_stage(people), at_stage(people)
    with pytest.raises(services.SheetErrors) as refused:
        services.sheet_save(
            rows={
                project.pk: FILLED,
                second.pk: {**FILLED, "investment_this_month": "-1"},
                third.pk: FILLED,
                people_project_elsewhere(people).pk: FILLED,
            },
            period=PERIOD,
            by=filer,
        )
    rows = refused.value.rows
    assert rows[second.pk] == {"investment_this_month": ["本月完成投资不能为负数。"]}
    assert len(rows) == 2
    assert not MonthlyReport.objects.exists() and not ProgressEvent.objects.exists()

    result = services.sheet_save(
        rows={project.pk: FILLED, second.pk: FILLED, third.pk: {}},
        period=PERIOD,
        by=filer,
        submit=True,
    )
    assert (result.created, result.submitted, result.skipped) == (2, 2, 1)
    assert set(MonthlyReport.objects.values_list("status", flat=True)) == {"submitted"}


def people_project_elsewhere(people):
    return at_stage(people, region="321322")


def test_sheet_save_names_every_kind_of_refusal_by_project(people, project):
    filer = people["county_filer"]
    locked, inactive = at_stage(people), at_stage(people, Stage.PLANNING)
    elsewhere = people_project_elsewhere(people)
    report = submitted(people, locked)
    with pytest.raises(services.SheetErrors) as refused:
        services.sheet_save(
            rows={
                project.pk: {**FILLED, "status": "approved"},
                locked.pk: {**FILLED, "investment_this_month": "99"},
                inactive.pk: FILLED,
                elsewhere.pk: FILLED,
            },
            period=PERIOD,
            by=filer,
        )
    rows = refused.value.rows
    assert rows[project.pk] == {"__all__": ["以下字段不能填写：status。"]}
    assert rows[locked.pk] == {"__all__": [f"{locked.name} 2026-11的进展已报送，不能修改。"]}
    assert list(rows[inactive.pk]) == ["project"]
    assert "不在月度调度范围内" in rows[inactive.pk]["project"][0]
    assert rows[elsewhere.pk] == {"project": ["所选项目不存在或不在您的管辖范围内。"]}
    assert refused.value.messages == ["4个项目的数据有误，未保存任何数据，请修改后重新提交。"]
    report.refresh_from_db()
    assert report.investment_this_month == Decimal(100)
    assert MonthlyReport.objects.count() == 1

    # the locked form with its own figures is no change; the others are written
    result = services.sheet_save(
        rows={project.pk: FILLED, locked.pk: FILLED}, period=PERIOD, by=filer
    )
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)


def test_sheet_save_refuses_who_does_not_file(people, project):
    with pytest.raises(services.SheetErrors) as refused:
        services.sheet_save(rows={project.pk: FILLED}, period=PERIOD, by=people["leader"])
    assert refused.value.rows == {project.pk: {"__all__": ["您没有填报月度进展的权限。"]}}
    with pytest.raises(DomainError) as refused:
        services.sheet_save(rows={project.pk: FILLED}, period="2026-12", by=people["county_filer"])
    assert refused.value.code == "future_period"
    assert not MonthlyReport.objects.exists()


def test_sheet_save_writes_events_and_the_years_cumulative(people, project):
    filer = people["county_filer"]
    other = at_stage(people)
    save(project, filer, "2026-10", investment_this_month="40")
    save(project, filer, "2026-11", investment_this_month="1", physical_progress="旧")
    result = services.sheet_save(
        rows={
            project.pk: {"investment_this_month": "60", "physical_progress": "新"},
            other.pk: {**FILLED, "new_stage": "completed", "stage_date": "2026-11-02"},
        },
        period="2026-11",
        by=filer,
        action=ProgressAction.IMPORT,
    )
    assert (result.created, result.updated) == (1, 1)
    mine = MonthlyReport.objects.get(project=project, period="2026-11")
    assert (mine.investment_this_month, mine.investment_ytd, mine.physical_progress) == (
        Decimal(60),
        Decimal(100),
        "新",
    )
    assert [e.action for e in mine.events.all()] == ["create", "import"]
    theirs = MonthlyReport.objects.get(project=other)
    assert (theirs.investment_ytd, theirs.new_stage, theirs.stage_date, theirs.created_by) == (
        Decimal(100),
        "completed",
        datetime.date(2026, 11, 2),
        filer,
    )
    assert [(e.action, e.from_status, e.to_status, e.actor) for e in theirs.events.all()] == [
        ("import", "", "draft", filer)
    ]
    # an earlier month changed by a sheet moves the later months' cumulative
    services.sheet_save(
        rows={project.pk: {"investment_this_month": "50"}}, period="2026-10", by=filer
    )
    mine.refresh_from_db()
    assert mine.investment_ytd == Decimal(110)
    # a year's cumulative over the total is refused across the sheet's own months too
    with pytest.raises(services.SheetErrors) as refused:
        services.sheet_save(
            rows={project.pk: {"investment_this_month": "950"}}, period="2026-10", by=filer
        )
    assert "不能超过项目总投资" in refused.value.rows[project.pk]["investment_this_month"][0]


def test_a_sheet_costs_a_few_queries_whatever_its_rows(people, django_assert_max_num_queries):
    filer = people["county_filer"]
    filer.role_codes  # noqa: B018 - the user's roles are read once per request anyway
    projects = [at_stage(people) for _ in range(15)]
    rows = {p.pk: dict(FILLED) for p in projects}
    with django_assert_max_num_queries(12):
        assert services.sheet_save(rows=rows, period=PERIOD, by=filer).created == 15
    with django_assert_max_num_queries(12):
        assert services.sheet_save(rows=rows, period=PERIOD, by=filer).unchanged == 15
    changed = {pk: {"investment_this_month": "7"} for pk in rows}
    with django_assert_max_num_queries(12):
        assert services.sheet_save(rows=changed, period=PERIOD, by=filer).updated == 15
    assert set(MonthlyReport.objects.values_list("investment_ytd", flat=True)) == {Decimal(7)}
    assert ProgressEvent.objects.count() == 30


# --- concurrency ------------------------------------------------------------------------------


def race(people, project, then_submit: bool) -> dict:
    """Two threads save (and then submit) the same project's form for PERIOD at once."""
    barrier = threading.Barrier(2)
    found = {"saved": [], "submitted": 0, "refused": [], "errors": []}

    def call(amount):
        try:
            barrier.wait(timeout=10)
            report, outcome = save(
                project,
                people["county_filer"],
                investment_this_month=amount,
                physical_progress="主体施工",
            )
            found["saved"].append(outcome)
            if then_submit:
                services.report_submit(report=report, by=people["county_filer"])
                found["submitted"] += 1
        except DomainError as error:  # the loser of a race is told why, in Chinese
            found["refused"].append(error.code)
        except Exception as error:  # pragma: no cover - e.g. a deadlock, reported below
            found["errors"].append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(amount,)) for amount in ("10", "20")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return found


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_make_one_form(transactional_db, people):
    project = at_stage(people)
    found = race(people, project, then_submit=False)
    assert found["errors"] == [] and found["refused"] == []
    assert sorted(found["saved"]) == ["created", "updated"]
    report = MonthlyReport.objects.get(project=project, period=PERIOD)
    assert report.investment_ytd == report.investment_this_month
    assert report.events.filter(action="create").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_make_one_form_and_no_deadlock(transactional_db, people):
    # Submitting locks the form; saving locks the project then the form. Both must take the
    # locks in the same order, or the database kills one of them as a deadlock (a 500 for the
    # filer). A race does not always interleave badly, so it is run a few times.
    for _round in range(6):
        project = at_stage(people)
        found = race(people, project, then_submit=True)
        assert found["errors"] == []
        assert found["saved"].count("created") == 1
        assert found["submitted"] == 1 and len(found["refused"]) == 1
        assert found["refused"][0] in ("report_locked", "invalid_transition")
        report = MonthlyReport.objects.get(project=project, period=PERIOD)
        assert report.status == ReportStatus.SUBMITTED
        assert report.events.filter(action="submit").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sheets_of_the_same_month_make_one_form_each(transactional_db, people):
    projects = [at_stage(people) for _n in range(20)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def call(amount):
        try:
            barrier.wait(timeout=10)
            rows = {p.pk: {**FILLED, "investment_this_month": amount} for p in projects}
            results.append(services.sheet_save(rows=rows, period=PERIOD, by=people["county_filer"]))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(amount,)) for amount in ("10", "20")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted((r.created, r.updated) for r in results) == [(0, 20), (20, 0)]
    assert MonthlyReport.objects.filter(period=PERIOD).count() == 20
    assert len(set(MonthlyReport.objects.values_list("investment_this_month", flat=True))) == 1


# --- filing status and reminders --------------------------------------------------------------


@pytest.fixture
def month(people):
    """江阴: three active projects (one submitted, one approved, one draft); 宜兴: one active,
    none filed; 沭阳: one active, filed; plus a 江阴 project in planning (not counted)."""
    filer = people["county_filer"]
    jiangyin = [at_stage(people) for _ in range(3)]
    at_stage(people, Stage.PLANNING)
    yixing = at_stage(people, region="320282")
    shuyang = at_stage(people, region="321322")
    submitted(people, jiangyin[0])
    approved(people, jiangyin[1])
    save(jiangyin[2], filer, **FILLED)
    report, _ = save(shuyang, people["county_filer2"], **FILLED)
    services.report_submit(report=report, by=people["county_filer2"])
    return {"jiangyin": jiangyin, "yixing": yixing, "shuyang": shuyang}


def test_filing_status_per_county_in_scope(people, month, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        rows = selectors.filing_status(people["province_office"], PERIOD)
    by_region = {row.region.code: row for row in rows}
    assert set(by_region) == {"320281", "320282", "321322"}
    jiangyin = by_region["320281"]
    assert (jiangyin.active, jiangyin.draft, jiangyin.submitted, jiangyin.approved) == (3, 1, 1, 1)
    assert (jiangyin.filed, jiangyin.missing) == (2, 1)
    assert (by_region["320282"].filed, by_region["320282"].missing) == (0, 1)
    assert [row.region.code for row in selectors.filing_status(people["city_office"], PERIOD)] == [
        "320281",
        "320282",
    ]
    assert [r.region.code for r in selectors.filing_status(people["county_filer"], PERIOD)] == [
        "320281"
    ]
    missing = selectors.missing_projects(people["city_office"], PERIOD)
    assert set(missing) == {month["jiangyin"][2], month["yixing"]}


@override_settings(PROGRESS_REMIND_DAYS=[15, 20])
def test_reminders_on_reminder_days_only_once_per_county(people, month):
    assert remind_filers(datetime.date(2026, 11, 16)) == 0
    assert not FilingReminder.objects.exists()
    assert remind_filers(datetime.date(2026, 11, 15)) == 2
    reminders = {r.region_id: r for r in FilingReminder.objects.all()}
    assert set(reminders) == {"320281", "320282"}  # 沭阳 filed everything
    assert (reminders["320281"].missing, reminders["320281"].deadline) == (
        1,
        datetime.date(2026, 11, 20),
    )
    assert reminders["320281"].period == PERIOD
    assert remind_filers(datetime.date(2026, 11, 15)) == 0
    assert FilingReminder.objects.count() == 2
    assert [r.region_id for r in selectors.reminders_for(people["county_filer"], PERIOD)] == [
        "320281"
    ]
    assert not selectors.reminders_for(people["county_filer2"], PERIOD).exists()


def test_the_reminder_job_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["remind-progress-filers"]
    assert entry["task"] == "progress.tasks.remind_filers"
    assert entry["schedule"].hour == {9} and entry["schedule"].minute == {0}


def test_the_reminder_task_replays_a_given_day(people, month):
    from progress.tasks import remind_filers

    with override_settings(PROGRESS_REMIND_DAYS=[18]):
        assert remind_filers("2026-11-18") == 2
        assert remind_filers("2026-11-18") == 0


# --- approved months are history ------------------------------------------------------------


def test_only_approved_months_reach_the_project_and_in_order(people, project):
    january = save(project, people["county_filer"], "2026-01", **FILLED)[0]  # left a draft
    february = submitted(people, project, "2026-02", investment_this_month="50")
    with pytest.raises(DomainError) as refused:
        services.report_approve(report=february, by=people["city_office"])
    assert refused.value.code == "earlier_month_pending"
    assert refused.value.messages[0] == (
        "请先审核通过2026年1月的月报（该月目前为“草稿”），再审核2026年2月的月报。"
    )
    assert refused.value.period == "2026-01"
    february.refresh_from_db()
    assert february.status == ReportStatus.SUBMITTED

    services.report_submit(report=january, by=people["county_filer"])
    services.report_approve(report=january, by=people["city_office"])
    services.report_approve(report=february, by=people["city_office"])
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("150")


def test_a_month_before_an_approved_month_is_history(people, project):
    approved(people, project, "2026-03")
    for period in ("2026-01", "2026-02"):
        with pytest.raises(DomainError) as refused:
            save(project, people["county_filer"], period, **FILLED)
        assert refused.value.code == "later_month_approved"
        assert "2026-03" in refused.value.messages[0]
    assert not MonthlyReport.objects.filter(period__in=["2026-01", "2026-02"]).exists()
    with pytest.raises(services.SheetErrors):
        services.sheet_save(rows={project.pk: FILLED}, period="2026-02", by=people["county_filer"])
    assert save(project, people["county_filer"], "2026-04", **FILLED)[1] == "created"


def test_reopening_goes_from_the_latest_month_and_takes_the_figure_back(people, project):
    march = approved(people, project, "2026-03", investment_this_month="30")
    april = approved(people, project, "2026-04", investment_this_month="40")
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("70")
    with pytest.raises(DomainError) as refused:
        services.report_reopen(report=march, by=people["city_office"], reason="数据有误")
    assert refused.value.code == "later_month_approved"
    services.report_reopen(report=april, by=people["city_office"], reason="数据有误")
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("30")
    services.report_reopen(report=march, by=people["city_office"], reason="数据有误")
    report, outcome = save(project, people["county_filer"], "2026-03", investment_this_month="35")
    assert outcome == "updated" and report.investment_this_month == Decimal("35")


# --- reviewing months in order -----------------------------------------------------------------


def test_approve_is_not_offered_while_an_earlier_month_waits(people, project):
    """The page and the API offer 审核通过 from the same check that refuses it."""
    city = people["city_office"]
    october = submitted(people, project, "2026-10")
    november = submitted(people, project, "2026-11")
    assert services.allowed_actions(november, city) == ["return"]
    loaded = MonthlyReport.objects.with_earlier_pending().get(pk=november.pk)
    (allowed, blocked) = services.review_steps([loaded], city)[november.pk]
    assert allowed == ["return"] and blocked.period == "2026-10"
    assert blocked.messages[0] == (
        "请先审核通过2026年10月的月报（该月目前为“已报送”），再审核2026年11月的月报。"
    )
    services.report_approve(report=october, by=city)
    assert services.allowed_actions(november, city) == ["approve", "return"]
    loaded = MonthlyReport.objects.with_earlier_pending().get(pk=november.pk)
    assert services.review_steps([loaded], city)[november.pk] == (["approve", "return"], None)


def test_an_earlier_month_of_another_year_does_not_hold_back(people, project):
    save(project, people["county_filer"], "2025-12", **FILLED)  # a draft, last year
    january = submitted(people, project, "2026-01")
    assert "approve" in services.allowed_actions(january, people["city_office"])
    assert services.report_approve(report=january, by=people["city_office"]).status == (
        ReportStatus.APPROVED
    )


def test_approve_all_goes_month_by_month_and_skips_what_it_cannot(people):
    city, filer = people["city_office"], people["county_filer"]
    both = at_stage(people, name="十月十一月都已报送", total_investment=Decimal("1000"))
    draft_before = at_stage(people, name="十月还是草稿", total_investment=Decimal("1000"))
    alone = at_stage(people, name="只有十一月", total_investment=Decimal("1000"))
    own = at_stage(people, name="审核人自己报送", total_investment=Decimal("1000"))
    elsewhere = at_stage(people, region="320282", name="宜兴项目", total_investment=1000)
    october = submitted(people, both, "2026-10", investment_this_month="30")
    submitted(people, both, "2026-11", investment_this_month="40")
    save(draft_before, filer, "2026-10", **FILLED)
    held = submitted(people, draft_before, "2026-11")
    submitted(people, alone, "2026-11")
    mine, _ = save(own, city, **FILLED)
    mine = services.report_submit(report=mine, by=city)
    for period in ("2026-10", "2026-11"):  # another county's: not on this sheet
        other, _ = save(elsewhere, people["province_office"], period, **FILLED)
        services.report_submit(report=other, by=people["province_office"])

    jiangyin = both.region
    done = services.month_approve(region=jiangyin, period=PERIOD, by=city)

    assert [(r.project.name, r.period) for r in done.approved] == [
        ("十月十一月都已报送", "2026-10"),  # October first: November needs it
        ("十月十一月都已报送", "2026-11"),
        ("只有十一月", "2026-11"),
    ]
    reasons = {r.project.name: (r.period, e.code, e.messages[0]) for r, e in done.skipped}
    assert reasons == {
        "十月还是草稿": (
            "2026-11",
            "earlier_month_pending",
            "请先审核通过2026年10月的月报（该月目前为“草稿”），再审核2026年11月的月报。",
        ),
        "审核人自己报送": ("2026-11", "own_report", "不能审核本人报送的进展。"),
    }
    status = dict(MonthlyReport.objects.values_list("pk", "status"))
    assert status[october.pk] == status[done.approved[1].pk] == ReportStatus.APPROVED
    assert status[held.pk] == status[mine.pk] == ReportStatus.SUBMITTED
    assert set(
        MonthlyReport.objects.filter(project=elsewhere).values_list("status", flat=True)
    ) == {ReportStatus.SUBMITTED}
    both.refresh_from_db()
    assert both.completed_investment_year == Decimal("70")


def test_approve_all_keeps_what_was_approved_when_a_later_form_fails(people, monkeypatch):
    """Each form is approved in its own transaction: a failure on one leaves the others."""
    city = people["city_office"]
    first = at_stage(people, name="先审核", total_investment=Decimal("1000"))
    second = at_stage(people, name="后审核", total_investment=Decimal("1000"))
    submitted(people, first, PERIOD)
    broken = submitted(people, second, PERIOD)
    real = services.steps._follow_investment

    def fail_on_second(report, by):
        real(report, by)
        if report.pk == broken.pk:
            raise DomainError("模拟的故障。", code="broken")

    monkeypatch.setattr(services.steps, "_follow_investment", fail_on_second)
    done = services.month_approve(region=first.region, period=PERIOD, by=city)
    assert [r.project.name for r in done.approved] == ["先审核"]
    skipped = [(r.project.name, e.messages[0]) for r, e in done.skipped]
    assert skipped == [("后审核", "模拟的故障。")]
    broken.refresh_from_db()
    assert broken.status == ReportStatus.SUBMITTED  # its approval rolled back whole
    assert not broken.events.filter(action=ProgressAction.APPROVE).exists()
    second.refresh_from_db()
    assert second.completed_investment_year == 0


# --- the month being filed ---------------------------------------------------------------------


def test_the_month_being_filed_is_last_month_until_its_deadline(people, project):
    filer, province = people["county_filer"], people["province_office"]
    with clock_at(datetime.date(2026, 12, 6)):
        # November's form is missing: November is still being filed
        assert selectors.filing_period(filer) == "2026-11"
        november = submitted(people, project, "2026-11")
        assert selectors.filing_period(filer) == "2026-11"  # submitted, not yet approved
        assert selectors.filing_period(province) == "2026-11"
    with clock_at(datetime.date(2026, 12, 20)):  # the deadline day itself
        assert selectors.filing_period(filer) == "2026-11"
    with clock_at(datetime.date(2026, 12, 21)):  # past December's deadline
        assert selectors.filing_period(filer) == "2026-12"
    with clock_at(datetime.date(2026, 12, 6)):
        services.report_approve(report=november, by=people["city_office"])
        assert selectors.filing_period(filer) == "2026-12"  # November all approved
        # another county's missing form is not in this filer's scope, but the province's
        other = at_stage(people, region="320282", name="宜兴项目")
        assert selectors.filing_period(filer) == "2026-12"
        assert selectors.filing_period(province) == "2026-11"
        jiangyin = project.region
        assert selectors.filing_period(province, region=jiangyin) == "2026-12"
        assert selectors.filing_period(province, region=other.region) == "2026-11"


def test_the_month_being_filed_in_january_is_last_december(people, project):
    with clock_at(datetime.date(2027, 1, 5)):
        assert selectors.filing_period(people["county_filer"]) == "2026-12"
