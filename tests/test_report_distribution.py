"""Who may read a document (SPEC §17): a published report carries its distribution (主送/抄送:
regions and units); its readers are the issuing office's staff and leaders (and the regions above
it), and those on the distribution; drafts and failed jobs are the issuing office's alone. One
rule (``Report.objects.readable_by``) for the pages, the API, the files and the notice of
publication.

Today is pinned to Monday 23 November 2026.
"""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Region, Unit
from notify.models import Notification
from reports import services
from reports.models import Kind, Report, Status

from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def pinned(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with clock_at(TODAY):
        yield


def issued(person, kind=Kind.BRIEFING, period="2026-10", *, publish=True) -> Report:
    """A document of ``person``'s office as the service makes it, with a small file."""
    report, _queued = services.report_request(kind=kind, period=period, by=person, enqueue=False)
    report.status = Status.DONE
    report.progress = 100
    report.file.save(f"{report.pk}.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    report.save()
    if publish:
        report = services.report_publish(report=report, by=person)
    return report


def readable(person, report) -> bool:
    return Report.objects.readable_by(person).filter(pk=report.pk).exists()


def test_the_provinces_briefing_goes_to_the_cities_and_the_member_departments(people):
    report = issued(people["province_office"])

    regions = set(report.distribution_regions.values_list("code", flat=True))
    assert regions == set(Region.objects.filter(parent_id="320000").values_list("code", flat=True))
    assert "320200" in regions and "320281" not in regions
    units = set(report.distribution_units.all())
    assert people["liaison"].unit in units  # 省自然资源厅
    assert units == set(Unit.objects.filter(region_id="320000", kind=Unit.Kind.DEPARTMENT))


def test_a_citys_briefing_goes_to_its_counties_a_countys_to_nobody(people):
    city = issued(people["city_office"])
    county = issued(people["county_office"])

    assert set(city.distribution_regions.values_list("code", flat=True)) == set(
        Region.objects.filter(parent_id="320200").values_list("code", flat=True)
    )
    assert not city.distribution_units.exists()
    assert not county.distribution_regions.exists() and not county.distribution_units.exists()


def test_the_weekly_agenda_stays_with_its_office(people):
    agenda = issued(people["province_office"], Kind.WEEKLY_AGENDA, "2026-W48")
    assert not agenda.distribution_regions.exists() and not agenda.distribution_units.exists()
    assert not readable(people["city_office"], agenda)
    assert readable(people["leader"], agenda)


def test_readers_of_the_provinces_briefing(people):
    report = issued(people["province_office"])

    for reader in ("province_office", "leader", "city_office", "liaison", "api_client", "admin"):
        assert readable(people[reader], report), reader
    # the counties are not on it: the province's briefing lists every city's figures
    for outsider in ("county_office", "county_filer", "county_filer2", "enterprise", "nobody"):
        assert not readable(people[outsider], report), outsider


def test_readers_of_a_citys_briefing(people):
    report = issued(people["city_office"])

    for reader in ("city_office", "county_office", "county_filer", "leader", "province_office"):
        assert readable(people[reader], report), reader
    # 沭阳 is in another city; a province department is not on a city's distribution; an
    # enterprise reads no government document
    for outsider in ("county_filer2", "liaison", "enterprise"):
        assert not readable(people[outsider], report), outsider


def test_a_region_added_to_the_distribution_reads_it(people):
    report = issued(people["province_office"])
    assert not readable(people["county_filer2"], report)

    report.distribution_regions.add("321322")  # 抄送 沭阳县

    assert readable(people["county_filer2"], report)
    assert not readable(people["county_office"], report)  # 江阴 still not


def test_drafts_and_failed_jobs_are_the_issuing_offices_alone(people):
    draft = issued(people["city_office"], publish=False)
    failed = issued(people["city_office"], Kind.HANDBOOK, "2026-10", publish=False)
    Report.objects.filter(pk=failed.pk).update(status=Status.FAILED, error="生成失败")

    for report in (draft, failed):
        assert readable(people["city_office"], report)
        for outsider in ("province_office", "leader", "county_office", "county_filer", "liaison"):
            assert not readable(people[outsider], report), outsider


def test_pages_api_and_file_follow_the_one_rule(client, people, api):
    report = issued(people["province_office"])
    pages = (
        reverse("reports:detail", args=[report.pk]),
        reverse("reports:file", args=[report.pk]),
        reverse("reports:status", args=[report.pk]),
        f"/api/v1/reports/{report.pk}/",
        f"/api/v1/reports/{report.pk}/file/",
    )

    client.force_login(people["county_office"])
    for url in pages:
        assert client.get(url).status_code == 404, url
    listed = client.get(reverse("reports:list")).content.decode()
    assert f'id="report-{report.pk}"' not in listed
    assert api.as_user(people["county_office"]).get("/api/v1/reports/").json()["count"] == 0

    client.force_login(people["city_office"])
    for url in pages:
        assert client.get(url).status_code == 200, url
    api_list = api.as_user(people["city_office"]).get("/api/v1/reports/").json()
    assert [row["id"] for row in api_list["results"]] == [report.pk]


def test_the_issuer_sees_the_distribution_on_the_page_a_recipient_does_not(client, people):
    report = issued(people["city_office"])

    client.force_login(people["city_office"])
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "分送" in page and "江阴市" in page and "宜兴市" in page

    client.force_login(people["county_office"])
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "宜兴市" not in page  # a county does not learn of the other counties


def test_only_readers_are_told_of_the_publication(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = issued(people["province_office"])

    told = set(
        Notification.objects.filter(
            event="report.publish", title=f"已印发：{report.title}"
        ).values_list("user__username", flat=True)
    )
    assert {"city_office", "liaison", "leader"} <= told
    assert not told & {"county_office", "county_filer", "enterprise"}
