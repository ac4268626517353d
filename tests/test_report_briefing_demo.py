"""The monthly briefing and the other documents built from the whole demo data set, on the demo
day — the briefing and the agenda as seed_demo publishes them: every sampled figure is the
selectors' own, printed the documented way, in the shipped fonts. (The demo data stays for the
whole module: only tests that use it belong here.)"""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Region
from approvals.models import Approval
from approvals.selectors import performance
from funding.selectors import channel_summary
from indicators.models import Indicator
from indicators.selectors import indicators, indicators_by_region
from issues.models import Issue, Notice
from issues.selectors import resolution_totals
from projects.models import Project
from reports import formatting, services
from reports.models import Kind, Report, Status
from reports.periods import month_of
from reports.reader import OfficeReader

from .conftest import DEMO_DAY
from .test_report_briefing import embedded_fonts, flat, pdf_text


@pytest.mark.clock(DEMO_DAY)
@pytest.mark.django_db
def test_briefing_from_the_demo_data_equals_the_selectors(demo, notdef_warnings):
    today = timezone.localdate()
    province = Region.objects.get(code="320000")
    office = services.office_for(province)
    # the demo's own briefing for its month, generated and published by seed_demo (demo.reports)
    report = Report.objects.published().get(unit=office, kind=Kind.BRIEFING, period=month_of(today))
    assert report.number == 1 and report.status == Status.DONE
    assert report.page_count >= 5

    text = pdf_text(report)
    body = flat(text)
    for heading in (
        "重大项目工作简报",
        "2026年第1期",
        "省重大项目办",
        "一、总体情况",
        "二、投资完成情况",
        "三、问题办理情况",
        "四、通报和约谈情况",
        "五、要素保障审批情况",
        "六、资金保障情况",
        "七、滞后项目和地区",
        "图1各地开工项目投资完成率",
    ):
        assert flat(heading) in body, heading

    # every sampled figure is the selector's own, printed the documented way
    reader = OfficeReader(province)
    scoped = Project.objects.for_user(reader)
    window = f"M{today.month:02d}"
    figures = {f.indicator: f for f in indicators(province, today.year, window, scoped)}
    investment = figures[Indicator.WX_INVESTMENT]
    assert investment.numerator > 0
    for value in (
        formatting.money(investment.numerator),
        formatting.money(investment.denominator),
        formatting.percent(investment.value),
        formatting.yi(investment.numerator),
        formatting.percent(figures[Indicator.NEW_START_RATE].value),
        formatting.percent(figures[Indicator.HA_START].value),
    ):
        assert value in body, value
    wuxi = dict(indicators_by_region(province, today.year, window, scoped))[
        Region.objects.get(code="320200")
    ]
    wuxi_investment = next(f for f in wuxi if f.indicator == Indicator.WX_INVESTMENT)
    assert (
        flat(
            f"无锡市{formatting.money(wuxi_investment.denominator)}"
            f"{formatting.money(wuxi_investment.numerator)}{formatting.percent(wuxi_investment.value)}"
        )
        in body
    )

    start = today.replace(day=1)
    issues = resolution_totals(Issue.objects.for_user(reader), start, today, today)
    assert (
        flat(
            f"本月新受理困难问题{issues.new}个，办结{issues.resolved}个；"
            f"截至目前未办结{issues.open}个，其中逾期{issues.overdue}个"
        )
        in body
    )
    notices = Notice.objects.filter(issued_on__gte=start, issued_on__lte=today).count()
    if notices:
        assert flat(f"本月对逾期未办结问题通报{notices}次") in body

    rows = performance(Approval.objects.all(), today)
    busiest = max(rows, key=lambda row: row.count)
    assert flat(f"{busiest.kind_name}{busiest.count}{busiest.decided}{busiest.running}") in body
    channels = [row for row in channel_summary(reader, year=today.year, region=province)]
    assert channels
    for row in channels:
        assert (
            flat(
                f"{row.channel.name}{formatting.money(row.quota)}{formatting.money(row.allocated)}"
            )
            in body
        )

    assert_cjk_fonts_embedded(report)

    # the demo's published agenda of its meeting (Tuesday 24 November), and the other kinds
    agenda = Report.objects.published().get(unit=office, kind=Kind.WEEKLY_AGENDA)
    assert agenda.period == "2026-W48" and agenda.status == Status.DONE
    text = flat(pdf_text(agenda))
    for heading in ("周碰头会议程", "一、逐个过堂", "二、逐批过堂", "问题事项"):
        assert heading in text, heading
    assert text.index("一、逐个过堂") < text.index("二、逐批过堂")
    assert_cjk_fonts_embedded(agenda)

    special, _queued = services.report_request(
        kind=Kind.MONTHLY_SPECIAL, period="2026-11", unit=office
    )
    special = services.report_run(special.pk)
    assert special.status == Status.DONE, special.error
    text = flat(pdf_text(special))
    for heading in (
        "重大项目推进专报",
        "一、本月调度情况",
        "二、投资完成情况",
        "四、未按时报送项目",
    ):
        assert heading in text, heading
    assert_cjk_fonts_embedded(special)

    handbook, _queued = services.report_request(kind=Kind.HANDBOOK, period="2026-10", unit=office)
    handbook = services.report_run(handbook.pk)
    assert handbook.status == Status.DONE and handbook.file.name.endswith(".xlsx")
    with handbook.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).active
        names = {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    assert set(Project.objects.filter(stage="started").values_list("name", flat=True)[:20]) & names
    assert not notdef_warnings()


def assert_cjk_fonts_embedded(report):
    fonts = embedded_fonts(report)
    assert any("Noto-Serif-SC" in name or "NotoSerifSC" in name for name in fonts), fonts
    assert any("Sans-SC" in name or "SansSC" in name for name in fonts), fonts
    assert all(fonts.values()), "every font is embedded"
