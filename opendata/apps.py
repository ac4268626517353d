from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """开放数据: the projects offices mark public, published as an OC4IDS project package (the
    API, and a file each month listed on a public page)."""

    name = "opendata"
    verbose_name = _("开放数据")
