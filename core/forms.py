"""Pieces every app's forms share: a service's refusal shown on the form, and choice fields that
offer only what the user may see.

A scoped field is declared with the queryset it draws from (``Project.objects.select_related
("region")``, ``Unit.objects.filter(kind=…)``); a form built on :class:`ScopedForm` narrows it to
``queryset.for_user(user)`` for the user it is given, so a choice outside the user's scope is
answered like one that does not exist (the field's ``invalid_choice`` message).
"""

from django import forms
from django.core.exceptions import ValidationError


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.messages)


class ScopedChoiceMixin:
    """A model choice whose choices are ``queryset.for_user(user)`` once the form knows its
    user; until then it offers nothing."""

    def __init__(self, queryset, **kwargs):
        self.unscoped = queryset
        super().__init__(queryset.none(), **kwargs)

    def scope_to(self, user) -> None:
        queryset = self.unscoped.all().for_user(user)
        # a model form's relation keeps its ``limit_choices_to`` (e.g. enterprises only)
        limit = self.get_limit_choices_to()
        self.queryset = queryset.complex_filter(limit) if limit else queryset


class ScopedModelChoiceField(ScopedChoiceMixin, forms.ModelChoiceField):
    pass


class ScopedModelMultipleChoiceField(ScopedChoiceMixin, forms.ModelMultipleChoiceField):
    pass


class ScopedForm:
    """A form (or model form) taking ``user=``: its scoped fields offer what that user may see.

    Mixed in before ``forms.Form``/``forms.ModelForm``; the user is kept as ``self.user``.
    A model form's relation becomes scoped through ``Meta.field_classes``."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, ScopedChoiceMixin):
                field.scope_to(user)
