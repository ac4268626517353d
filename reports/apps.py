from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Meeting agendas, briefings and exports — SPEC §10."""

    name = "reports"
    verbose_name = _("报告与简报")

    def ready(self) -> None:
        from core import jobs

        from . import services
        from .models import Report

        jobs.register(
            Report, task="reports.tasks.generate_report", interrupted=services.report_interrupted
        )
