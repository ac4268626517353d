from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("月度调度")

    def ready(self) -> None:
        from core import jobs

        from . import imports
        from .models import ProgressImport

        jobs.register(
            ProgressImport, task="progress.tasks.run_import", interrupted=imports.import_interrupted
        )
