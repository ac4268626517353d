from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    """Files on approvals, issues, weekly meetings and projects (附件)."""

    name = "attachments"
    verbose_name = _("附件")
