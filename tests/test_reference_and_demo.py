"""Shipped reference data and the demo library."""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region, Role, Unit, User
from approvals.models import RUNNING_STATUSES, Approval
from funding.models import FinancingMatch, FundingRecord, Quota, ReitsProject
from issues.models import Meeting
from projects.models import Project, Tier
from reports.models import Kind, Report, Status
from reports.periods import parse_period
from schedule.models import Milestone, ProjectSchedule

from .conftest import DEMO_DAY


@pytest.mark.django_db
class TestReferenceData:
    def test_jiangsu_regions_are_complete(self):
        levels = Counter(Region.objects.values_list("level", flat=True))
        assert levels == {"province": 1, "city": 13, "county": 95}
        jiangyin = Region.objects.get(code="320281")
        assert (jiangyin.name, jiangyin.parent.name, jiangyin.parent.parent.code) == (
            "江阴市",
            "无锡市",
            "320000",
        )
        assert Region.objects.get(code="321322").name == "沭阳县"
        # Every county sits under the city its code says it does.
        for county in Region.objects.filter(level="county"):
            assert county.parent_id == county.code[:4] + "00"

    def test_below_uses_the_code_hierarchy(self):
        assert set(Region.objects.below("320200").values_list("code", flat=True)) == {
            "320200",
            "320205",
            "320206",
            "320211",
            "320213",
            "320214",
            "320281",
            "320282",
        }
        assert list(Region.objects.below("320281").values_list("code", flat=True)) == ["320281"]

    def test_departments_offices_and_roles(self):
        provincial = set(Unit.objects.filter(region_id="320000").values_list("name", flat=True))
        assert {
            "省重大项目办",
            "省发展改革委",
            "省自然资源厅",
            "省林业局",
            "省生态环境厅",
            "省水利厅",
            "省财政厅",
            "省委金融办",
            "省数据局",
        } <= provincial
        offices = Unit.objects.filter(kind=Unit.Kind.OFFICE).exclude(region_id="320000")
        assert offices.count() == 13 + 95
        assert set(Role.objects.values_list("code", flat=True)) == set(Role.Code.values)


@pytest.mark.clock(DEMO_DAY)
@pytest.mark.django_db
class TestSeedDemo:
    @pytest.fixture(autouse=True)
    def media(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path  # the demo's published documents

    @override_settings(DEBUG=True)
    def test_demo_library_is_plausible_and_idempotent(self, client):
        call_command("seed_demo", stdout=StringIO())
        documents = list(Report.objects.order_by("pk").values_list("pk", "file", "published_at"))
        snapshot = list(
            Project.objects.order_by("id").values_list("name", "code", "total_investment", "stage")
        )
        milestones = Milestone.objects.count()
        approvals = list(Approval.objects.order_by("pk").values_list("pk", "status", "updated_at"))
        funding = list(FundingRecord.objects.order_by("pk").values_list("pk", "updated_at"))
        progress = progress_snapshot()
        call_command("seed_demo", stdout=StringIO())
        assert progress_snapshot() == progress
        assert list(Report.objects.order_by("pk").values_list("pk", "file", "published_at")) == (
            documents
        )
        assert list(FundingRecord.objects.order_by("pk").values_list("pk", "updated_at")) == funding
        assert Milestone.objects.count() == milestones
        assert (
            list(Approval.objects.order_by("pk").values_list("pk", "status", "updated_at"))
            == approvals
        )
        assert (
            list(
                Project.objects.order_by("id").values_list(
                    "name", "code", "total_investment", "stage"
                )
            )
            == snapshot
        )

        projects = Project.objects.all()
        assert projects.count() >= 300
        cities = {code[:4] for code in projects.values_list("region_id", flat=True)}
        assert len(cities) == 13
        totals = [p.total_investment for p in projects]
        assert min(totals) >= Decimal(3000) and max(totals) <= Decimal(2_000_000)
        tiers = Counter(projects.values_list("tier", flat=True))
        assert 3 <= tiers[Tier.PROVINCIAL_IMPLEMENTATION] <= 10
        assert 15 <= tiers[Tier.PROVINCIAL_RESERVE] <= 40
        assert tiers[Tier.CITY] + tiers[Tier.COUNTY] > 250
        for project in projects.filter(code__isnull=False):
            project.full_clean()  # codes are well formed and unique

        # Projects not yet started carry key milestones; some can no longer make their start.
        waiting = projects.filter(admission="admitted", stage__in=["planning", "signed", "filed"])
        assert waiting.exists()
        assert not waiting.filter(milestones__isnull=True).exists()
        summaries = ProjectSchedule.objects.filter(project__in=waiting)
        assert summaries.count() == waiting.count()
        assert summaries.filter(at_risk=True).exists()
        assert Milestone.objects.filter(status="in_progress").exclude(problem="").exists()

        # Approvals follow the milestones of the projects waiting to start: done ones were
        # approved that day (the milestone stays as it was), others are under way or ahead.
        approvals = Approval.objects.select_related("kind", "unit", "specialist")
        assert {a.project for a in approvals} <= set(waiting)
        assert {"not_started", "preparing", "submitted", "under_review", "approved"} <= set(
            approvals.values_list("status", flat=True)
        )
        today = timezone.localdate()
        for field in ("submitted_on", "accepted_on", "decided_on"):
            assert not approvals.filter(**{f"{field}__gt": today}).exists()
        assert approvals.filter(status__in=RUNNING_STATUSES).overdue().exists()
        assert approvals.filter(status__in=RUNNING_STATUSES, promise_due_on__gte=today).exists()
        approved = approvals.filter(status="approved")
        assert not approved.filter(document_no="").exists()
        assert approved.filter(document_no__regex=r"^苏环审〔20\d\d〕\d+号$").exists()
        # EIA decided at least 30% faster than promised, mostly; soil & water the same day;
        # energy reviews by the date fixed for the project.
        eia = approved.filter(kind="eia")
        assert eia.filter(actual_days__lte=21).count() > eia.count() / 2
        assert approved.filter(kind="soil_water", actual_days=0).exists()
        energy = approved.filter(kind="energy")
        assert energy.exists() and not energy.filter(fixed_target_on__isnull=True).exists()
        assert all(a.target_on == a.fixed_target_on for a in energy)
        for approval in approved.filter(kind__milestone_kind__gt="")[:50]:
            milestone = approval.project.milestones.filter(kind=approval.kind.milestone_kind)
            assert milestone.order_by("position").first().actual_finish == approval.decided_on
        liaison = User.objects.get(username="liaison")
        land = approvals.filter(kind="land", unit=liaison.unit)
        assert land.exists() and not land.exclude(specialist=liaison).exists()
        assert Approval.objects.for_user(liaison).filter(kind="land").exists()

        enterprise = User.objects.get(username="enterprise")
        assert Project.objects.for_user(enterprise).count() >= 2
        assert enterprise.unit.region_id == "320281"
        for username in (
            "province_office",
            "city_office",
            "county_office",
            "county_filer",
            "county_filer2",
            "liaison",
            "jiangyin_liaison",
            "enterprise",
            "leader",
            "api_client",
            "admin",
        ):
            assert client.login(username=username, password="Demo#2026"), username
        assert User.objects.get(username="admin").is_superuser
        assert User.objects.get(username="county_filer2").region_id == "321322"

        # Issue tickets in every state, some overdue with 通报/约谈, two from the hotline,
        # and the province office's meeting built from them.
        from issues.models import Interview, Issue, Meeting, Notice

        statuses = set(Issue.objects.values_list("status", flat=True))
        assert {"reported", "in_progress", "resolved", "closed"} <= statuses
        assert Issue.objects.filter(source="hotline_12345").count() == 2
        assert Issue.objects.filter(project__isnull=True).exists()
        assert Notice.objects.exists() and Interview.objects.exists()
        for issue in Issue.objects.exclude(status="reported").prefetch_related("events"):
            kinds = [event.kind for event in issue.events.all()]
            assert kinds[0] == "report", issue
        jiangyin_liaison = User.objects.get(username="jiangyin_liaison")
        assert Issue.objects.for_user(jiangyin_liaison).exists()
        assert not Issue.objects.for_user(jiangyin_liaison).exclude(unit=jiangyin_liaison.unit)
        meeting = Meeting.objects.get()
        assert meeting.items.filter(mode="one_by_one").exists()
        # projects with approvals past their promise are heard at the meeting
        late = Approval.objects.filter(status__in=RUNNING_STATUSES).overdue(meeting.date)
        assert meeting.items.filter(project__approvals__in=late).exists()

        # Funding: the province's special-bond quota of 1,565亿元, due 30 September, split
        # over the 13 cities; records within their invariants and dated no later than today;
        # REITs projects at several stages; financing matches in every state.
        bonds = Quota.objects.filter(channel="special_bond", year=2026)
        assert bonds.get(region_id="320000").amount == Decimal("15650000")
        city_bonds = bonds.filter(region__level="city")
        assert city_bonds.count() == 13
        assert sum(q.amount for q in city_bonds) == Decimal("15650000")
        assert {q.issuance_deadline for q in bonds} == {datetime.date(2026, 9, 30)}
        assert {"treasury_bond", "central_budget"} <= set(
            Quota.objects.values_list("channel", flat=True)
        )
        records = FundingRecord.objects.all()
        assert records.filter(channel="special_bond").count() > 100
        for record in records.filter(channel="special_bond", capital_share__gt=0)[:20]:
            assert record.used <= record.issued <= record.allocated
            assert record.capital_share <= record.issued / 4
        for field in ("allocated_on", "issued_on", "used_as_of"):
            assert not records.filter(**{f"{field}__gt": today}).exists()
        assert len(set(ReitsProject.objects.values_list("stage", flat=True))) >= 4
        assert set(FinancingMatch.objects.values_list("state", flat=True)) == {
            "pushed",
            "in_talks",
            "credit_granted",
            "disbursed",
        }

        check_demo_progress()
        check_demo_documents(client, meeting)

    @override_settings(DEBUG=False)
    def test_refuses_without_debug_unless_forced(self):
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("seed_demo")
        assert not Project.objects.exists()


def check_demo_documents(client, meeting):
    """The province office has published the briefing of the demo's month and the agenda of its
    meeting, both PDFs generated by the reports service; a leader's 报告简报 lists them and opens
    them."""
    office = Unit.objects.get(region_id="320000", kind=Unit.Kind.OFFICE)
    published = Report.objects.published().filter(unit=office)
    briefing = published.get(kind=Kind.BRIEFING)
    agenda = published.get(kind=Kind.WEEKLY_AGENDA)
    assert (briefing.period, briefing.number, briefing.status) == ("2026-11", 1, Status.DONE)
    assert agenda.period == "2026-W48" and agenda.status == Status.DONE
    assert parse_period(Kind.WEEKLY_AGENDA, agenda.period).meeting_date == meeting.date
    assert Meeting.objects.count() == 1  # the agenda is the demo meeting's, not a new meeting
    for report in (briefing, agenda):
        assert report.page_count >= 1 and report.as_of == DEMO_DAY
        assert report.published_by.username == "province_office"
        with report.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"

    client.logout()
    assert client.login(username="leader", password="Demo#2026")
    page = client.get(reverse("reports:list")).content.decode()
    assert briefing.title in page and agenda.title in page
    opened = client.get(reverse("reports:file", args=[briefing.pk]))
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"


def progress_snapshot():
    from indicators.models import Target
    from progress.models import FilingReminder, MonthlyReport, ProgressEvent

    return (
        list(MonthlyReport.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        ProgressEvent.objects.count(),
        FilingReminder.objects.count(),
        list(Target.objects.order_by("pk").values_list("pk", "value")),
    )


def check_demo_progress():
    """Monthly forms for January to October, filed and (mostly) approved; November being
    filed; every form within the services' rules; targets for 2026."""
    from indicators.models import Target
    from indicators.selectors import indicators
    from progress import selectors, services
    from progress.models import FilingReminder, MonthlyReport

    reports = MonthlyReport.objects.select_related("project").prefetch_related("events")
    assert set(reports.values_list("period", flat=True)) == {
        f"2026-{month:02d}" for month in range(1, 12)
    }
    assert reports.filter(period="2026-10").count() > 200
    assert not reports.filter(period__lt="2026-10").exclude(status="approved").exists()
    october = Counter(reports.filter(period="2026-10").values_list("status", flat=True))
    assert october["approved"] > 4 * october["submitted"] > 0
    now = timezone.now()
    running: dict[int, Decimal] = {}
    latest_approved: dict[int, Decimal] = {}
    for report in reports.order_by("project_id", "period"):
        values = {name: getattr(report, name) for name in services.INPUT_FIELDS}
        services.clean_values(report.project, report.period, values, report)  # never raises
        running[report.project_id] = running.get(report.project_id, 0) + (
            report.investment_this_month
        )
        assert report.investment_ytd == running[report.project_id], report
        assert report.investment_ytd <= report.project.total_investment
        events = list(report.events.all())
        steps = [event.action for event in events]
        assert steps == {
            "approved": ["create", "submit", "approve"],
            "submitted": ["create", "submit"],
        }.get(report.status, steps), report
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert all(e.at <= now for e in events)
        if report.status == "approved":
            assert report.approved_by_id != report.submitted_by_id
            latest_approved[report.project_id] = report.investment_ytd
        if report.new_stage and report.status == "approved":
            assert report.project.stage_date(report.new_stage) == report.stage_date
    # a project's 本年完成投资 is its latest approved month's year to date
    for project in Project.objects.filter(pk__in=list(latest_approved)):
        assert project.completed_investment_year == latest_approved[project.pk], project

    # November: 江阴 half done (drafts, submitted, one returned, one start awaiting approval,
    # one problem turned into an issue, some not begun); some counties silent, most complete
    november = reports.filter(period="2026-11")
    jiangyin = november.filter(project__region_id="320281")
    statuses = Counter(jiangyin.values_list("status", flat=True))
    assert statuses["draft"] >= 1 and statuses["submitted"] >= 2 and statuses["returned"] == 1
    assert jiangyin.get(status="returned").review_comment
    starting = jiangyin.get(status="submitted", new_stage="started")
    assert starting.project.stage in ("signed", "filed")
    city_office = User.objects.get(username="city_office")
    assert "approve" in services.allowed_actions(starting, city_office)
    ticket = jiangyin.get(issue__isnull=False)
    assert ticket.issue.project == ticket.project
    filer = User.objects.get(username="county_filer")
    assert selectors.missing_projects(filer, "2026-11").exists()
    rows = selectors.filing_status(User.objects.get(username="province_office"), "2026-11")
    assert sum(1 for row in rows if row.filed == 0) >= 5
    assert sum(1 for row in rows if row.missing == 0) > len(rows) / 2
    assert november.filter(status="approved").exists()
    assert FilingReminder.objects.filter(region_id="320281", period="2026-11").exists()
    assert selectors.reminders_for(filer, "2026-11").exists()

    # targets: the half-year start rate of 75 %, all started by the third quarter
    rates = Target.objects.filter(year=2026, indicator="new_start_rate", group__isnull=True)
    assert dict(rates.filter(region_id="320000").values_list("sub_period", "value")) == {
        "H1": Decimal(75),
        "Q3": Decimal(100),
        "": Decimal(100),
    }
    assert rates.filter(region__level="city", sub_period="H1").count() == 13
    assert rates.filter(region__level="county").exists()
    wuxi = Target.objects.get(
        region_id="320200", indicator="wx_investment", sub_period="", group__isnull=True
    )
    assert wuxi.value == Decimal(100)
    assert Target.objects.filter(region_id="320800", indicator="ha_start").exists()
    assert Target.objects.get(region_id="320000", indicator="new_starts", sub_period="").value > 0
    # seed 002's targets per group (无锡), seed 004's signing counts (淮安)
    by_group = Target.objects.filter(region_id="320200", year=2026, sub_period="H1")
    assert dict(
        by_group.filter(indicator="new_start_rate", group__isnull=False).values_list(
            "group__code", "value"
        )
    ) == {"provincial_implementation": 85, "industrial": 75, "government": 75}
    assert Target.objects.get(region_id="320800", indicator="ha_start").value == 50
    assert Target.objects.filter(region_id="320800", indicator="ha_signed").exists()
    figures = {f.indicator: f for f in indicators(Region.objects.get(code="320000"), 2026)}
    assert figures["wx_investment"].numerator > 0
    assert figures["new_start_rate"].target == Decimal(100)
    assert any(f.lagging for f in figures.values())
