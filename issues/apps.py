from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    """Issue tickets (困难问题), escalation and the weekly meeting — SPEC §5–§6."""

    name = "issues"
    verbose_name = _("困难问题")

    def ready(self) -> None:
        from core import exports

        from .exports import EXPORT

        exports.register(EXPORT)
