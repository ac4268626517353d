from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TodoConfig(AppConfig):
    """我的待办: what each person has to do now, read from the workflows' current state. It
    reads the domain (issues, approvals, progress, reports) and nothing imports it."""

    name = "todo"
    verbose_name = _("我的待办")
