"""A hotline callback without a secret would send unsigned (unverifiable) feedback."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def hotline_secret(app_configs, **kwargs):
    if settings.HOTLINE_CALLBACK_URL and not settings.HOTLINE_CALLBACK_SECRET:
        return [
            checks.Warning(
                "HOTLINE_CALLBACK_URL is set without HOTLINE_CALLBACK_SECRET: the hotline "
                "cannot verify the callbacks.",
                hint="Set HOTLINE_CALLBACK_SECRET to the secret agreed with the hotline system.",
                id="webhooks.W001",
            )
        ]
    return []
