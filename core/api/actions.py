"""Workflow steps as viewset actions: one ``POST …/{id}/{name}/`` per step, each with its own
request body in the schema."""

import keyword

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action


def workflow_action(name: str, payload, response, summary: str, handler: str):
    """An ``@action`` that calls ``getattr(viewset, handler)(request, name)``."""

    def step(self, request, pk=None):
        return getattr(self, handler)(request, name)

    # DRF requires the attribute and function names to match; ``return`` is a keyword, so
    # that method is ``return_`` while its URL stays ``…/return/``.
    step.__name__ = f"{name}_" if keyword.iskeyword(name) else name
    step.__doc__ = summary
    return extend_schema(request=payload, responses={200: response})(
        action(
            detail=True, methods=["post"], url_path=name, url_name=name, serializer_class=payload
        )(step)
    )
