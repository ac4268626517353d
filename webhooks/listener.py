"""The webhooks' ear on the event stream: every event, after its change commits."""

from __future__ import annotations

from core.events import DomainEvent

from . import delivery


def on_event(event: DomainEvent) -> None:
    """Record the deliveries ``event`` makes and queue them; an event heard twice makes none
    the second time."""
    delivery.queue(delivery.record(event))
