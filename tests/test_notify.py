"""Notifications as people receive them: in the platform (the bell), by e-mail through a real
SMTP server on 127.0.0.1, and on a unit's group robot through a real HTTP receiver; quiet
hours, the daily digest, exactly once, and nobody told about what they cannot open."""

import datetime
import email
import json
import socket
import threading
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from core import events
from issues import services as issue_services
from issues.models import Issue
from notify import listener, tasks
from notify.models import Delivery, DeliveryStatus, Notification, Preference, UnitChannel

from . import factories
from .conftest import clock_at

D = datetime.date


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content)
        self.messages.append(
            {
                "to": envelope.rcpt_tos,
                "subject": str(make_header(decode_header(message["Subject"]))),
                "body": message.get_payload(decode=True).decode("utf-8"),
            }
        )
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    server.stop()


class Receiver(BaseHTTPRequestHandler):
    posts: list

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        self.posts.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    posts = []
    handler = type("Handler", (Receiver,), {"posts": posts})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}/robot", posts
    server.shutdown()
    server.server_close()


@pytest.fixture
def cast(db, settings):
    settings.NOTIFY_OUTBOX = ""
    office = factories.office("320281")
    dept = factories.unit("江阴市自然资源和规划局", "320281", kind=Unit.Kind.DEPARTMENT)
    company = factories.unit("江阴澄新新材料科技有限公司", "320281")
    staff = factories.user(
        "office", "320281", ["office_staff"], office, email="office@example.invalid"
    )
    liaison = factories.user(
        "liaison", "320281", ["department_liaison"], dept, email="liaison@example.invalid"
    )
    filer = factories.user("filer", "320281", ["county_filer"], email="filer@example.invalid")
    contact = factories.user(
        "contact", "320281", ["project_unit_contact"], company, email="contact@example.invalid"
    )
    project = factories.project("320281", by=staff, unit_obj=company, name="江阴储能电站")
    return {
        "office": staff,
        "liaison": liaison,
        "filer": filer,
        "contact": contact,
        "dept": dept,
        "project": project,
    }


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Run the code given with the commit callbacks executed (the listeners hear it)."""

    def run(step):
        with django_capture_on_commit_callbacks(execute=True):
            return step()

    return run


def reported(cast, told) -> Issue:
    return told(
        lambda: issue_services.issue_report(
            by=cast["filer"], project=cast["project"], title="用地指标不足", category="land_sea"
        )
    )


def assigned(cast, told) -> Issue:
    issue = reported(cast, told)
    told(lambda: issue_services.issue_accept(issue=issue, by=cast["office"]))
    return told(
        lambda: issue_services.issue_assign(
            issue=issue,
            by=cast["office"],
            unit=cast["dept"],
            responsible_leader="王局长",
            responsible_person="李科长",
            solution="调剂用地指标",
            deadline=D(2026, 12, 4),
        )
    )


@pytest.mark.clock(D(2026, 11, 23))
def test_a_task_assigned_reaches_the_liaison_in_the_platform_and_by_email(cast, told, smtp):
    issue = assigned(cast, told)
    note = Notification.objects.get(user=cast["liaison"], event="issue.assign")
    assert note.title == "交办任务：用地指标不足"
    assert "责任领导：王局长" in note.body and "办结时限：2026-12-04" in note.body
    assert note.url == issue.get_absolute_url()
    # the office that reported it heard of the new issue; nobody hears of their own step
    assert Notification.objects.filter(user=cast["office"], event="issue.report").exists()
    assert not Notification.objects.filter(user=cast["office"], event="issue.assign").exists()

    assert tasks.send_due() >= 1
    mails = [m for m in smtp.messages if m["to"] == ["liaison@example.invalid"]]
    assert [m["subject"] for m in mails] == ["交办任务：用地指标不足"]
    assert f"/issues/{issue.pk}/" in mails[0]["body"]
    assert Delivery.objects.get(user=cast["liaison"], event="issue.assign").status == "sent"


@pytest.mark.clock(D(2026, 11, 23))
def test_the_units_group_robot_hears_its_tasks(cast, told, robot):
    url, posts = robot
    UnitChannel.objects.create(unit=cast["dept"], name="自然资源局工作群", url=url)
    assigned(cast, told)
    tasks.send_due()
    assert [post["body"]["title"] for post in posts] == ["交办任务：用地指标不足"]
    assert "李科长" in posts[0]["body"]["message"]
    delivery = Delivery.objects.get(channel="robot")
    assert delivery.status == "sent" and "127.0.0.1" in delivery.target


def test_quiet_hours_hold_a_message_and_urgent_ones_go_at_once(cast, told, smtp):
    def subjects():
        return [m["subject"] for m in smtp.messages if m["to"] == ["liaison@example.invalid"]]

    with clock_at(D(2026, 11, 23), hour=23):
        assigned(cast, told)
        tasks.send_due()
        held = Delivery.objects.get(user=cast["liaison"], event="issue.assign")
        assert held.status == DeliveryStatus.HELD
        assert timezone.localtime(held.not_before) == timezone.localtime(held.not_before).replace(
            year=2026, month=11, day=24, hour=7, minute=30, second=0, microsecond=0
        )
        assert subjects() == []
    with clock_at(D(2026, 11, 24), hour=8):
        tasks.send_due()
        assert subjects() == ["交办任务：用地指标不足"]
    with clock_at(D(2026, 12, 8), hour=23):  # past the deadline: overdue and 通报 are urgent
        told(lambda: issue_services.sweep(D(2026, 12, 8)))
        tasks.send_due()
        assert "已逾期：用地指标不足" in subjects()
        assert "通报：用地指标不足 逾期未办结" in subjects()


@pytest.mark.clock(D(2026, 11, 23))
def test_a_digest_gathers_the_days_messages_in_one_email(cast, told, smtp):
    Preference.objects.create(user=cast["office"], digest=True)
    reported(cast, told)
    told(
        lambda: issue_services.issue_report(
            by=cast["filer"], project=cast["project"], title="电力接入慢", category="utilities"
        )
    )
    assert tasks.send_due() == 0 or not [m for m in smtp.messages if "office" in m["to"][0]]
    assert tasks.send_digests() == 1
    (mail,) = [m for m in smtp.messages if m["to"] == ["office@example.invalid"]]
    assert mail["subject"] == "每日通知汇总（2条）"
    assert "用地指标不足" in mail["body"] and "电力接入慢" in mail["body"]
    assert tasks.send_digests() == 0


@pytest.mark.clock(D(2026, 11, 23))
def test_a_happening_heard_twice_is_stored_and_sent_once(cast, told, smtp):
    issue = reported(cast, told)
    heard = events.DomainEvent(
        name="issue.report",
        object_type="issues.issue",
        object_id=issue.pk,
        key=f"issue.report:issues.issueevent:{issue.events.get().pk}",
        region="320281",
    )
    listener.on_event(heard)  # the same event a second time (a redelivered message)
    assert Notification.objects.filter(user=cast["office"], event="issue.report").count() == 1
    (delivery,) = Delivery.objects.filter(user=cast["office"], event="issue.report")
    assert tasks.deliver(delivery.pk) == "sent"
    assert tasks.deliver(delivery.pk) == "skipped"  # a second worker finds it taken
    assert len([m for m in smtp.messages if m["to"] == ["office@example.invalid"]]) == 1


@pytest.mark.clock(D(2026, 11, 23))
def test_nobody_is_told_about_what_they_cannot_open(cast, told):
    elsewhere = factories.user(
        "contact_elsewhere",
        "321322",
        ["project_unit_contact"],
        cast["project"].unit,
        email="x@example.invalid",
    )
    issue = assigned(cast, told)
    told(lambda: issue_services.issue_start(issue=issue, by=cast["liaison"]))
    told(lambda: issue_services.issue_resolve(issue=issue, by=cast["liaison"], resolution="已调剂"))
    assert Notification.objects.filter(user=cast["contact"], event="issue.resolve").exists()
    assert not Notification.objects.filter(user=elsewhere).exists()
    assert not Delivery.objects.filter(user=elsewhere).exists()


@pytest.mark.clock(D(2026, 11, 23))
def test_a_muted_event_stays_in_the_platform_only(cast, told, client):
    client.force_login(cast["office"])
    page = client.get(reverse("notify:preferences"))
    assert page.status_code == 200 and "免打扰" in page.content.decode()
    saved = client.post(
        reverse("notify:preferences"),
        {"email": "on", "quiet_start": "22:00", "quiet_end": "07:30", "muted": ["issue.report"]},
    )
    assert saved.status_code == 302
    reported(cast, told)
    assert Notification.objects.filter(user=cast["office"], event="issue.report").exists()
    assert not Delivery.objects.filter(user=cast["office"]).exists()
    refused = client.post(reverse("notify:preferences"), {"quiet_start": "25:00"})
    assert refused.status_code == 400


@pytest.mark.clock(D(2026, 11, 23))
def test_the_bell_counts_unread_and_opening_one_reads_it(cast, told, client):
    issue = reported(cast, told)
    client.force_login(cast["office"])
    page = client.get(reverse("notify:centre")).content.decode()
    assert "新问题待受理：用地指标不足" in page and 'aria-label="未读">1<' in page
    note = Notification.objects.get(user=cast["office"])
    opened = client.get(reverse("notify:open", args=[note.pk]))
    assert opened.status_code == 302 and opened["Location"] == issue.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'aria-label="未读"' not in client.get(reverse("notify:centre")).content.decode()
    client.force_login(cast["filer"])
    assert client.get(reverse("notify:open", args=[note.pk])).status_code == 404
    reported(cast, told)
    client.force_login(cast["office"])
    client.post(reverse("notify:read-all"))
    assert not Notification.objects.filter(user=cast["office"], read_at__isnull=True).exists()


@pytest.mark.clock(D(2026, 11, 23))
def test_a_failing_channel_is_retried_with_back_off_then_given_up_and_logged(
    cast, told, settings, client
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.NOTIFY_MAX_ATTEMPTS = 3
    reported(cast, told)
    delivery = Delivery.objects.get(user=cast["office"])
    assert tasks.deliver(delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error
    wait = delivery.not_before - timezone.now()
    assert datetime.timedelta(seconds=55) < wait <= datetime.timedelta(minutes=1)
    assert tasks.deliver(delivery.pk) == "skipped"  # not due yet
    for minutes in (2, 5):
        later = timezone.now() + datetime.timedelta(minutes=minutes)
        with time_machine.travel(later, tick=True):
            tasks.send_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3

    client.force_login(cast["office"])
    log = client.get(reverse("notify:deliveries"), {"status": "failed"})
    assert log.status_code == 200 and "新问题待受理：用地指标不足" in log.content.decode()
    client.force_login(cast["filer"])
    assert client.get(reverse("notify:deliveries")).status_code == 403


def test_old_notifications_are_forgotten(cast, told):
    with clock_at(D(2026, 5, 1)):
        reported(cast, told)
    with clock_at(D(2026, 11, 23)):
        reported(cast, told)
        assert tasks.purge() == 1
    assert Notification.objects.filter(user=cast["office"]).count() == 1


@pytest.mark.clock(D(2026, 11, 23))
def test_an_office_sets_up_a_units_robot_in_its_region_only(cast, told, client, robot):
    url, posts = robot
    client.force_login(cast["office"])
    refused = client.post(
        reverse("notify:unit-channel-new"),
        {"unit": cast["dept"].pk, "name": "工作群", "url": "nonsense", "active": "on"},
    )
    assert refused.status_code == 400 and "无法识别的推送地址" in refused.content.decode()
    other = factories.unit("沭阳县自然资源局", "321322", kind=Unit.Kind.DEPARTMENT)
    outside = client.post(
        reverse("notify:unit-channel-new"),
        {"unit": other.pk, "name": "工作群", "url": url, "active": "on"},
    )
    assert outside.status_code == 400 and not UnitChannel.objects.exists()
    made = client.post(
        reverse("notify:unit-channel-new"),
        {"unit": cast["dept"].pk, "name": "工作群", "url": url, "active": "on"},
    )
    assert made.status_code == 302
    channel = UnitChannel.objects.get()
    assert "工作群" in client.get(reverse("notify:unit-channels")).content.decode()
    assigned(cast, told)
    tasks.send_due()
    assert [post["body"]["title"] for post in posts] == ["交办任务：用地指标不足"]

    elsewhere = factories.user("office_sy", "321322", ["office_staff"], factories.office("321322"))
    client.force_login(elsewhere)
    assert client.get(reverse("notify:unit-channel", args=[channel.pk])).status_code == 404
    client.force_login(cast["filer"])
    assert client.get(reverse("notify:unit-channels")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_mail_of_a_real_commit(transactional_db, smtp, settings):
    """The whole way: the step commits, the listener stores and queues, a Celery worker on the
    configured broker sends through the SMTP server."""
    import time

    from .conftest import celery_worker

    settings.NOTIFY_OUTBOX = ""
    office = factories.office("320281")
    factories.user("office", "320281", ["office_staff"], office, email="office@example.invalid")
    filer = factories.user("filer", "320281", ["county_filer"])
    project = factories.project("320281", by=filer, name="江阴储能电站")
    from config.celery_app import app

    app.control.purge()  # what earlier tests left queued is not this test's
    with clock_at(D(2026, 11, 23)):
        issue_services.issue_report(
            by=filer, project=project, title="用地指标不足", category="land_sea"
        )  # committed: the delivery waits in the queue for a worker
        assert Delivery.objects.get().status == "pending" and smtp.messages == []
        with celery_worker():
            for _wait in range(300):  # a busy machine's worker takes its time
                if smtp.messages and Delivery.objects.filter(status="sent").exists():
                    break
                time.sleep(0.1)
    assert [m["subject"] for m in smtp.messages] == ["新问题待受理：用地指标不足"]
    assert Delivery.objects.get().status == "sent"
