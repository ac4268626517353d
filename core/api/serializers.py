"""What the API's serializers share."""

import copy


class FieldsBuiltOnce:
    """For a ``ModelSerializer`` answering one object at a time (a detail, a write): its fields
    built from the model once per class and copied for each answer.

    ``ModelSerializer.get_fields`` introspects the model again for every serializer made —
    each model field's kind, choices, validators and uniqueness — which for the project's
    forty-odd fields was a tenth of a detail answer's time. What it builds depends on the class
    alone (its ``Meta`` and declared fields), never on the instance or the request: a subclass
    that adjusts fields per instance does so on the copy, as before. A list builds its child's
    fields once per page either way."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
