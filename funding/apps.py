from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    """Funding channels, quotas and financing needs — SPEC §11."""

    name = "funding"
    verbose_name = _("资金保障")

    def ready(self) -> None:
        from core import exports

        from .exports import EXPORT

        exports.register(EXPORT)
