from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "通知"

    def ready(self):
        from core import events

        from .listener import on_event

        events.subscribe(events.ANY)(on_event)
