from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "schedule"
    verbose_name = _("关键节点与工作日历")

    def ready(self) -> None:
        from . import signals  # noqa: F401
