"""Serializer fields for the accounts' models that every app's API shares."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Region


def region_code_field(help_text=None, *, optional: bool = False):
    """A region written as its 6-digit GB/T 2260 code, with a Chinese message for an unknown
    code; ``optional`` makes it a query parameter that may be left out (None)."""
    extra = {"required": False, "allow_null": True, "default": None} if optional else {}
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        help_text=help_text or _("6位行政区划代码"),
        error_messages={"does_not_exist": _("行政区划代码“{value}”不存在。")},
        **extra,
    )
