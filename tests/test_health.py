"""/healthz/ (health/): database, broker, storage, beat, worker and cache, each reported on its
own; 200 when every required one is healthy, 503 otherwise; a subset for the web container and a
liveness answer; no secret in the answer. And gunicorn starting with gunicorn.conf.py."""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from health.models import Heartbeat
from health.tasks import HEARTBEAT, heartbeat

ROOT = Path(__file__).resolve().parent.parent
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a connection is refused


def alive(age_seconds: int = 0):
    """The beat sent and a worker ran the heartbeat ``age_seconds`` ago."""
    at = timezone.now() - datetime.timedelta(seconds=age_seconds)
    for process in Heartbeat.Process:
        Heartbeat.stamp(process, at)


def health(client, path="/healthz/"):
    response = client.get(path)
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


def statuses(body) -> dict:
    return {name: entry["status"] for name, entry in body["components"].items()}


@pytest.mark.django_db
def test_every_component_is_reported_and_all_healthy_answers_200(client):
    alive(30)
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert statuses(body) == {
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
        "beat": "ok",
        "worker": "ok",
        "cache": "ok",
    }
    assert body["components"]["broker"]["transport"] == (
        "redis" if settings.REDIS_URL else "filesystem"
    )
    assert body["components"]["beat"]["age_seconds"] in range(29, 40)
    assert {name for name, entry in body["components"].items() if entry["required"]} == {
        "database",
        "broker",
        "storage",
        "beat",
        "worker",
    }


@pytest.mark.django_db
def test_the_answer_needs_no_sign_in_and_reveals_no_secret(client):
    alive()
    _status, body = health(client)
    text = json.dumps(body)
    for secret in (
        settings.SECRET_KEY,
        settings.CELERY_BROKER_URL,
        str(settings.MEDIA_ROOT),
        str(settings.DATABASES["default"]["NAME"]),
        settings.DATABASES["default"].get("PASSWORD") or settings.SECRET_KEY,
        "127.0.0.1",
    ):
        assert secret not in text


@pytest.mark.django_db
def test_a_stopped_beat_answers_503_naming_the_beat_only(client):
    alive()
    Heartbeat.stamp(Heartbeat.Process.BEAT, timezone.now() - datetime.timedelta(minutes=10))
    status, body = health(client)
    assert status == 503 and body["status"] == "error"
    assert statuses(body)["beat"] == "error"
    assert "no heartbeat for 6" in body["components"]["beat"]["message"]
    assert {name for name, state in statuses(body).items() if state != "ok"} == {"beat"}
    # the web process itself is fine: its own check, and the liveness answer, say so
    web_status, web = health(client, "/healthz/web/")
    assert web_status == 200 and set(web["components"]) == {"database", "storage"}
    assert health(client, "/healthz/live/") == (200, {"status": "ok", "components": {}})


@pytest.mark.django_db
def test_no_heartbeat_yet_is_an_error(client, settings):
    settings.HEALTH_BEAT_MAX_AGE = 180
    status, body = health(client)
    assert status == 503
    assert body["components"]["beat"]["message"] == "no heartbeat recorded yet"
    assert body["components"]["worker"]["last"] is None


@pytest.mark.django_db
def test_the_beat_records_its_heartbeat_as_it_sends_it_and_the_worker_as_it_runs_it(client):
    from config.celery_app import app

    queue = f"health-test-{os.getpid()}"
    try:
        # what the beat does every minute: publish the task (to a queue of this test's own)
        app.send_task(HEARTBEAT, queue=queue, expires=60)
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)
    assert Heartbeat.objects.filter(process="beat").exists()
    assert not Heartbeat.objects.filter(process="worker").exists()
    heartbeat.apply()  # what a worker does with it
    assert statuses(health(client)[1])["worker"] == "ok"


@pytest.mark.django_db
def test_storage_that_cannot_be_written_answers_503(client, tmp_path):
    alive()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    with override_settings(MEDIA_ROOT=blocker / "media"):
        status, body = health(client)
    assert status == 503
    assert statuses(body)["storage"] == "error"
    assert "cannot write or read a file" in body["components"]["storage"]["message"]
    assert str(tmp_path) not in json.dumps(body)
    assert health(client, "/healthz/web/")[0] == 200  # the right folder again


@pytest.mark.django_db
def test_a_broker_that_refuses_answers_503_without_its_address(client):
    alive()
    with override_settings(
        CELERY_BROKER_URL=CLOSED, CELERY_BROKER_TRANSPORT=None, CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        status, body = health(client)
    assert status == 503
    broker = body["components"]["broker"]
    assert broker["status"] == "error" and broker["transport"] == "redis"
    assert broker["message"] == "no connection (OperationalError)"
    assert "127.0.0.1" not in json.dumps(body)


@pytest.mark.django_db
def test_the_broker_less_transport_is_checked_by_its_folders(client, tmp_path):
    alive()
    folders = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
    }
    (tmp_path / "queue").mkdir()
    with override_settings(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=folders
    ):
        status, body = health(client)
        assert body["components"]["broker"]["message"] == "control_folder is missing"
        assert status == 503
        (tmp_path / "control").mkdir()
        assert health(client)[0] == 200


@pytest.mark.django_db
def test_no_broker_at_all_says_not_configured(client):
    alive()
    with override_settings(CELERY_BROKER_URL="memory://"):
        status, body = health(client)
    assert statuses(body)["broker"] == "not configured"
    assert status == 200


@pytest.mark.django_db
def test_the_command_checks_named_components_for_the_containers(settings):
    out = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("health", "beat", stdout=out)
    assert stopped.value.code == 1
    assert json.loads(out.getvalue())["components"]["beat"]["status"] == "error"

    alive()
    out = StringIO()
    call_command("health", "beat", "database", stdout=out)  # no exit: healthy
    assert set(json.loads(out.getvalue())["components"]) == {"beat", "database"}
    with pytest.raises(CommandError):
        call_command("health", "nonsense")


# --- gunicorn ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_starts_with_its_config_and_answers_healthz():
    """The image's command: gunicorn -c gunicorn.conf.py config.wsgi (one worker here)."""
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WEB_CONCURRENCY": "1"}
    server = subprocess.Popen(  # noqa: S603
        [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # a busy machine may take a while to boot the worker: the connection is accepted (the
        # master listens) and answered once the worker has loaded Django
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"http://127.0.0.1:{port}/healthz/live/", timeout=30
                ) as response:
                    assert response.status == 200
                    assert json.loads(response.read()) == {"status": "ok", "components": {}}
                    break
            except OSError:  # refused, reset or timed out (URLError is an OSError too)
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not answer within 120 s"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)  # a graceful stop, as docker stop sends
        output, _ = server.communicate(timeout=40)
    assert server.returncode == 0, output
    assert "Using worker: sync" in output
    assert 'GET /healthz/live/ HTTP/1.1" 200' in output  # the access log on stdout
