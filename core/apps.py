from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "公共"

    def ready(self) -> None:
        from . import exports, jobs
        from .models import ExportJob

        jobs.register(ExportJob, task="core.tasks.run_export", interrupted=exports.interrupted)
