"""Approvals near or past their promised date (SPEC §7, §15): the daily job tells the
handling department once per approval and promise date (approval.due, approval.overdue), writes
no status step, tells again after a new acceptance, and two jobs at once tell once. Every date
is pinned."""

import datetime
import threading

import pytest
from django.db import connection, connections

from approvals import services as approval_services
from approvals.models import Approval, ApprovalEvent, ApprovalKind
from approvals.tasks import announce_due_approvals

from .conftest import clock_at

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def cast(people, library):
    return {**people, "project": library["jiangyin_other"]}


def days(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def accepted_approval(cast, on) -> Approval:
    item = approval_services.approval_create(
        by=cast["province_office"],
        project=cast["project"],
        kind=ApprovalKind.objects.get(code="land"),
    )
    for status in ("submitted", "accepted"):
        item = approval_services.approval_transition(
            approval=item, by=cast["province_office"], status=status, date=on
        )
    return item


def announce_daily(first, last) -> dict:
    told = {}
    for day in days(first, last):
        with clock_at(day, 7):
            said = approval_services.announce_due(day)
            assert approval_services.announce_due(day) == {"due": 0, "overdue": 0}
        if any(said.values()):
            told[day] = said
    return told


def test_an_approval_near_or_past_its_promise_is_told_once_per_promised_date(
    cast, heard, django_capture_on_commit_callbacks
):
    with clock_at(D(2026, 9, 29)):
        item = accepted_approval(cast, D(2026, 9, 29))
    assert item.promise_due_on == D(2026, 11, 2)  # 20 working days, across the holiday
    rows = ApprovalEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        told = announce_daily(D(2026, 10, 20), D(2026, 11, 10))
    # 3 working days or fewer before Monday 2 Nov: from Wednesday 28 Oct; past it on 3 Nov
    assert told == {
        D(2026, 10, 28): {"due": 1, "overdue": 0},
        D(2026, 11, 3): {"due": 0, "overdue": 1},
    }
    assert ApprovalEvent.objects.count() == rows  # no status steps for these
    said = [event for event in heard if event.name in ("approval.due", "approval.overdue")]
    assert [(e.name, e.payload["remaining_workdays"]) for e in said] == [
        ("approval.due", 3),
        ("approval.overdue", -1),
    ]
    assert said[0].payload["promise_due_on"] == "2026-11-02"
    assert item.unit_id in said[0].units and said[0].project_id == cast["project"].pk
    item.refresh_from_db()
    assert (item.due_told_for, item.overdue_told_for) == (D(2026, 11, 2), D(2026, 11, 2))

    # returned for correction and accepted again: a new promise, told again
    for status, on in (("returned", D(2026, 11, 10)), ("submitted", D(2026, 11, 11))):
        with clock_at(on):
            item = approval_services.approval_transition(
                approval=item, by=cast["province_office"], status=status, date=on
            )
    with clock_at(D(2026, 11, 12)):
        item = approval_services.approval_transition(
            approval=item, by=cast["province_office"], status="accepted", date=D(2026, 11, 12)
        )
    assert item.promise_due_on == D(2026, 12, 10)
    with django_capture_on_commit_callbacks(execute=True):
        told = announce_daily(D(2026, 11, 12), D(2026, 12, 31))
    assert told == {
        D(2026, 12, 7): {"due": 1, "overdue": 0},  # Monday: 8, 9, 10 Dec are left
        D(2026, 12, 11): {"due": 0, "overdue": 1},
    }

    # decided: nothing more to tell
    with clock_at(D(2026, 12, 31)):
        approval_services.approval_transition(
            approval=item, by=cast["province_office"], status="approved", date=D(2026, 12, 31),
            document_no="苏自然资复〔2026〕1号",
        )  # fmt: skip
    assert announce_daily(D(2026, 12, 31), D(2026, 12, 31)) == {}


def test_the_daily_approval_job_is_scheduled_and_runs_the_same_code(cast, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["approvals-due"]
    assert entry["task"] == announce_due_approvals.name == "approvals.tasks.announce_due_approvals"
    with clock_at(D(2026, 9, 29)):
        accepted_approval(cast, D(2026, 9, 29))
    assert announce_due_approvals("2026-11-03") == {"due": 0, "overdue": 1}
    assert announce_due_approvals("2026-11-03") == {"due": 0, "overdue": 0}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_approval_jobs_at_the_same_time_tell_once(transactional_db, cast):
    with clock_at(D(2026, 9, 29)):
        accepted_approval(cast, D(2026, 9, 29))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(approval_services.announce_due(D(2026, 11, 3)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(result["overdue"] for result in results) == [0, 1]
