"""``core.db.bulk_insert``: many new rows at once (PostgreSQL: COPY with ids drawn from the
sequence first; elsewhere bulk_create) — the rows and ids are what ``bulk_create`` gives."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import bulk_insert
from progress.models import MonthlyReport, ProgressAction, ProgressEvent, ReportStatus

PROJECTS = ("jiangyin_enterprise_1", "jiangyin_enterprise_2", "jiangyin_other")


def test_rows_get_their_ids_and_every_value(people, library):
    filer = people["county_filer"]
    reports = [
        MonthlyReport(
            project=library[key],
            period="2026-09",
            created_by=filer,
            investment_this_month=Decimal("1234.56") + number,
            physical_progress=f"主体结构施工，第{number}层",
            percent_complete=Decimal("12.5"),
            stage_date=datetime.date(2026, 9, 30) if number == 1 else None,
            new_stage="started" if number == 1 else "",
            status=ReportStatus.DRAFT,
        )
        for number, key in enumerate(PROJECTS)
    ]

    with CaptureQueriesContext(connection) as captured:
        inserted = bulk_insert(MonthlyReport, reports)
    assert len(inserted) == len(reports)
    assert all(given is back for given, back in zip(reports, inserted, strict=True))
    assert len(captured) <= 2  # ids and COPY on PostgreSQL, or one INSERT

    assert all(report.pk for report in reports)
    assert len({report.pk for report in reports}) == len(reports)
    for number, report in enumerate(reports):
        stored = MonthlyReport.objects.get(pk=report.pk)
        assert stored.project_id == library[PROJECTS[number]].pk
        assert stored.investment_this_month == Decimal("1234.56") + number
        assert stored.physical_progress == f"主体结构施工，第{number}层"
        assert stored.percent_complete == Decimal("12.5")
        assert stored.stage_date == (datetime.date(2026, 9, 30) if number == 1 else None)
        assert stored.status == ReportStatus.DRAFT and stored.created_by == filer
        assert stored.created_at is not None and stored.updated_at is not None
        assert stored.submitted_by is None and stored.issue is None

    # the rows' ids were drawn from the table's own sequence: the next row gets a new one
    later = MonthlyReport.objects.create(
        project=library[PROJECTS[0]], period="2026-10", created_by=filer
    )
    assert later.pk > max(report.pk for report in reports)

    # and they can be referred to at once, as the import's events do
    events = bulk_insert(
        ProgressEvent,
        [
            ProgressEvent(
                report=report,
                action=ProgressAction.IMPORT,
                from_status="",
                to_status=report.status,
                actor=filer,
            )
            for report in reports
        ],
    )
    assert {event.report_id for event in events} == {report.pk for report in reports}
    assert ProgressEvent.objects.filter(report__in=reports).count() == len(reports)
    stored = ProgressEvent.objects.filter(pk__in=[event.pk for event in events])
    assert all(event.at is not None for event in stored)


def test_nothing_to_insert_makes_no_query(db):
    with CaptureQueriesContext(connection) as captured:
        assert bulk_insert(MonthlyReport, []) == []
    assert len(captured) == 0
