from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldServiceConfig(AppConfig):
    """走访服务: each project's service specialist (一项目一专员), the visits of the specialist
    and of the project's linked leader (挂钩帮办), the problems they bring back as issue
    tickets, and how far the visits reach (coverage) and are answered (反馈率)."""

    name = "fieldservice"
    verbose_name = _("走访服务")
