from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Webhooks for other systems and the 12345 hotline's feedback: a listener of the event
    stream that delivers signed JSON posts (it imports the domain; the domain never imports it)."""

    name = "webhooks"
    verbose_name = _("Webhook")

    def ready(self):
        from core import events

        from . import checks  # noqa: F401 — registers the settings check
        from .listener import on_event

        events.subscribe(events.ANY)(on_event)
