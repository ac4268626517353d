from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a background process last showed it was alive: ``beat`` when the beat sent the
    heartbeat task, ``worker`` when a worker ran it (health/tasks.py). One row each, updated in
    place; kept in the database so that every web process, on any machine, reads the same."""

    class Process(models.TextChoices):
        BEAT = "beat", _("定时调度（beat）")
        WORKER = "worker", _("后台任务（worker）")

    process = models.CharField(_("进程"), max_length=20, primary_key=True, choices=Process)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self):
        return f"{self.process} {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def stamp(cls, process: str, at=None) -> None:
        cls.objects.update_or_create(process=process, defaults={"at": at or timezone.now()})
