"""Quarterly 点评 and yearly 考核 (seed 004 "一季一点评、全年一考核", seed 001 部门考核): the
counties of 无锡 and the departments handling its projects, scored from the platform's own
figures with the office's weights, ranked, exported to .xlsx and printed in the briefing of a
quarter's last month only.

Hand-made, first half of 2026: 江阴 started both projects planned for the year (target 80%:
full marks) and resolved its ticket on time; 宜兴 started one of two (50% of 80%: 62.50) and
resolved its ticket late (0). 自然资源厅 decided two approvals, one within its promise (50%).
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from approvals import services as approval_services
from approvals.models import ApprovalKind
from indicators import evaluation
from indicators.models import EvaluationWeight, Target
from issues.models import Issue
from projects.models import Stage

from . import factories
from .conftest import clock_at

D = datetime.date
TODAY = D(2026, 7, 15)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield


def at(day):
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI)


@pytest.fixture
def world(people):
    by = people["province_office"]
    made = {}
    for name, county, started in (
        ("江阴甲", "320281", D(2026, 3, 1)),
        ("江阴乙", "320281", D(2026, 5, 1)),
        ("宜兴甲", "320282", D(2026, 4, 1)),
        ("宜兴乙", "320282", None),
    ):
        made[name] = factories.project(
            county,
            by=by,
            name=name,
            planned_start=D(2026, 4, 1),
            stage=Stage.STARTED if started else Stage.FILED,
            filed_on=D(2026, 1, 10),
            started_on=started,
        )
    for county in ("320281", "320282"):
        Target.objects.create(
            region_id=county, year=2026, indicator="new_start_rate", sub_period="H1", value=80
        )
    department = people["liaison"].unit
    for name, county, resolved in (
        ("江阴甲", "320281", D(2026, 5, 8)),
        ("宜兴甲", "320282", D(2026, 5, 20)),
    ):
        Issue.objects.create(
            project=made[name],
            region_id=county,
            title="用地指标缺口",
            category="land_sea",
            source="county",
            level="county",
            status="resolved",
            unit=department,
            responsible_leader="王厅长",
            responsible_person="李处长",
            solution="调剂用地指标",
            deadline=D(2026, 5, 10),
            reported_at=at(D(2026, 4, 1)),
            resolved_at=at(resolved),
        )
    land = ApprovalKind.objects.get(code="land")
    for name, accepted, decided in (
        ("江阴甲", D(2026, 3, 2), D(2026, 3, 3)),  # within the promise
        ("宜兴甲", D(2026, 1, 5), D(2026, 6, 30)),  # long after it
    ):
        item = approval_services.approval_create(by=by, project=made[name], kind=land)
        for status, day in (("submitted", accepted), ("accepted", accepted), ("approved", decided)):
            item = approval_services.approval_transition(
                approval=item, by=by, status=status, date=day, document_no="锡自然资批〔2026〕1号"
            )
        item.refresh_from_db()
        if item.unit_id != department.pk:
            type(item).objects.filter(pk=item.pk).update(unit=department)
    return made


def wuxi():
    from accounts.models import Region

    return Region.objects.get(code="320200")


def row_of(table, code):
    return next(r for r in table.rows if getattr(r.subject, "code", None) == code)


def test_counties_are_scored_and_ranked_with_the_default_weights(world, people):
    table = evaluation.regions_table(people["city_office"], wuxi(), 2026, "H1", TODAY)
    jiangyin, yixing = row_of(table, "320281"), row_of(table, "320282")
    scores = {s.criterion.code: s for s in jiangyin.scores}
    assert scores["new_start_rate"].value == Decimal("100.00")
    assert scores["new_start_rate"].score == Decimal("100.00")
    assert scores["issues"].score == Decimal("100.00")
    assert scores["signed"].score is None  # a count without a target is not scored
    yx = {s.criterion.code: s for s in yixing.scores}
    assert yx["new_start_rate"].score == Decimal("62.50")  # 50% of the 80% target
    assert yx["issues"].score == Decimal("0.00")  # resolved after its deadline
    # the weights of the scored criteria only: new starts 30, tickets 15
    assert jiangyin.total == Decimal("100.00")
    assert yixing.total == Decimal("41.67")  # (30 × 62.5 + 15 × 0) / 45
    assert (jiangyin.rank, yixing.rank) == (1, 2)
    # counties with nothing to score are listed last, without a rank
    assert all(r.rank is None for r in table.rows[2:])
    assert table.title == "2026年二季度（上半年）点评"


def test_departments_are_scored_on_approvals_and_tickets(world, people):
    table = evaluation.departments_table(people["city_office"], wuxi(), 2026, "H1", TODAY)
    [row] = table.rows
    assert row.subject == people["liaison"].unit
    approvals, tickets = row.scores
    assert approvals.value == Decimal("50.00") and tickets.value == Decimal("50.00")
    assert row.total == Decimal("50.00") and row.rank == 1


def test_the_office_sets_its_weights_all_or_nothing(world, people, client):
    client.force_login(people["city_office"])
    page = reverse("indicators:evaluation") + "?period=H1&year=2026"
    weights = {"subject": "region", "new_start_rate": "10", "investment": "0", "signed": "0"}
    refused = client.post(page, {**weights, "production": "0", "issues": "abc"}, follow=True)
    assert "“问题办结”的权重应为0到100之间的整数" in refused.content.decode()
    assert not EvaluationWeight.objects.exists()
    zero = client.post(
        page, {**weights, "new_start_rate": "0", "production": "0", "issues": "0"}, follow=True
    )
    assert "权重不能全部为0" in zero.content.decode()

    client.post(page, {**weights, "production": "0", "issues": "30"})
    assert EvaluationWeight.objects.filter(region_id="320200", year=2026).count() == 5
    table = evaluation.regions_table(people["city_office"], wuxi(), 2026, "H1", TODAY)
    assert row_of(table, "320282").total == Decimal(
        "15.63"
    )  # (10 × 62.5 + 30 × 0) / 40, rounded half up
    html = client.get(page).content.decode()
    assert "宜兴市" in html and "15.63" in html and 'name="issues" value="30"' in html

    # a county office reads its own table but cannot set the city's weights
    client.force_login(people["county_office"])
    assert client.get(page + "&region=320200").status_code == 404
    assert client.post(page + "&region=320200", weights).status_code == 404
    client.force_login(people["county_filer"])
    assert client.get(reverse("indicators:evaluation")).status_code == 200
    assert client.post(reverse("indicators:evaluation"), weights).status_code == 404
    client.force_login(people["liaison"])
    assert client.get(reverse("indicators:evaluation")).status_code == 404


def test_the_tables_export_to_xlsx(world, people, client):
    client.force_login(people["city_office"])
    url = reverse("indicators:evaluation-export")
    response = client.get(url, {"year": 2026, "period": "H1", "subject": "region"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("排名", "地区") and rows[0][-1] == "总分"
    assert rows[1][:2] == (1, "江阴市") and rows[1][-1] == 100
    assert rows[2][:2] == (2, "宜兴市") and float(rows[2][-1]) == pytest.approx(41.67)
    departments = client.get(url, {"year": 2026, "period": "H1", "subject": "department"})
    assert load_workbook(io.BytesIO(departments.content)).active["B2"].value == "省自然资源厅"
    assert client.get(url, {"subject": "nobody"}).status_code == 404


def test_the_briefing_carries_the_table_in_a_quarters_last_month_only(world, people):
    from reports.reader import OfficeReader

    reader = OfficeReader(wuxi())
    june = evaluation.for_briefing(reader, 2026, 6, TODAY)
    assert june.regions.title == "2026年二季度（上半年）点评"
    assert row_of(june.regions, "320281").rank == 1
    assert evaluation.for_briefing(reader, 2026, 5, TODAY) is None
    assert evaluation.for_briefing(reader, 2026, 12, TODAY).regions.title == "2026年年度考核"


def test_the_june_briefing_prints_the_half_years_table(world, people):
    from reports import services
    from reports.models import Kind, Status

    from .test_report_briefing import flat, pdf_text

    report, _queued = services.report_request(
        kind=Kind.BRIEFING, period="2026-06", by=people["city_office"]
    )
    report = services.report_run(report.pk)
    assert report.status == Status.DONE, report.error
    body = flat(pdf_text(report))
    section = body[body.index("九、2026年二季度（上半年）点评") :]
    assert "（一）下辖地区" in section and "（二）职能部门" in section
    # 江阴 first with full marks, 宜兴 second
    assert section.index("江阴市") < section.index("宜兴市")
    assert "1江阴市100.00" in section and "省自然资源厅" in section


def test_a_ticket_sent_back_is_not_resolved_on_time(world, people):
    Issue.objects.filter(region_id="320281").update(status="in_progress")
    table = evaluation.regions_table(people["city_office"], wuxi(), 2026, "H1", TODAY)
    tickets = next(s for s in row_of(table, "320281").scores if s.criterion.code == "issues")
    assert tickets.value == Decimal("0.00")


def test_without_a_target_of_its_own_a_period_is_judged_against_the_years(world, people):
    Target.objects.filter(region_id="320282").delete()
    Target.objects.create(region_id="320282", year=2026, indicator="new_start_rate", value=100)
    Target.objects.create(region_id="320281", year=2026, indicator="ha_signed", value=8)
    factories.project(
        "320281",
        by=people["province_office"],
        name="江阴新签约",
        total_investment=Decimal(20000),
        stage=Stage.SIGNED,
        signed_on=D(2026, 3, 1),
        planned_start=D(2027, 3, 1),
    )
    table = evaluation.regions_table(people["city_office"], wuxi(), 2026, "H1", TODAY)
    yixing = {s.criterion.code: s for s in row_of(table, "320282").scores}
    assert yixing["new_start_rate"].target == 100  # the year's rate, as it stands
    assert yixing["new_start_rate"].score == Decimal("50.00")
    signed = next(s for s in row_of(table, "320281").scores if s.criterion.code == "signed")
    # half the year's 8 signings by the end of June: 1 of 4
    assert (signed.value, signed.target, signed.score) == (1, 4, Decimal("25.00"))
