from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """Approval tracks (要素保障审批) against promised time limits — SPEC §7."""

    name = "approvals"
    verbose_name = _("要素审批")

    def ready(self) -> None:
        from core import exports

        from . import signals  # noqa: F401
        from .exports import EXPORT

        exports.register(EXPORT)
