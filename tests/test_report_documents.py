"""The documents of issue 8 other than the briefing: the weekly meeting agenda (SPEC §6), the
monthly special report (推进专报) and the completion handbook (完成情况手册, seed 001 二(三)).

Each is generated the way the worker does it (``report_request`` + ``report_run``) on a small
data set, and read back: the PDFs' text with pypdf, the handbook with openpyxl. Every figure
checked is the platform's own selector value printed with :mod:`reports.formatting`. PDF builds
take a second or two each, so there are few of them."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.utils import timezone

from accounts.models import Region
from approvals import services as approval_services
from approvals.models import ApprovalKind
from indicators.models import Indicator, Target
from indicators.selectors import indicators, indicators_by_region
from issues import services as issue_services
from issues.agenda import agenda
from issues.models import AgendaItem, Issue, Meeting
from progress import selectors as progress_selectors
from progress import services as progress_services
from progress.models import MonthlyReport, deadline_of
from projects import services as project_services
from projects.models import STAGE_DATE_FIELDS, Admission, Project, Stage, Tier
from reports import formatting
from reports.models import Kind, Status
from reports.reader import OfficeReader
from reports.services import report_request, report_run
from schedule import services as schedule_services
from schedule.models import ScheduleTemplate
from schedule.workdays import current_calendar

from . import factories
from .conftest import clock_at

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)  # a Monday; the week's meeting is on WEEKLY_MEETING_WEEKDAY
WEEK = "2026-W48"
MONTH = "2026-11"


@pytest.fixture(autouse=True)
def pinned(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WEEKLY_MEETING_WEEKDAY = 2
    with clock_at(TODAY):
        yield


MEETING_DAY = datetime.date(2026, 11, 24)


def generate(kind, period, by):
    report, queued = report_request(kind=kind, period=period, by=by)
    assert queued
    report = report_run(report.pk)
    assert report.status == Status.DONE, report.error
    return report


def content(report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def pdf_text(report) -> str:
    """The PDF's text with all white space removed (pypdf breaks lines and CJK runs at will)."""
    pages = pypdf.PdfReader(io.BytesIO(content(report))).pages
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in pages))


def positions(text: str, names) -> list[int]:
    found = [text.find(name) for name in names]
    assert -1 not in found, dict(zip(names, found, strict=True))
    return found


# --- the weekly meeting agenda ------------------------------------------------------------------


def report_issue(by, project, title):
    return issue_services.issue_report(by=by, project=project, title=title, category="land_sea")


def under_review(by, project, code, workdays_ago):
    """An approval accepted ``workdays_ago`` working days before today, still in review."""
    calendar = current_calendar()
    accepted_on = calendar.add_workdays(calendar.previous_workday(TODAY), -workdays_ago)
    approval = approval_services.approval_create(
        by=by, project=project, kind=ApprovalKind.objects.get(code=code)
    )
    for status in ("submitted", "accepted"):
        approval = approval_services.approval_transition(
            approval=approval, by=by, status=status, date=accepted_on
        )
    return approval_services.approval_transition(approval=approval, by=by, status="under_review")


@pytest.fixture
def meeting_world(people, library):
    """Provincial and "两重" projects with issues (heard one by one); 南京, 无锡 and 宿迁
    projects with issues, one overdue, a 宜兴 project whose start is at risk and a 南京
    approval past its promise (heard in batches per city)."""
    f = factories
    by = people["province_office"]
    projects = {
        **library,
        "provincial": f.project(
            "320281", by=by, tier=Tier.PROVINCIAL_IMPLEMENTATION, name="江阴省重大实施项目"
        ),
        "two_major": f.project(
            "321322", by=by, tier=Tier.CITY, two_major=True, name="沭阳两重项目"
        ),
        "yixing_risky": f.project("320282", by=by, tier=Tier.COUNTY, name="宜兴开工风险项目"),
    }
    filer, filer2, county_office = (
        people["county_filer"],
        people["county_filer2"],
        people["county_office"],
    )
    department = f.unit("江阴市自然资源和规划局", "320281", "department")
    overdue = report_issue(filer, projects["jiangyin_other"], "用地指标不足")
    issue_services.issue_accept(issue=overdue, by=county_office)
    issue_services.issue_assign(
        issue=overdue,
        by=county_office,
        unit=department,
        responsible_leader="王副市长",
        responsible_person="李科长",
        solution="并联办理，专人跟进",
        deadline=TODAY + datetime.timedelta(days=5),
    )
    Issue.objects.filter(pk=overdue.pk).update(deadline=TODAY - datetime.timedelta(days=3))
    report_issue(filer, projects["jiangyin_other"], "施工用电接入待协调")
    report_issue(filer, projects["provincial"], "省重大项目能耗指标缺口")
    report_issue(filer2, projects["two_major"], "两重项目资金拨付慢")
    report_issue(people["province_office"], projects["yixing"], "宜兴项目林地审核")
    report_issue(filer2, projects["shuyang"], "沭阳项目征地拆迁")
    report_issue(people["province_office"], projects["nanjing"], "南京项目管线迁改")
    under_review(by, projects["nanjing"], "land", 25)  # promise: 20 working days
    project_services.project_update(
        project=projects["yixing_risky"], by=by, planned_start=TODAY + datetime.timedelta(days=100)
    )
    schedule_services.apply_template(
        project=projects["yixing_risky"],
        template=ScheduleTemplate.objects.get(category="industrial"),
        by=by,
    )
    return {**people, "projects": projects}


def test_the_weekly_meeting_is_reused_or_made_without_a_user(meeting_world):
    province = Region.objects.get(code="320000")
    staff = issue_services.meeting_create(
        by=meeting_world["province_office"], date=MEETING_DAY, title="第48周重大项目碰头会"
    )
    assert issue_services.meeting_for_week(region=province, date=MEETING_DAY) == staff
    assert Meeting.objects.count() == 1

    # No meeting yet for the city that day: one is made like meeting_create makes it.
    wuxi = Region.objects.get(code="320200")
    made = issue_services.meeting_for_week(region=wuxi, date=MEETING_DAY)
    assert made.created_by is None and made.region == wuxi
    assert made.title == "无锡市重大项目周碰头会（2026-11-24）"
    assert issue_services.meeting_for_week(region=wuxi, date=MEETING_DAY) == made
    by_hand = issue_services.meeting_create(by=meeting_world["city_office"], date=MEETING_DAY)

    def items(meeting):
        return [
            (
                i.position,
                i.mode,
                i.batch_region_id,
                i.project_id,
                sorted(i.issues.values_list("pk", flat=True)),
            )
            for i in meeting.items.order_by("position")
        ]

    assert items(made) == items(by_hand) and items(made)
    # Several meetings that day: the latest is the week's.
    assert issue_services.meeting_for_week(region=wuxi, date=MEETING_DAY) == by_hand


def test_the_agenda_pdf_prints_a_provincial_project_with_nothing_open_in_one_line(
    meeting_world,
):
    """Every provincial major and "两重" project is heard at every meeting (seed 000, measure
    4): one with nothing open is printed after the others heard one by one, in one line."""
    quiet = factories.project(
        "320282",
        by=meeting_world["province_office"],
        tier=Tier.PROVINCIAL_RESERVE,
        name="宜兴省重大储备平稳项目",
    )
    report = generate(Kind.WEEKLY_AGENDA, WEEK, meeting_world["province_office"])
    data = agenda(Meeting.objects.get(), today=TODAY)
    assert [e.project.name for e in data.one_by_one][-1] == quiet.name
    assert data.quiet_count == 1

    text = pdf_text(report)
    assert "逐个过堂的项目中1个无未办结事项，各列一行状态。" in text
    line = text[text.find(quiet.name) : text.find("二、逐批过堂")]
    assert "当前阶段：谋划。无未办结问题、风险节点和超期审批。" in line
    assert "会商意见" not in line


def test_the_agenda_pdf_hears_projects_one_by_one_then_in_batches_per_city(meeting_world):
    p = meeting_world["projects"]
    report = generate(Kind.WEEKLY_AGENDA, WEEK, meeting_world["province_office"])
    assert report.file.name.endswith(".pdf") and report.page_count >= 1
    meeting = Meeting.objects.get()
    assert meeting.date == MEETING_DAY and meeting.region_id == "320000"
    assert meeting.created_by is None
    data = agenda(meeting, today=TODAY)
    assert [e.project for e in data.one_by_one] == [p["provincial"], p["two_major"]]
    assert [b.label for b in data.batches] == ["南京市", "无锡市", "宿迁市"]

    text = pdf_text(report)
    assert "周碰头会议程" in text and f"2026年第{report.number}期" in text
    assert meeting.title in text and "2026年第48周会议时间：2026年11月24日（星期二）" in text
    summary = (
        f"本次会议共研究项目{data.project_count}个，其中逐个过堂{len(data.one_by_one)}个、"
        f"逐批过堂{data.batched_count}个（分{len(data.batches)}批）。"
        f"涉及未办结问题{data.open_issue_count}个，其中逾期{data.overdue_issue_count}个；"
        f"开工有风险项目{data.at_risk_count}个；"
        f"超过承诺时限的审批事项{data.overdue_approval_count}项。"
    )
    assert summary in text
    assert (data.overdue_issue_count, data.at_risk_count, data.overdue_approval_count) == (1, 1, 1)

    # 逐个过堂 first, in the agenda's order; then 逐批过堂, each city's projects under its heading.
    order = positions(
        text,
        [
            "一、逐个过堂",
            "江阴省重大实施项目",
            "沭阳两重项目",
            "二、逐批过堂",
            "南京市（1个项目）",
            "南京玄武项目",
            "无锡市（3个项目）",
            "江阴其他企业项目",
            "宜兴项目",
            "宜兴开工风险项目",
            "宿迁市（1个项目）",
            "沭阳项目",
        ],
    )
    assert order == sorted(order)
    # Each project's own matters are printed under it: the overdue issue first, the approval.
    jiangyin = text[text.find("江阴其他企业项目") : text.find("宜兴项目")]
    assert jiangyin.find("用地指标不足") < jiangyin.find("施工用电接入待协调")
    assert "逾期3天" in jiangyin
    nanjing = text[text.find("南京玄武项目") : text.find("无锡市（3个项目）")]
    assert "超过承诺时限的审批事项" in nanjing and "1项审批超期" in nanjing
    risky = text[text.find("宜兴开工风险项目") : text.find("宿迁市（1个项目）")]
    assert "风险节点（总时差为负）" in risky and "开工有风险" in risky

    assert "参会单位" not in text

    # Generating the week's agenda again makes no second meeting; the units staff invited
    # since are the distribution (版记).
    department = factories.unit("江阴市自然资源和规划局", "320281", "department")
    meeting.attending_units.set([department, factories.office("320200")])
    again, queued = report_request(
        kind=Kind.WEEKLY_AGENDA, period=WEEK, by=meeting_world["province_office"]
    )
    assert queued and again.pk == report.pk
    again = report_run(again.pk)
    assert again.status == Status.DONE
    assert Meeting.objects.count() == 1
    assert "参会单位：无锡市重大项目办、江阴市自然资源和规划局" in pdf_text(again)
    assert AgendaItem.objects.filter(meeting=meeting).count() == data.project_count


# --- the monthly special report (推进专报) ------------------------------------------------------

REACHED = {
    Stage.SIGNED: datetime.date(2026, 1, 10),
    Stage.FILED: datetime.date(2026, 2, 10),
    Stage.STARTED: datetime.date(2026, 3, 10),
    Stage.COMPLETED: datetime.date(2026, 6, 10),
}


def at_stage(people, region, stage=Stage.STARTED, **extra):
    dates = {
        STAGE_DATE_FIELDS[s]: day
        for s, day in REACHED.items()
        if Stage.order(s) <= Stage.order(stage)
    }
    fields = {"stage": stage, "admission": Admission.ADMITTED, **dates, **extra}
    project = factories.project(region, by=people["province_office"], **fields)
    if project.admission != Admission.ADMITTED:
        Project.objects.filter(pk=project.pk).update(admission=Admission.ADMITTED)
        project.refresh_from_db()
    return project


def filed(
    people, project, filer, investment, *, approve=True, submitted_on=datetime.date(2026, 11, 15)
):
    form, _outcome = progress_services.report_save(
        project=project,
        period=MONTH,
        by=filer,
        investment_this_month=investment,
        physical_progress="主体结构施工",
    )
    form = progress_services.report_submit(report=form, by=filer)
    MonthlyReport.objects.filter(pk=form.pk).update(
        submitted_at=timezone.make_aware(datetime.datetime.combine(submitted_on, datetime.time(10)))
    )
    if approve:
        form = progress_services.report_approve(report=form, by=people["province_office"])
    return form


@pytest.fixture
def month_world(people, library):
    """November in 无锡, 宿迁 and 南京: forms approved, submitted late, returned and missing;
    a project started and one completed in the month; a target 无锡 is behind."""
    filer, filer2 = people["county_filer"], people["county_filer2"]
    projects = {
        "jiangyin": at_stage(
            people, "320281", name="江阴在建项目", planned_investment_year=Decimal("1000")
        ),
        "yixing": at_stage(
            people, "320282", name="宜兴在建项目", planned_investment_year=Decimal("2000")
        ),
        "shuyang_new": at_stage(
            people,
            "321322",
            name="沭阳新开工项目",
            planned_investment_year=Decimal("4000"),
            total_investment=Decimal("123456"),
            started_on=datetime.date(2026, 11, 5),
        ),
        "shuyang_returned": at_stage(
            people, "321322", name="沭阳退回项目", planned_investment_year=Decimal("500")
        ),
        "nanjing_silent": at_stage(
            people, "320102", name="南京未报项目", planned_investment_year=Decimal("1000")
        ),
        "nanjing_done": at_stage(
            people,
            "320102",
            Stage.COMPLETED,
            name="南京竣工项目",
            completed_on=datetime.date(2026, 11, 10),
        ),
    }
    filed(people, projects["jiangyin"], filer, "300")
    late = deadline_of(MONTH) + datetime.timedelta(days=2)
    filed(
        people, projects["yixing"], people["city_office"], "500", approve=False, submitted_on=late
    )
    filed(people, projects["shuyang_new"], filer2, "1000")
    returned = filed(people, projects["shuyang_returned"], filer2, "50", approve=False)
    progress_services.report_return(
        report=returned, by=people["province_office"], comment="数据有误，请核实"
    )
    Target.objects.create(
        region_id="320200",
        year=2026,
        sub_period="M11",
        indicator=Indicator.WX_INVESTMENT,
        value=Decimal("50"),
    )
    return {**people, "projects": projects}


def section(text: str, start: str, end: str | None) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin) if end else None]


def test_the_special_report_prints_the_selectors_figures(month_world):
    report = generate(Kind.MONTHLY_SPECIAL, MONTH, month_world["province_office"])
    province = Region.objects.get(code="320000")
    reader = OfficeReader(province)
    scope = Project.objects.for_user(reader)
    text = pdf_text(report)
    assert "重大项目推进专报" in text and "江苏省重大项目推进情况（2026年11月）" in text

    # 一、本月调度情况: the filing status per county and the totals.
    filing = progress_selectors.filing_status(reader, MONTH, province)
    totals = {
        key: sum(getattr(row, key) for row in filing)
        for key in ("active", "filed", "approved", "returned", "late", "missing")
    }
    assert totals == {
        "active": 6,
        "filed": 3,
        "approved": 2,
        "returned": 1,
        "late": 1,
        "missing": 3,
    }
    part = section(text, "一、本月调度情况", "二、投资完成情况")
    rate = formatting.share(Decimal(totals["filed"]) / Decimal(totals["active"]))
    assert (
        f"纳入月度调度的重大项目{totals['active']}个，已报送{totals['filed']}个，报送率{rate}；"
        f"其中审核通过{totals['approved']}个，退回修改{totals['returned']}个，"
        f"逾期报送{totals['late']}个，未报送{totals['missing']}个。"
    ) in part
    rows = {row.region.name: row for row in filing}
    yixing = rows["宜兴市"]
    assert (
        f"宜兴市{yixing.active}{yixing.filed}{yixing.approved}{yixing.returned}{yixing.late}{yixing.missing}"
        in part
    )
    assert "合计" + "".join(formatting.count(totals[k]) for k in totals) in part

    # 二、投资完成情况: the province's rate and each city's, ranked.
    part = section(text, "二、投资完成情况", "三、本月新开工和竣工项目")
    total = next(
        f
        for f in indicators(province, 2026, "M11", queryset=scope)
        if f.indicator == Indicator.WX_INVESTMENT
    )
    assert (total.numerator, total.denominator) == (Decimal("1300"), Decimal("8500"))
    assert (
        f"1—11月，在建重大项目累计完成投资{formatting.yi(total.numerator)}亿元，"
        f"年度计划投资{formatting.yi(total.denominator)}亿元，"
        f"投资完成率{formatting.percent(total.value)}"
    ) in part
    cities = {
        child.name: next(f for f in figures if f.indicator == Indicator.WX_INVESTMENT)
        for child, figures in indicators_by_region(province, 2026, "M11", queryset=scope)
    }
    for rank, name in enumerate(["宿迁市", "无锡市", "南京市"], start=1):
        figure = cities[name]
        row = (
            f"{rank}{name}{formatting.money(figure.denominator)}{formatting.money(figure.numerator)}"
            f"{formatting.percent(figure.value)}{formatting.percent(figure.target)}"
        )
        assert row in part, row
    assert cities["无锡市"].lagging and formatting.percent(cities["无锡市"].value) == "10.00%"
    assert (
        f"合计{formatting.money(total.denominator)}{formatting.money(total.numerator)}"
        f"{formatting.percent(total.value)}"
    ) in part
    assert "1—11月各地区开工项目投资完成率" in part  # the chart's caption

    # 三、本月新开工和竣工项目
    part = section(text, "三、本月新开工和竣工项目", "四、未按时报送项目")
    assert f"（一）新开工项目1个，总投资{formatting.yi(Decimal('123456'))}亿元" in part
    assert "沭阳新开工项目" + formatting.money(Decimal("123456")) + "2026-11-05" in part
    assert "（二）竣工项目1个" in part and "南京竣工项目" in part and "江阴在建项目" not in part

    # 四、未按时报送项目: the projects without a form filed.
    part = section(text, "四、未按时报送项目", None)
    missing = list(progress_selectors.missing_projects(reader, MONTH, province))
    assert {p.name for p in missing} == {"沭阳退回项目", "南京未报项目", "南京竣工项目"}
    assert f"以下{len(missing)}个项目尚未报送本月进度" in part
    assert positions(part, [p.name for p in missing]) == sorted(
        positions(part, [p.name for p in missing])
    )
    assert "江阴在建项目" not in part


def test_the_special_report_of_a_city_is_bounded_by_its_region(month_world):
    """The 无锡 office's report, built directly (no PDF store): only 无锡's projects."""
    from reports.documents import special
    from reports.periods import parse_period

    report, _queued = report_request(
        kind=Kind.MONTHLY_SPECIAL, period=MONTH, by=month_world["city_office"]
    )
    steps = []
    built = special.build(
        report=report,
        reader=OfficeReader(Region.objects.get(code="320200")),
        period=parse_period(Kind.MONTHLY_SPECIAL, MONTH),
        today=TODAY,
        progress=lambda percent, step: steps.append(percent),
    )
    assert built.content.startswith(b"%PDF") and built.filename.endswith(".pdf")
    assert steps == sorted(steps) and steps[-1] >= 85
    text = re.sub(
        r"\s+",
        "",
        "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(built.content)).pages),
    )
    assert "江阴在建项目" not in text  # filed: listed nowhere
    assert "宜兴市" in text and "沭阳" not in text and "南京" not in text
    assert "本月无新开工项目。" in text and "本月无竣工项目。" in text
    assert "截至2026年11月23日，纳入调度的项目均已报送本月进度。" in text


# --- the completion handbook ------------------------------------------------------------------


def test_the_handbook_is_the_progress_workbook_of_the_office_region(month_world):
    report = generate(Kind.HANDBOOK, MONTH, month_world["city_office"])
    assert report.file.name.endswith(".xlsx") and report.page_count is None
    sheet = openpyxl.load_workbook(io.BytesIO(content(report))).active
    assert "完成情况手册" in sheet["A1"].value
    names = {row[3] for row in sheet.iter_rows(min_row=4, values_only=True) if row[3]}
    assert {"江阴在建项目", "宜兴在建项目"} <= names
    # 无锡's office: no 宿迁 or 南京 project, and no project that does not file.
    assert not names & {"沭阳新开工项目", "南京未报项目", "宜兴项目"}
