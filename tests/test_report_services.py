"""Report records: numbering per office, kind and year; one draft per period; corrections after
publication; published reports never change; who may request, publish and retry; who sees what."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import DomainError, NotPermitted
from reports import services
from reports.models import Kind, PublishedReportError, Report, Status

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield


def made(kind, period, by, **kwargs):
    report, _queued = services.report_request(kind=kind, period=period, by=by, **kwargs)
    return services.report_run(report.pk)


@pytest.mark.django_db
class TestRequest:
    def test_numbers_run_per_office_kind_and_year(self, people):
        office = people["province_office"]
        first = made(Kind.HANDBOOK, "2026-10", office)
        second = made(Kind.HANDBOOK, "2026-11", office)
        other_kind, _q = services.report_request(kind=Kind.BRIEFING, period="2026-11", by=office)
        city = made(Kind.HANDBOOK, "2026-11", people["city_office"])
        last_year = made(Kind.HANDBOOK, "2025-12", office)
        assert (first.number, second.number) == (1, 2)
        assert other_kind.number == 1 and city.number == 1
        assert (last_year.year, last_year.number) == (2025, 1)
        assert first.unit == office.unit and city.unit == people["city_office"].unit
        assert "2026年第2期" in second.title

    def test_a_rerun_updates_the_draft_and_a_running_job_is_not_queued_twice(self, people):
        office = people["province_office"]
        queued, was_queued = services.report_request(
            kind=Kind.HANDBOOK, period="2026-11", by=office
        )
        again, queued_again = services.report_request(
            kind=Kind.HANDBOOK, period="2026-11", by=office
        )
        assert was_queued and not queued_again and again.pk == queued.pk
        done = services.report_run(queued.pk)
        assert done.status == Status.DONE
        rerun, queued_rerun = services.report_request(
            kind=Kind.HANDBOOK, period="2026-11", by=office
        )
        assert queued_rerun and rerun.pk == done.pk and rerun.status == Status.QUEUED
        assert rerun.number == 1
        assert Report.objects.count() == 1
        assert services.report_run(rerun.pk).status == Status.DONE

    def test_running_a_finished_report_again_changes_nothing(self, people):
        done = made(Kind.HANDBOOK, "2026-11", people["province_office"])
        file_name = done.file.name
        again = services.report_run(done.pk)
        assert again.status == Status.DONE and again.file.name == file_name
        assert again.attempts == 1
        assert services.report_run(999_999) is None

    @pytest.mark.parametrize(
        "kind,period,code",
        [
            (Kind.BRIEFING, "2026-13", "period_invalid"),
            (Kind.BRIEFING, "2026-W48", "period_invalid"),
            (Kind.WEEKLY_AGENDA, "2026-11", "period_invalid"),
            (Kind.WEEKLY_AGENDA, "2026-W54", "period_invalid"),
            (Kind.BRIEFING, "2026-12", "period_future"),
            (Kind.WEEKLY_AGENDA, "2026-W50", "period_future"),
            ("memo", "2026-11", "kind_invalid"),
        ],
    )
    def test_bad_periods_and_kinds_are_refused_in_chinese(self, people, kind, period, code):
        with pytest.raises(DomainError) as error:
            services.report_request(kind=kind, period=period, by=people["province_office"])
        assert error.value.code == code
        assert any("\u4e00" <= c <= "\u9fff" for c in error.value.messages[0])
        assert not Report.objects.exists()

    def test_next_weeks_agenda_may_be_prepared(self, people):
        report, queued = services.report_request(
            kind=Kind.WEEKLY_AGENDA, period="2026-W49", by=people["province_office"]
        )
        assert queued and report.year == 2026

    def test_only_office_staff_issue_documents_for_their_own_office(self, people):
        for name in ("leader", "county_filer", "liaison", "enterprise", "api_client", "nobody"):
            with pytest.raises(NotPermitted):
                services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=people[name])
        with pytest.raises(NotPermitted):
            services.report_request(
                kind=Kind.HANDBOOK,
                period="2026-11",
                by=people["county_office"],
                unit=people["city_office"].unit,
            )
        with pytest.raises(DomainError) as error:
            services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=people["admin"])
        assert error.value.code == "unit_required"
        report, _q = services.report_request(
            kind=Kind.HANDBOOK,
            period="2026-11",
            by=people["admin"],
            unit=factories.office("320200"),
        )
        assert report.unit.region_id == "320200"
        assert Report.objects.count() == 1


@pytest.mark.django_db
class TestPublish:
    def test_published_reports_are_immutable_and_a_correction_is_a_new_number(self, people):
        office = people["province_office"]
        report = made(Kind.HANDBOOK, "2026-11", office)
        published = services.report_publish(report=report, by=office)
        assert published.published_at is not None and published.published_by == office
        with pytest.raises(DomainError) as error:
            services.report_publish(report=published, by=office)
        assert error.value.code == "already_published"
        published.title = "改过的标题"
        with pytest.raises(PublishedReportError):
            published.save()
        with pytest.raises(PublishedReportError):
            published.delete()
        with pytest.raises(DomainError):
            services.report_retry(report=published, by=office)
        published.refresh_from_db()
        assert published.title != "改过的标题"

        with pytest.raises(DomainError) as error:
            services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
        assert error.value.code == "already_published"
        assert Report.objects.count() == 1
        correction, queued = services.report_request(
            kind=Kind.HANDBOOK, period="2026-11", by=office, correction=True
        )
        assert queued and correction.pk != published.pk
        assert (correction.number, correction.corrects) == (2, published)
        services.report_run(correction.pk)
        published.refresh_from_db()
        assert published.number == 1 and published.file

    def test_only_a_finished_draft_is_published_by_its_own_office(self, people):
        office = people["city_office"]
        queued, _q = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
        with pytest.raises(DomainError) as error:
            services.report_publish(report=queued, by=office)
        assert error.value.code == "not_done"
        done = services.report_run(queued.pk)
        for name in ("county_office", "province_office", "leader", "county_filer"):
            with pytest.raises(NotPermitted):
                services.report_publish(report=done, by=people[name])
        assert services.report_publish(report=done, by=people["admin"]).is_published

    def test_retry_only_after_a_failure(self, people, monkeypatch):
        office = people["province_office"]
        report, _q = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
        with pytest.raises(DomainError) as error:
            services.report_retry(report=report, by=office)
        assert error.value.code == "not_failed"

        def broken(*args, **kwargs):
            raise RuntimeError("磁盘已满")

        monkeypatch.setattr("reports.documents.build", broken)
        failed = services.report_run(report.pk)
        assert failed.status == Status.FAILED and "磁盘已满" in failed.error
        with pytest.raises(DomainError):
            services.report_publish(report=failed, by=office)
        with pytest.raises(NotPermitted):
            services.report_retry(report=failed, by=people["county_office"])
        monkeypatch.undo()
        retried = services.report_retry(report=failed, by=office)
        assert retried.status == Status.QUEUED and retried.error == ""
        assert services.report_run(retried.pk).status == Status.DONE


@pytest.mark.django_db
def test_who_sees_which_reports(people):
    province = made(Kind.HANDBOOK, "2026-11", people["province_office"])
    province_draft, _q = services.report_request(
        kind=Kind.BRIEFING, period="2026-11", by=people["province_office"]
    )
    services.report_publish(report=province, by=people["province_office"])
    city = made(Kind.HANDBOOK, "2026-11", people["city_office"])
    services.report_publish(report=city, by=people["city_office"])
    city_draft, _q = services.report_request(
        kind=Kind.BRIEFING, period="2026-11", by=people["city_office"]
    )
    county_draft, _q = services.report_request(
        kind=Kind.HANDBOOK, period="2026-11", by=people["county_office"]
    )
    suqian = made(
        Kind.HANDBOOK,
        "2026-11",
        factories.user("suqian_office", "321300", ["office_staff"], factories.office("321300")),
    )
    services.report_publish(report=suqian, by=people["admin"])

    def seen(name):
        return set(Report.objects.for_user(people[name]).values_list("pk", flat=True))

    every = {province.pk, province_draft.pk, city.pk, city_draft.pk, county_draft.pk, suqian.pk}
    assert seen("admin") == every
    # the province office: everything published in the province, and its own drafts only
    assert seen("province_office") == {province.pk, province_draft.pk, city.pk, suqian.pk}
    # a leader reads what is published, never drafts
    assert seen("leader") == {province.pk, city.pk, suqian.pk}
    # 无锡: its own documents and draft, the province's sent to the cities (not its counties'
    # drafts: a draft is the issuing office's alone)
    assert seen("city_office") == {province.pk, city.pk, city_draft.pk}
    # 江阴: what its city sends to its counties, and its own draft; the province's documents go
    # to the cities, not to the counties
    assert seen("county_office") == {city.pk, county_draft.pk}
    assert seen("county_filer") == {city.pk}
    # 沭阳 is under 宿迁, not 无锡
    assert seen("county_filer2") == {suqian.pk}
    assert seen("enterprise") == set()
    assert seen("nobody") == set()


@pytest.mark.django_db
def test_regenerate_rebuilds_a_draft_but_never_a_published_report(people):
    office = people["province_office"]
    draft = made(Kind.HANDBOOK, "2026-11", office)
    with pytest.raises(NotPermitted):
        services.report_regenerate(report=draft, by=people["city_office"])
    again = services.report_regenerate(report=draft, by=office)
    assert (again.pk, again.number, again.status) == (draft.pk, 1, Status.QUEUED)
    published = services.report_publish(report=services.report_run(again.pk), by=office)
    with pytest.raises(DomainError) as error:
        services.report_regenerate(report=published, by=office)
    assert error.value.code == "already_published"
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_lost_job_can_be_queued_again(people, settings):
    office = people["province_office"]
    report, _q = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
    again, queued = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
    assert not queued
    with pytest.raises(DomainError):
        services.report_retry(report=report, by=office)
    # its worker died: no heartbeat for longer than JOB_HEARTBEAT_TIMEOUT, the job is lost
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, heartbeat_at=long_ago)
    report.refresh_from_db()
    assert report.is_stale
    retried = services.report_retry(report=report, by=office)
    assert retried.status == Status.QUEUED and not retried.is_stale
    Report.objects.filter(pk=report.pk).update(heartbeat_at=long_ago)
    again, queued = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)
    assert queued and again.pk == report.pk
    assert services.report_run(report.pk).status == Status.DONE


@pytest.mark.django_db
def test_a_failure_while_storing_the_file_is_recorded(people, monkeypatch):
    office = people["province_office"]
    report, _q = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", disk_full)
    failed = services.report_run(report.pk)
    assert failed.status == Status.FAILED and "No space left" in failed.error
    assert not failed.file


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["0000-05", "0000-W01", "9999-W52"])
def test_impossible_years_are_refused_not_crashed(people, period):
    kind = Kind.WEEKLY_AGENDA if "W" in period else Kind.HANDBOOK
    with pytest.raises(DomainError) as error:
        services.report_request(kind=kind, period=period, by=people["province_office"])
    assert error.value.code in ("period_invalid", "period_future")


@pytest.mark.django_db
def test_staff_of_a_department_may_neither_issue_nor_publish(people):
    report = made(Kind.HANDBOOK, "2026-11", people["province_office"])
    department_staff = factories.user(
        "dept_staff",
        "320000",
        ["office_staff"],
        factories.unit("省发展改革委", "320000", "department"),
    )
    assert not services.may_request(department_staff)
    assert not services.may_manage(department_staff, report)
    with pytest.raises(NotPermitted):
        services.report_publish(report=report, by=department_staff)


@pytest.mark.django_db
def test_every_step_of_a_document_is_on_its_record(people, monkeypatch):
    office = people["province_office"]
    report, _q = services.report_request(kind=Kind.HANDBOOK, period="2026-11", by=office)

    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr("reports.documents.build", broken)
    services.report_run(report.pk)
    monkeypatch.undo()
    retried = services.report_retry(report=report, by=office)
    done = services.report_run(retried.pk)
    services.report_publish(report=done, by=office)
    steps = [(e.kind, e.from_state, e.to_state, e.actor) for e in report.events.all()]
    assert steps == [
        ("request", "", "queued", office),
        ("fail", "running", "failed", None),
        ("retry", "failed", "queued", office),
        ("done", "running", "done", None),
        ("publish", "done", "done", office),
    ]
    assert "磁盘已满" in report.events.get(kind="fail").comment
