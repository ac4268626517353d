"""Sending one message on one outbound channel: e-mail through Django's mail backend (SMTP from
the environment), everything else through Apprise (企业微信/政务微信/钉钉/飞书 robots, JSON
webhooks, SMS gateways: one URL per target). With ``NOTIFY_OUTBOX`` set (``make run``), the
Apprise messages are written to a local file instead, so nothing external is needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone


class SendFailed(Exception):
    """The channel did not take the message; the worker retries later."""


def absolute(url: str) -> str:
    if not url or url.startswith("http"):
        return url
    return settings.SITE_URL.rstrip("/") + url


def masked(url: str) -> str:
    """An Apprise URL with its secrets hidden, for the delivery log."""
    scheme, _sep, rest = url.partition("://")
    if not rest:
        return url[:40]
    host = re.split(r"[/@?]", rest.split("@")[-1])[0] if "@" in rest else rest.split("/")[0]
    return f"{scheme}://{host[:24]}/…"


def send_email(to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception as error:  # SMTP refused, connection lost …
        raise SendFailed(f"{type(error).__name__}: {error}") from error


def send_apprise(url: str, subject: str, body: str) -> None:
    if settings.NOTIFY_OUTBOX:
        _to_outbox(url, subject, body)
        return
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        raise SendFailed(f"无法识别的推送地址：{masked(url)}")
    with apprise.LogCapture(level=apprise.logging.WARNING) as log:
        if not sender.notify(title=subject, body=body):
            raise SendFailed(log.getvalue().strip()[-500:] or "推送失败")


def _to_outbox(url: str, subject: str, body: str) -> None:
    outbox = Path(settings.NOTIFY_OUTBOX)
    outbox.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": timezone.now().isoformat(), "to": masked(url), "title": subject, "body": body}
    with outbox.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
