"""Webhooks for other systems and the 12345 hotline's feedback, against a real HTTP receiver on
127.0.0.1 that checks every signature the way the README tells receivers to: signed JSON after
commit (never on rollback), only the events and the region subscribed, once per event however
often it is told, retried with back-off for a day and then paused with its owner told; the
hotline's callback with the ticket number; the page and the API within scope; one delivery
through a real Celery worker."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import pytest
import time_machine
from django.db import transaction

from config.celery_app import app as celery_app
from issues import services as issue_services
from webhooks import delivery, services, signing, tasks
from webhooks.models import Attempt, Delivery, DeliveryStatus, Kind, Subscription

from . import factories
from .conftest import SHANGHAI, celery_worker

pytestmark = pytest.mark.clock(datetime.date(2026, 11, 23))


# --- a receiver on 127.0.0.1 -----------------------------------------------------------------


class Receiver:
    """An HTTP server in a thread: checks each post's signature with the secret of its path
    (HMAC-SHA256 over ``t + "." + body``, at most five minutes old), keeps what came and
    answers ``answers`` in turn, then ``status``. A bad signature is answered 401."""

    def __init__(self):
        self.got: list[dict] = []
        self.secrets: dict[str, str] = {}
        self.answers: list[int] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = receiver.check(self.path, self.headers.get("X-Signature", ""), body)
                with receiver.lock:
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.status
                    if not valid:
                        answer = 401
                    receiver.got.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": json.loads(body),
                            "valid": valid,
                            "answer": answer,
                        }
                    )
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def check(self, path: str, header: str, body: bytes) -> bool:
        """What the README's receiver example does."""
        secret = self.secrets.get(path)
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        if not secret or "t" not in parts or "v1" not in parts:
            return False
        if abs(time.time() - int(parts["t"])) > 300:
            return False
        expected = hmac.new(
            secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def posts(self, path: str = "/hook") -> list[dict]:
        with self.lock:
            return [post for post in self.got if post["path"] == path]


@pytest.fixture
def receiver():
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()
    running.thread.join(5)


@pytest.fixture
def eager():
    """Tasks queued at commit run at once, in this process."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


def subscribe(receiver, owner, region: str, names, path: str = "/hook") -> Subscription:
    from accounts.models import Region

    subscription = services.subscription_create(
        by=owner,
        name=f"接收方{path}",
        url=receiver.url(path),
        events=names,
        region=Region.objects.get(code=region),
    )
    receiver.secrets[path] = subscription.secret
    return subscription


def report(people, project, title="用地指标不足"):
    return issue_services.issue_report(
        by=people["province_office"], project=project, title=title, category="land_sea"
    )


# --- delivery --------------------------------------------------------------------------------


def test_a_change_is_posted_signed_once_it_commits_and_never_on_rollback(
    people, library, receiver, eager, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver, people["city_office"], "320200", ["issue.*"])
    issue = report(people, library["jiangyin_other"])

    with django_capture_on_commit_callbacks(execute=False) as pending:
        issue_services.issue_accept(issue=issue, by=people["county_office"], comment="受理")
    assert receiver.got == [] and not Delivery.objects.exists()  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()

    (post,) = receiver.posts()
    assert post["valid"] and post["answer"] == 200
    body = post["body"]
    row = issue.events.get(kind="accept")
    assert body["name"] == "issue.accept"
    assert (body["object_type"], body["object_id"]) == ("issues.issue", issue.pk)
    assert body["key"] == f"issue.accept:issues.issueevent:{row.pk}"
    assert body["region"] == "320281" and body["project_id"] == library["jiangyin_other"].pk
    assert body["payload"] == {"from": "reported", "to": "accepted", "comment": "受理"}
    assert body["url"].endswith(f"/issues/{issue.pk}/")
    assert post["headers"]["X-Event-Id"] == body["key"]
    assert post["headers"]["X-Event-Name"] == "issue.accept"
    assert post["headers"]["Content-Type"].startswith("application/json")
    assert signing.verify(subscription.secret, post["headers"]["X-Signature"], b"x") is False
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 1, 200)
    (attempt,) = sent.attempt_log.all()
    assert attempt.ok and attempt.status_code == 200 and attempt.duration_ms >= 0

    other = report(people, library["jiangyin_other"], title="电力接入慢")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            issue_services.issue_accept(issue=other, by=people["county_office"])
            raise RuntimeError("the caller's transaction fails afterwards")
    assert len(receiver.got) == 1
    assert Delivery.objects.count() == 1


def test_only_the_events_and_the_region_subscribed_are_sent(
    people, library, receiver, eager, django_capture_on_commit_callbacks
):
    shuyang_office = factories.user(
        "shuyang_office", "321322", ["office_staff"], factories.office("321322")
    )
    wuxi = subscribe(receiver, people["city_office"], "320200", ["issue.accept"], "/wuxi")
    suqian = subscribe(receiver, people["province_office"], "321300", ["issue.*"], "/suqian")
    jiangyin = report(people, library["jiangyin_other"])
    shuyang = report(people, library["shuyang"])
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.issue_accept(issue=jiangyin, by=people["county_office"])
        issue_services.issue_accept(issue=shuyang, by=shuyang_office)
        issue_services.issue_reject(issue=jiangyin, by=people["county_office"], reason="重复")

    assert [p["body"]["object_id"] for p in receiver.posts("/wuxi")] == [jiangyin.pk]
    assert [p["body"]["name"] for p in receiver.posts("/wuxi")] == ["issue.accept"]
    assert [p["body"]["object_id"] for p in receiver.posts("/suqian")] == [shuyang.pk]
    assert all(post["valid"] for post in receiver.got)
    assert set(Delivery.objects.values_list("subscription", "event_name")) == {
        (wuxi.pk, "issue.accept"),
        (suqian.pk, "issue.accept"),
    }


def test_an_event_told_twice_is_delivered_once(
    people, library, receiver, eager, django_capture_on_commit_callbacks
):
    subscribe(receiver, people["city_office"], "320200", ["*"])
    issue = report(people, library["jiangyin_other"])
    with django_capture_on_commit_callbacks(execute=False) as pending:
        issue_services.issue_accept(issue=issue, by=people["county_office"])
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()
            callback()  # the stream tells it again (a retried listener, a second worker)
    assert len(receiver.got) == 1
    sent = Delivery.objects.get()
    assert delivery.attempt(sent.pk) is None  # delivered: a late task sends nothing
    assert Delivery.objects.count() == 1 and len(receiver.got) == 1


def test_a_failing_receiver_is_retried_with_back_off_for_a_day_then_paused_and_its_owner_told(
    people, library, receiver, eager, heard, django_capture_on_commit_callbacks, client
):
    owner = people["city_office"]
    receiver.status = 503
    start = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        subscription = subscribe(receiver, owner, "320200", ["issue.accept"])
        issue = report(people, library["jiangyin_other"])
        with django_capture_on_commit_callbacks(execute=True):
            issue_services.issue_accept(issue=issue, by=people["county_office"])
        sent = Delivery.objects.get()
        assert sent.attempts == 1
        assert sent.next_attempt_at == start + datetime.timedelta(minutes=1)
        assert sent.expires_at == start + datetime.timedelta(hours=24)

        clock.move_to(start + datetime.timedelta(seconds=30))
        assert tasks.send_due() == 0  # not due yet

        while sent.status == DeliveryStatus.PENDING:
            clock.move_to(sent.next_attempt_at)
            with django_capture_on_commit_callbacks(execute=True):
                assert tasks.send_due() == 1
            sent.refresh_from_db()

    times = list(Attempt.objects.filter(delivery=sent).values_list("at", flat=True))
    minutes = [round((b - a).total_seconds() / 60) for a, b in pairwise(times)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 209]
    assert times[-1] == start + datetime.timedelta(hours=24)
    assert len(receiver.got) == 13 and all(post["valid"] for post in receiver.got)
    assert [p["headers"]["X-Delivery-Attempt"] for p in receiver.got] == [
        str(n) for n in range(1, 14)
    ]
    assert {p["headers"]["X-Event-Id"] for p in receiver.got} == {sent.event_key}
    assert sent.status == "failed" and sent.last_status_code == 503

    subscription.refresh_from_db()
    assert not subscription.active
    assert "24小时内的13次发送全部失败" in subscription.pause_reason
    (paused,) = [event for event in heard if event.name == "webhook.paused"]
    assert paused.object_type == "webhooks.subscription" and paused.object_id == subscription.pk
    assert paused.payload["owner"] == owner.pk and paused.region == "320200"

    client.force_login(owner)
    page = client.get("/webhooks/").content.decode()
    assert "已暂停的订阅" in page and "13次发送全部失败" in page

    # paused: an event waits; resumed within its window, it goes out at once
    receiver.status = 200
    later = report(people, library["jiangyin_other"], title="电力接入慢")
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.issue_accept(issue=later, by=people["county_office"])
        assert tasks.send_due() == 0
    assert len(receiver.got) == 13
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_resume(subscription, by=owner)
    assert receiver.got[-1]["body"]["object_id"] == later.pk and receiver.got[-1]["answer"] == 200
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0


def test_consecutive_failures_pause_when_the_setting_asks(
    people, library, receiver, eager, heard, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    receiver.status = 500
    subscription = subscribe(receiver, people["city_office"], "320200", ["issue.*"])
    first = report(people, library["jiangyin_other"])
    second = report(people, library["jiangyin_enterprise_1"])
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.issue_accept(issue=first, by=people["county_office"])
        issue_services.issue_accept(issue=second, by=people["county_office"])
    subscription.refresh_from_db()
    assert not subscription.active and subscription.pause_reason == "连续2次发送失败。"
    assert [event.name for event in heard].count("webhook.paused") == 1


def test_the_hotline_gets_each_status_change_of_its_tickets(
    people, library, receiver, eager, settings, api, django_capture_on_commit_callbacks
):
    settings.HOTLINE_CALLBACK_URL = receiver.url("/12345")
    settings.HOTLINE_CALLBACK_SECRET = receiver.secrets["/12345"] = "hotline-shared-secret"
    with django_capture_on_commit_callbacks(execute=True):
        ticket, created = issue_services.issue_intake(
            by=people["api_client"],
            source="hotline_12345",
            external_id="SZ12345-2026-000871",
            region_code="320281",
            title="企业反映施工用电迟迟未接入",
            category="utilities",
        )
        other = report(people, library["jiangyin_other"])
        issue_services.issue_accept(issue=ticket, by=people["county_office"], comment="已受理")
        issue_services.issue_accept(issue=other, by=people["county_office"])
        issue_services.issue_escalate(issue=ticket, by=people["county_office"], reason="需市级协调")
    assert created

    posts = receiver.posts("/12345")
    assert all(post["valid"] for post in posts)
    assert [p["body"]["event"] for p in posts] == ["issue.accept", "issue.escalate"]
    accepted, escalated = (p["body"] for p in posts)
    assert accepted["external_id"] == "SZ12345-2026-000871" and accepted["issue_id"] == ticket.pk
    assert (accepted["status"], accepted["status_label"]) == ("accepted", "已受理")
    assert accepted["previous_status"] == "reported" and accepted["comment"] == "已受理"
    assert accepted["url"].endswith(f"/issues/{ticket.pk}/")
    assert (escalated["status"], escalated["level"]) == ("reported", "city")
    assert escalated["comment"] == "需市级协调"
    assert posts[0]["headers"]["X-Event-Id"] == accepted["event_id"]
    hotline = Subscription.objects.get(kind=Kind.HOTLINE)
    assert hotline.url == settings.HOTLINE_CALLBACK_URL and hotline.owner is None
    assert set(Delivery.objects.values_list("subscription", flat=True)) == {hotline.pk}

    # the settings decide its address and secret: a system administrator may pause it only
    admin = api.as_user(people["admin"])
    refused = admin.patch(f"/api/v1/webhooks/{hotline.pk}/", {"url": "https://x.example/"})
    assert refused.status_code == 400 and refused.json()["code"] == "hotline_settings"
    assert admin.delete(f"/api/v1/webhooks/{hotline.pk}/").status_code == 400
    assert (
        admin.patch(f"/api/v1/webhooks/{hotline.pk}/", {"active": False}).json()["active"] is False
    )
    assert (
        api.as_user(people["province_office"]).get(f"/api/v1/webhooks/{hotline.pk}/").status_code
        == 404
    )


def test_without_a_callback_address_the_hotline_is_not_told(
    people, receiver, eager, settings, django_capture_on_commit_callbacks
):
    settings.HOTLINE_CALLBACK_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        ticket, _ = issue_services.issue_intake(
            by=people["api_client"],
            source="hotline_12345",
            external_id="SZ12345-2026-000872",
            region_code="320281",
            title="道路开口审批慢",
            category="procedures",
        )
        issue_services.issue_accept(issue=ticket, by=people["county_office"])
    assert not Subscription.objects.exists() and not Delivery.objects.exists()


def test_the_signature_helper_refuses_another_secret_and_an_old_timestamp():
    body = b'{"name":"issue.accept"}'
    header = signing.sign("secret-a", body)
    assert signing.verify("secret-a", header, body)
    assert not signing.verify("secret-b", header, body)
    assert not signing.verify("secret-a", header, body + b" ")
    old = signing.sign("secret-a", body, timestamp=int(time.time()) - 3600)
    assert not signing.verify("secret-a", old, body)


# --- the page ----------------------------------------------------------------------------------


def test_the_page_creates_a_subscription_and_shows_its_secret_to_its_owner_only(
    people, client, receiver
):
    client.force_login(people["city_office"])
    assert client.get("/webhooks/").status_code == 200
    form = client.get("/webhooks/new/")
    assert form.status_code == 200 and "issue.*" in form.content.decode()
    answer = client.post(
        "/webhooks/new/",
        {
            "name": "无锡市大数据平台",
            "url": receiver.url(),
            "region": "320281",
            "events": ["issue.*", "approval.approve"],
        },
    )
    subscription = Subscription.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/webhooks/{subscription.pk}/"
    assert subscription.owner == people["city_office"] and subscription.region_id == "320281"
    assert subscription.events == ["issue.*", "approval.approve"]
    assert subscription.secret in client.get(answer["Location"]).content.decode()
    assert "无锡市大数据平台" in client.get("/webhooks/").content.decode()

    client.force_login(people["province_office"])  # in scope, not the owner
    page = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "无锡市大数据平台" in page and subscription.secret not in page
    rotated = client.post(f"/webhooks/{subscription.pk}/rotate-secret/")
    subscription.refresh_from_db()
    assert subscription.secret in rotated.content.decode()  # shown this once

    client.force_login(people["county_office"])  # below the owner's region
    assert client.get(f"/webhooks/{subscription.pk}/").status_code == 404
    assert client.post(f"/webhooks/{subscription.pk}/pause/").status_code == 404
    assert "无锡市大数据平台" not in client.get("/webhooks/").content.decode()

    client.force_login(people["county_filer"])
    assert client.get("/webhooks/").status_code == 403


def test_the_page_says_what_is_wrong_in_chinese(people, client):
    client.force_login(people["county_office"])
    empty = client.post("/webhooks/new/", {"name": "", "url": "ftp://x", "region": "320281"})
    text = empty.content.decode()
    assert empty.status_code == 400
    assert "请至少选择一个事件。" in text and "该字段是必填项。" in text
    wrong = client.post(
        "/webhooks/new/",
        {"name": "县数据局", "url": "ftp://example.org/in", "region": "320281", "events": ["*"]},
    )
    assert wrong.status_code == 400
    assert "接收地址应为以 http:// 或 https:// 开头的完整网址。" in wrong.content.decode()
    beyond = client.post(
        "/webhooks/new/",
        {"name": "县数据局", "url": "https://example.org/in", "region": "320200", "events": ["*"]},
    )
    assert beyond.status_code == 400  # 无锡市 is above 江阴: not a choice for 江阴's office
    assert not Subscription.objects.exists()


# --- the API -----------------------------------------------------------------------------------


def test_the_api_creates_lists_and_scopes_subscriptions(people, api, receiver):
    created = api.as_user(people["city_office"]).post(
        "/api/v1/webhooks/",
        {
            "name": "无锡市大数据平台",
            "url": receiver.url(),
            "region": "320200",
            "events": ["issue.*", "webhook.paused"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["owner"] == people["city_office"].pk
    assert body["active"] is True and body["region_name"] == "无锡市"
    pk = body["id"]

    listed = api.as_user(people["province_office"]).get("/api/v1/webhooks/").json()
    assert [row["id"] for row in listed["results"]] == [pk]
    assert listed["results"][0]["secret"] is None  # not the owner

    county = api.as_user(people["county_office"])
    assert county.get("/api/v1/webhooks/").json()["results"] == []
    assert county.get(f"/api/v1/webhooks/{pk}/").status_code == 404
    assert county.get(f"/api/v1/webhooks/{pk}/deliveries/").status_code == 404
    assert county.patch(f"/api/v1/webhooks/{pk}/", {"active": False}).status_code == 404
    assert county.delete(f"/api/v1/webhooks/{pk}/").status_code == 404

    refused = api.as_user(people["liaison"]).get("/api/v1/webhooks/")
    assert refused.status_code == 403
    assert refused.json()["message"] == "只有重大办工作人员和系统管理员可以管理Webhook订阅。"

    owner = api.as_user(people["city_office"])
    paused = owner.patch(f"/api/v1/webhooks/{pk}/", {"active": False}, format="json").json()
    assert (
        paused["active"] is False and paused["paused_at"] and "手动暂停" in paused["pause_reason"]
    )
    rotated = api.as_user(people["admin"]).post(f"/api/v1/webhooks/{pk}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"]
    assert owner.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert not Subscription.objects.exists()


def test_the_api_refuses_unknown_events_and_regions_beyond_its_owner_in_chinese(people, api):
    county = api.as_user(people["county_office"])
    answer = county.post(
        "/api/v1/webhooks/",
        {
            "name": "县数据局",
            "url": "https://example.org/in",
            "region": "320281",
            "events": ["issue.teleport", "issue.*"],
        },
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["events"] == [
        "未知的事件：issue.teleport。事件名称见事件目录，也可写“issue.*”这样的前缀或“*”。"
    ]
    beyond = county.post(
        "/api/v1/webhooks/",
        {"name": "县数据局", "url": "https://example.org/in", "region": "320200", "events": ["*"]},
        format="json",
    )
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "region_out_of_scope"
    assert "江阴市" in beyond.json()["errors"]["region"][0]
    missing = county.post("/api/v1/webhooks/", {"url": "not a url"}, format="json").json()
    assert missing["message"] == "提交的数据有误，请按字段提示修改。"
    assert missing["errors"]["name"] == ["该字段是必填项。"]
    assert missing["errors"]["url"] == ["请输入合法的URL。"]
    assert not Subscription.objects.exists()


def test_the_api_lists_deliveries_with_every_attempt(
    people, library, api, receiver, eager, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver, people["city_office"], "320200", ["issue.accept"])
    receiver.answers = [500]
    issue = report(people, library["jiangyin_other"])
    with django_capture_on_commit_callbacks(execute=True):
        issue_services.issue_accept(issue=issue, by=people["county_office"])
    sent = Delivery.objects.get()
    Delivery.objects.filter(pk=sent.pk).update(next_attempt_at=sent.created_at)  # due again
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_due()

    answer = api.as_user(people["city_office"]).get(
        f"/api/v1/webhooks/{subscription.pk}/deliveries/"
    )
    assert answer.status_code == 200
    (row,) = answer.json()["results"]
    assert row["event_name"] == "issue.accept" and row["status"] == "delivered"
    assert [(a["number"], a["ok"], a["status_code"]) for a in row["attempt_log"]] == [
        (1, False, 500),
        (2, True, 200),
    ]
    assert row["attempt_log"][0]["error"].startswith("HTTP 500")
    failed_only = api.as_user(people["city_office"]).get(
        f"/api/v1/webhooks/{subscription.pk}/deliveries/?status=failed"
    )
    assert failed_only.json()["count"] == 0


# --- a real worker -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_delivery_goes_out_through_a_celery_worker(people, library, receiver):
    subscribe(receiver, people["city_office"], "320200", ["issue.accept"])
    issue = report(people, library["jiangyin_other"])
    with celery_worker():
        issue_services.issue_accept(issue=issue, by=people["county_office"])
        deadline = time.monotonic() + 30
        while not receiver.posts() and time.monotonic() < deadline:
            time.sleep(0.1)
        (post,) = receiver.posts()
        while (
            Delivery.objects.get().status != DeliveryStatus.DELIVERED
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
    assert post["valid"] and post["body"]["object_id"] == issue.pk
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
