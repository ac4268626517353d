from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("机构与用户")

    def ready(self):
        from accounts import (
            duties,  # noqa: F401 — one administrator role per person
            sessions,  # noqa: F401 — sign-in and sign-out receivers
            twofactor,  # noqa: F401 — the second factor noted at sign-in
        )
