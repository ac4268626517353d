from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Meeting agendas, briefings and exports — SPEC §10."""

    name = "reports"
    verbose_name = _("报告与简报")
