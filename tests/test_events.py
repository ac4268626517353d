"""The one event stream and the one workflow mechanism, as a listener and a reader of the code
see them: every step is published once it commits, with where it happened and for whom; a
failing listener breaks nothing; every name is in the catalogue and in the README's table."""

import logging
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, transaction

from approvals import services as approval_services
from core import events
from core.exceptions import DomainError, NotPermitted
from core.models import WorkflowEvent
from core.workflow import Workflow
from funding import services as funding_services
from issues import services as issue_services
from issues.models import Issue
from progress import services as progress_services
from projects import services as project_services
from reports import services as report_services

from . import factories

README = Path(__file__).resolve().parent.parent / "README.md"

WORKFLOWS = [
    issue_services.WORKFLOW,
    approval_services.WORKFLOW,
    progress_services.WORKFLOW,
    funding_services.REITS_WORKFLOW,
    funding_services.MATCH_WORKFLOW,
    project_services.STAGE_WORKFLOW,
    report_services.WORKFLOW,
]


@pytest.fixture
def cast(db):
    office = factories.office("320281")
    staff = factories.user("staff", "320281", ["office_staff"], unit_obj=office)
    filer = factories.user("filer", "320281", ["county_filer"])
    project = factories.project("320281", by=staff, name="江阴储能电站")
    return {"office": office, "staff": staff, "filer": filer, "project": project}


def report(cast) -> Issue:
    return issue_services.issue_report(
        by=cast["filer"], project=cast["project"], title="用地指标不足", category="land_sea"
    )


def test_a_step_is_heard_after_it_commits_with_where_and_for_whom(
    cast, heard, django_capture_on_commit_callbacks
):
    issue = report(cast)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        issue_services.issue_accept(issue=issue, by=cast["staff"], comment="受理")
    assert heard == []  # not before the commit
    for callback in pending:
        callback()
    (accepted,) = heard
    assert accepted.name == "issue.accept"
    assert (accepted.object_type, accepted.object_id) == ("issues.issue", issue.pk)
    assert accepted.project_id == cast["project"].pk
    assert accepted.region == "320281"
    assert cast["project"].unit_id in accepted.units
    assert accepted.actor_id == cast["staff"].pk
    assert accepted.payload == {"from": "reported", "to": "accepted", "comment": "受理"}


def test_a_refused_or_rolled_back_step_is_never_heard(
    cast, heard, django_capture_on_commit_callbacks
):
    issue = report(cast)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(DomainError):
            issue_services.issue_close(issue=issue, by=cast["staff"])  # not confirmed yet
        with pytest.raises(RuntimeError), transaction.atomic():
            issue_services.issue_accept(issue=issue, by=cast["staff"])
            raise RuntimeError("the caller's transaction fails afterwards")
    assert heard == []
    issue.refresh_from_db()
    assert issue.status == "reported"


def test_a_failing_listener_is_logged_and_breaks_nothing(
    cast, heard, caplog, django_capture_on_commit_callbacks
):
    def broken(event):
        raise ValueError("the mail server is down")

    events.subscribe("issue.accept")(broken)
    try:
        issue = report(cast)
        with caplog.at_level(logging.ERROR, logger="core.events"):
            with django_capture_on_commit_callbacks(execute=True):
                issue_services.issue_accept(issue=issue, by=cast["staff"])
    finally:
        events.unsubscribe(broken)
    issue.refresh_from_db()
    assert issue.status == "accepted"
    assert [event.name for event in heard] == ["issue.accept"]  # the others still hear it
    assert "issue.accept" in caplog.text and "the mail server is down" in caplog.text


def test_the_sweeps_marks_are_published_too(cast, heard, django_capture_on_commit_callbacks):
    import datetime

    issue = report(cast)
    issue_services.issue_accept(issue=issue, by=cast["staff"])
    dept = factories.unit("江阴市自然资源局", "320281", kind="department")
    issue_services.issue_assign(
        issue=issue,
        by=cast["staff"],
        unit=dept,
        responsible_leader="王局长",
        responsible_person="李科长",
        solution="调剂指标",
    )
    issue.refresh_from_db()
    late = issue.deadline + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.sweep(late)
    names = [event.name for event in heard]
    assert "issue.overdue" in names and "issue.notice" in names
    notice = next(event for event in heard if event.name == "issue.notice")
    assert dept.pk in notice.units and notice.actor_id is None


def test_an_unlisted_name_cannot_be_published_or_subscribed(cast):
    with pytest.raises(events.UnknownEvent):
        events.publish("issue.teleported", cast["project"])
    with pytest.raises(events.UnknownEvent):
        events.subscribe("issue.teleported")


def test_every_workflow_step_is_in_the_catalogue():
    for workflow in WORKFLOWS:
        assert isinstance(workflow, Workflow)
        for action in workflow.table.values():
            assert f"{workflow.name}.{action.event_kind}" in events.CATALOGUE, action.name


def test_the_readme_lists_exactly_the_catalogue():
    text = README.read_text(encoding="utf-8")
    section = text.split("## 事件", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_.]+)` \| (.+?) \| (.+?) \|$", section, re.MULTILINE)
    assert {name: (when, who) for name, when, who in rows} == {
        name: (entry.when, entry.concerned) for name, entry in events.CATALOGUE.items()
    }


def test_allowed_actions_come_from_the_table_and_match_what_perform_accepts(cast):
    issue = report(cast)
    assert issue_services.allowed_actions(issue, cast["staff"]) == [
        "accept",
        "escalate",
        "reject",
    ]
    assert issue_services.allowed_actions(issue, cast["filer"]) == []
    with pytest.raises(NotPermitted) as refused:
        issue_services.issue_accept(issue=issue, by=cast["filer"])
    assert refused.value.code == "not_permitted"


EVENT_MODELS = [
    model
    for model in apps.get_models()
    if issubclass(model, WorkflowEvent) and not model._meta.abstract
]


def test_every_workflow_writes_an_event_table():
    tables = set(EVENT_MODELS)
    for workflow in WORKFLOWS:
        assert workflow.event_model in tables, workflow.name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda model: model._meta.label)
def test_the_database_keeps_every_event_table_append_only(db, model):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgtype FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal",
            [f"{model._meta.db_table}_append_only"],
        )
        found = cursor.fetchall()
    assert found, f"{model._meta.db_table} has no append-only trigger"


def test_an_event_travels_as_json_and_keeps_its_key(
    cast, heard, django_capture_on_commit_callbacks
):
    import json

    issue = report(cast)
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.issue_accept(issue=issue, by=cast["staff"])
    (event,) = heard
    again = events.DomainEvent.from_dict(json.loads(json.dumps(event.as_dict())))
    assert again == event
    row = issue.events.get(kind="accept")
    assert event.key == f"issue.accept:issues.issueevent:{row.pk}"


def test_a_new_meeting_tells_that_its_agenda_is_ready(
    cast, heard, django_capture_on_commit_callbacks
):
    import datetime

    with django_capture_on_commit_callbacks(execute=True):
        meeting = issue_services.meeting_create(by=cast["staff"], date=datetime.date(2026, 11, 27))
    (event,) = heard
    assert (event.name, event.object_id, event.region) == ("meeting.agenda", meeting.pk, "320281")
