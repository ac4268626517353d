"""Reading attachments and their parents, always within the reader's scope: a parent the user
may not see is not found, and neither are its attachments (pages and API answer 404)."""

from __future__ import annotations

from django.db.models import Model

from .kinds import KINDS, kind_of
from .models import Attachment, AttachmentQuerySet


def parent_in_scope(parent_type: str, object_id, user) -> Model | None:
    """The object of ``parent_type`` (``approval``, ``issue``, ``meeting``, ``project``) with
    ``object_id`` if ``user`` may see it, else None."""
    kind = KINDS.get(parent_type)
    if kind is None or not str(object_id).isdigit():
        return None
    return kind.visible(user).filter(pk=int(object_id)).first()


def attachment_in_scope(pk, user) -> tuple[Attachment, Model] | tuple[None, None]:
    """The attachment ``pk`` and its parent, both found through the parent's scope rule."""
    attachment = Attachment.objects.filter(pk=pk).select_related("content_type").first()
    if attachment is None:
        return None, None
    kind = next(
        (k for k in KINDS.values() if k.model is attachment.content_type.model_class()), None
    )
    if kind is None:
        return None, None
    parent = kind.visible(user).filter(pk=attachment.object_id).first()
    if parent is None:
        return None, None
    attachment.parent = parent  # the scoped copy, with what its checks read
    return attachment, parent


def attachments_of(parent: Model, *, removed: bool = False) -> AttachmentQuerySet:
    """A parent's attachments, newest first; with ``removed``, those taken off the list too."""
    queryset = Attachment.objects.of(parent).listed()
    return queryset if removed else queryset.current()


def parent_type_of(parent: Model) -> str:
    return kind_of(parent).type.value
