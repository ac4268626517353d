"""Related fields that accept only what the caller may see.

Declared with the queryset they draw from (``Project.objects.all()``, ``Unit.objects.filter(
kind=…)``), they look a value up in ``queryset.for_user(request.user)``, the request taken from
the serializer's context: a row outside the caller's scope is answered like one that does not
exist (the field's ``does_not_exist`` message), and without a signed-in caller nothing can be
named. The schema shows the declared queryset's model, as for any related field.
"""

from rest_framework import serializers


class ScopedRelatedMixin:
    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().for_user(getattr(request, "user", None))


class ScopedPrimaryKeyRelatedField(ScopedRelatedMixin, serializers.PrimaryKeyRelatedField):
    """A row named by its primary key, among those the caller may see."""


class ScopedSlugRelatedField(ScopedRelatedMixin, serializers.SlugRelatedField):
    """A row named by ``slug_field`` (e.g. a region's code), among those the caller may see."""
