"""The reports API (SPEC §10): generating on demand (202, idempotent per draft), following the
job, the file, publishing and retrying with their refusals, who sees which document, filters
and the cost of a list.

Today is pinned to Monday 23 November 2026. No worker runs here: a request queues its job on
commit (never, inside a test's transaction) and the tests run the job with ``report_run``."""

import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import services
from reports.models import Kind, Report, Status

from . import factories
from .conftest import clock_at
from .test_api_projects import assert_error, has_chinese

REPORTS = "/api/v1/reports/"
TODAY = datetime.date(2026, 11, 23)
MONTH = "2026-11"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def detail(report) -> str:
    return f"{REPORTS}{report.pk}/"


def file_of(report) -> str:
    return f"{REPORTS}{report.pk}/file/"


def act(report, action: str) -> str:
    return f"{REPORTS}{report.pk}/{action}/"


def request_report(person, kind=Kind.HANDBOOK, period=MONTH) -> Report:
    report, _queued = services.report_request(kind=kind, period=period, by=person)
    return report


def finished(report: Report) -> Report:
    """A report as its job leaves it, without building the document (scope and listing tests
    need the state, not the file)."""
    Report.objects.filter(pk=report.pk).update(
        status=Status.DONE, progress=100, file=f"reports/test/{report.pk}.pdf"
    )
    report.refresh_from_db()
    return report


def published(person, kind=Kind.BRIEFING, period=MONTH) -> Report:
    report = finished(request_report(person, kind, period))
    return services.report_publish(report=report, by=person)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


# --- generating on demand ----------------------------------------------------------------------


def test_a_request_is_accepted_and_can_be_followed_to_the_file(people, api):
    office = people["province_office"]
    client = api.as_user(office)

    response = client.post(REPORTS, {"kind": "handbook", "period": MONTH})

    assert response.status_code == 202, response.content
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert body["queued"] is True
    assert body["status"] == "queued" and body["progress"] == 0
    assert body["kind"] == "handbook" and body["period"] == MONTH and body["year"] == 2026
    assert body["number"] == 1 and body["title"] == report.title and has_chinese(body["title"])
    assert body["unit"] == office.unit.pk and body["region"] == "320000"
    assert body["file_url"] is None and body["published_at"] is None
    assert response["Location"] == f"http://testserver{detail(report)}"
    assert body["links"]["self"] == f"http://testserver{detail(report)}"
    assert body["links"]["page"] == f"http://testserver/reports/{report.pk}/"
    assert body["links"]["publish"] is None  # not done yet
    assert report.requested_by == office and report.unit == office.unit

    waiting = client.get(detail(report)).json()
    assert waiting["status"] == "queued" and waiting["file_url"] is None
    assert client.get(file_of(report)).status_code == 404
    not_yet = client.get(file_of(report), HTTP_ACCEPT="application/pdf")
    assert_error(not_yet, 404, "not_found")  # errors stay JSON whatever the client accepts

    services.report_run(report.pk)

    done = client.get(detail(report)).json()
    assert done["status"] == "done" and done["progress"] == 100 and done["error"] == ""
    assert done["file_url"] == f"http://testserver{file_of(report)}"
    assert done["links"]["file"] == done["file_url"]
    assert done["links"]["publish"] == f"http://testserver{act(report, 'publish')}"
    assert done["as_of"] == TODAY.isoformat()

    download = client.get(file_of(report))
    assert download.status_code == 200
    assert download["Content-Type"] == XLSX
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote(report.title + '.xlsx')}" in disposition
    assert body_of(download)[:2] == b"PK"  # a zip container: the workbook


def test_a_briefing_downloads_as_a_pdf(people, api):
    office = people["province_office"]
    client = api.as_user(office)
    report_id = client.post(REPORTS, {"kind": "briefing", "period": MONTH}).json()["id"]

    services.report_run(report_id)

    report = Report.objects.get(pk=report_id)
    assert report.status == Status.DONE, report.error
    download = client.get(file_of(report))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert quote(f"{report.title}.pdf") in download["Content-Disposition"]
    assert body_of(download).startswith(b"%PDF")


def test_asking_again_for_the_same_draft_answers_the_same_report(people, api):
    client = api.as_user(people["city_office"])
    first = client.post(REPORTS, {"kind": "briefing", "period": MONTH})
    again = client.post(REPORTS, {"kind": "briefing", "period": MONTH})

    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["queued"] is True and again.json()["queued"] is False
    assert Report.objects.filter(kind=Kind.BRIEFING, period=MONTH).count() == 1


def test_another_month_or_kind_is_another_report(people, api):
    client = api.as_user(people["city_office"])
    november = client.post(REPORTS, {"kind": "briefing", "period": MONTH}).json()
    october = client.post(REPORTS, {"kind": "briefing", "period": "2026-10"}).json()
    special = client.post(REPORTS, {"kind": "monthly_special", "period": MONTH}).json()

    assert len({november["id"], october["id"], special["id"]}) == 3
    assert (november["number"], october["number"], special["number"]) == (1, 2, 1)


def test_a_system_administrator_names_the_issuing_office(people, api):
    city = factories.office("320200")
    response = api.as_user(people["admin"]).post(
        REPORTS, {"kind": "handbook", "period": MONTH, "unit": city.pk}
    )

    assert response.status_code == 202, response.content
    assert Report.objects.get(pk=response.json()["id"]).unit == city


def test_an_office_cannot_issue_for_another_office(people, api):
    response = api.as_user(people["county_office"]).post(
        REPORTS, {"kind": "handbook", "period": MONTH, "unit": factories.office("320200").pk}
    )

    assert_error(response, 403, "not_permitted")
    assert not Report.objects.exists()


@pytest.mark.parametrize("who", ["leader", "county_filer", "enterprise", "liaison", "api_client"])
def test_only_offices_generate_documents(people, api, who):
    response = api.as_user(people[who]).post(REPORTS, {"kind": "briefing", "period": MONTH})

    body = assert_error(response, 403, "permission_denied")
    assert has_chinese(body["message"])
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("kind", "period", "code"),
    [
        ("briefing", "2026-12", "period_future"),
        ("handbook", "2027-01", "period_future"),
        ("weekly_agenda", "2026-W50", "period_future"),
        ("briefing", "2026-13", "period_invalid"),
        ("briefing", "2026-W48", "period_invalid"),
        ("weekly_agenda", "2026-11", "period_invalid"),
        ("briefing", "十一月", "period_invalid"),
    ],
)
def test_a_period_that_cannot_be_reported_is_refused(people, api, kind, period, code):
    response = api.as_user(people["city_office"]).post(REPORTS, {"kind": kind, "period": period})

    body = assert_error(response, 400, code, field="period")
    assert has_chinese(body["message"])
    assert not Report.objects.exists()


def test_next_weeks_agenda_may_be_prepared(people, api):
    response = api.as_user(people["city_office"]).post(
        REPORTS, {"kind": "weekly_agenda", "period": "2026-W49"}
    )

    assert response.status_code == 202, response.content
    assert response.json()["period"] == "2026-W49"


def test_an_unknown_kind_is_refused(people, api):
    response = api.as_user(people["city_office"]).post(
        REPORTS, {"kind": "newsletter", "period": MONTH}
    )

    assert_error(response, 400, "validation_error", field="kind")


# --- publishing and retrying -------------------------------------------------------------------


def test_a_finished_draft_is_published_once(people, api):
    office = people["city_office"]
    client = api.as_user(office)
    report = request_report(office)

    early = client.post(act(report, "publish"))
    assert_error(early, 400, "not_done")

    services.report_run(report.pk)
    response = client.post(act(report, "publish"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["published"] is True and body["published_at"]
    assert body["published_by_name"] == str(office)
    assert body["links"]["publish"] is None and body["links"]["retry"] is None
    assert body["file_url"]  # still downloadable

    again = client.post(act(report, "publish"))
    assert_error(again, 400, "already_published")

    # asking for the published period again is refused unless it is a correction
    repeat = client.post(REPORTS, {"kind": Kind.HANDBOOK, "period": MONTH}, format="json")
    assert_error(repeat, 400, "already_published")
    corrected = client.post(
        REPORTS, {"kind": Kind.HANDBOOK, "period": MONTH, "correction": True}, format="json"
    )
    assert corrected.status_code == 202, corrected.content
    assert corrected.json()["number"] == 2 and corrected.json()["corrects"] == report.pk


def test_a_failed_job_shows_its_error_and_is_retried(people, api, monkeypatch):
    office = people["county_office"]
    client = api.as_user(office)
    report = request_report(office)

    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr("reports.documents.build", broken)
    services.report_run(report.pk)

    failed = client.get(detail(report)).json()
    assert failed["status"] == "failed" and "字体缺失" in failed["error"]
    assert failed["file_url"] is None
    assert failed["links"]["retry"] == f"http://testserver{act(report, 'retry')}"
    assert_error(client.post(act(report, "publish")), 400, "not_done")

    response = client.post(act(report, "retry"))

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] == report.pk and body["number"] == report.number
    assert body["status"] == "queued" and body["error"] == ""
    assert body["links"]["retry"] is None


def test_only_a_failed_job_is_retried(people, api):
    office = people["county_office"]
    client = api.as_user(office)
    report = request_report(office)

    assert_error(client.post(act(report, "retry")), 400, "not_failed")
    services.report_run(report.pk)
    assert_error(client.post(act(report, "retry")), 400, "not_failed")


def test_another_office_finds_no_draft_of_an_office(people, api):
    # Drafts are the issuing office's alone: the city above a county finds none of its drafts,
    # so it can neither read nor publish them.
    county_draft = finished(request_report(people["county_office"]))
    client = api.as_user(people["city_office"])

    assert_error(client.get(detail(county_draft)), 404, "not_found")
    assert_error(client.post(act(county_draft, "publish")), 404, "not_found")
    assert county_draft.pk not in ids_of(client.get(REPORTS))


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_documents_are_never_edited_through_the_api(people, api, method):
    office = people["province_office"]
    report = published(office)
    client = api.as_user(office)

    response = getattr(client, method)(detail(report), {"title": "改过的标题"})

    assert_error(response, 405, "method_not_allowed")
    report.refresh_from_db()
    assert report.title != "改过的标题" and report.is_published


# --- who sees what -----------------------------------------------------------------------------


def test_a_county_user_does_not_see_the_citys_draft(people, api):
    draft = finished(request_report(people["city_office"]))
    client = api.as_user(people["county_office"])

    assert client.get(detail(draft)).status_code == 404
    assert client.get(file_of(draft)).status_code == 404
    assert client.post(act(draft, "publish")).status_code == 404
    assert client.post(act(draft, "retry")).status_code == 404
    assert client.get(REPORTS).json()["count"] == 0
    assert Report.objects.get(pk=draft.pk).published_at is None


def test_another_citys_reader_does_not_see_a_published_report(people, api):
    report = published(people["county_office"])
    client = api.as_user(people["county_filer2"])  # 沭阳, under 宿迁

    assert client.get(detail(report)).status_code == 404
    assert client.get(file_of(report)).status_code == 404
    assert client.post(act(report, "publish")).status_code == 404
    assert client.get(REPORTS).json()["count"] == 0


def test_a_leader_reads_published_province_documents_but_not_drafts(people, api):
    office = people["province_office"]
    issued = published(office)
    draft = request_report(office, Kind.HANDBOOK)
    client = api.as_user(people["leader"])

    listed = client.get(REPORTS).json()
    assert [row["id"] for row in listed["results"]] == [issued.pk]
    assert client.get(detail(issued)).status_code == 200
    assert client.get(detail(draft)).status_code == 404
    assert client.get(detail(issued)).json()["links"]["publish"] is None


def test_a_county_reads_what_its_city_sends_it_not_the_provinces_briefing(people, api):
    suqian = factories.user("suqian_office", "321300", ["office_staff"], factories.office("321300"))
    province = published(people["province_office"])  # to the cities and member departments
    city = published(people["city_office"])  # to its counties
    elsewhere = published(suqian)
    client = api.as_user(people["county_office"])

    ids = ids_of(client.get(REPORTS))

    assert set(ids) == {city.pk}
    assert client.get(detail(city)).status_code == 200
    assert client.get(detail(province)).status_code == 404
    assert client.get(file_of(province)).status_code == 404
    assert client.get(file_of(elsewhere)).status_code == 404


def test_a_reader_sees_published_documents_of_the_regions_below(people, api):
    county = published(people["county_office"])
    county_draft = request_report(people["county_office"], Kind.HANDBOOK)
    client = api.as_user(people["leader"])

    ids = [row["id"] for row in client.get(REPORTS).json()["results"]]

    assert county.pk in ids and county_draft.pk not in ids


def test_a_project_unit_sees_no_documents(people, api):
    report = published(people["county_office"])
    client = api.as_user(people["enterprise"])

    assert client.get(REPORTS).json()["count"] == 0
    assert client.get(detail(report)).status_code == 404
    assert client.get(file_of(report)).status_code == 404


def test_a_calling_system_reads_with_its_token(people, api, client):
    report = published(people["province_office"])

    assert client.get(REPORTS).status_code == 401
    response = api.as_user(people["api_client"]).get(REPORTS)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [report.pk]


# --- listing -----------------------------------------------------------------------------------


@pytest.fixture
def archive(people, today):
    """Province: a published October briefing, a November briefing draft and a failed
    handbook; 无锡: a published November briefing; 江阴: a November special report draft (which
    the province does not see: drafts are the issuing office's alone)."""
    province, city, county = (
        people[name] for name in ("province_office", "city_office", "county_office")
    )
    return {
        "october": published(province, period="2026-10"),
        "november_draft": finished(request_report(province, Kind.BRIEFING)),
        "failed": _failed(request_report(province, Kind.HANDBOOK)),
        "wuxi": published(city),
        "jiangyin": request_report(county, Kind.MONTHLY_SPECIAL),
    }


def _failed(report: Report) -> Report:
    Report.objects.filter(pk=report.pk).update(status=Status.FAILED, error="生成失败：测试")
    report.refresh_from_db()
    return report


def ids_of(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_is_newest_first_drafts_on_top(people, api, archive):
    ids = ids_of(api.as_user(people["province_office"]).get(REPORTS))

    drafts = [archive["failed"].pk, archive["november_draft"].pk]
    assert ids == [*drafts, archive["wuxi"].pk, archive["october"].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "briefing"}, {"october", "november_draft", "wuxi"}),
        ({"kind": ["handbook", "monthly_special"]}, {"failed"}),
        ({"period": "2026-10"}, {"october"}),
        ({"year": 2026}, {"october", "november_draft", "failed", "wuxi"}),
        ({"year": 2025}, set()),
        ({"status": "failed"}, {"failed"}),
        ({"status": ["queued", "failed"]}, {"failed"}),
        ({"published": "true"}, {"october", "wuxi"}),
        ({"published": "false"}, {"november_draft", "failed"}),
        ({"region": "320200"}, {"wuxi"}),
        ({"region": "320281"}, set()),
        ({"region": "320000"}, {"october", "november_draft", "failed", "wuxi"}),
    ],
)
def test_filters(people, api, archive, query, expected):
    ids = ids_of(api.as_user(people["province_office"]).get(REPORTS, query))

    assert set(ids) == {archive[name].pk for name in expected}


def test_filter_by_issuing_office(people, api, archive):
    client = api.as_user(people["province_office"])

    ids = ids_of(client.get(REPORTS, {"unit": factories.office("320200").pk}))

    assert ids == [archive["wuxi"].pk]
    assert_error(client.get(REPORTS, {"region": "999999"}), 400, "validation_error", field="region")


def test_a_list_costs_the_same_for_many_reports(people, api):
    office = people["province_office"]
    client = api.as_user(office)
    published(office, period="2026-01")
    client.get(REPORTS)  # warm what is cached per process (content types, translations)

    with CaptureQueriesContext(connection) as one:
        assert client.get(REPORTS).json()["count"] == 1
    for month in range(2, 10):
        published(office, period=f"2026-{month:02d}")
    _failed(request_report(office, Kind.HANDBOOK))
    with CaptureQueriesContext(connection) as many:
        assert client.get(REPORTS).json()["count"] == 10

    assert len(many) == len(one) <= 6, [query["sql"] for query in many.captured_queries]
