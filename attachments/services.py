"""Attaching a file and removing it: the one place pages and the API write attachments.

The caller has found the parent through :func:`attachments.selectors.parent_for` (out of scope:
not found), so a service only asks whether the user may act on it. A refused file — too large,
empty, or content that is none of the accepted types — raises a :class:`DomainError` with a
Chinese message and stores nothing.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.exceptions import DomainError, NotPermitted

from .kinds import kind_of
from .models import Attachment
from .sniffing import NotAllowed, download_name, sniff

ACCEPTED = "PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）、OFD"


def may_attach(parent, user) -> bool:
    """Whether ``user`` may attach files to ``parent`` and remove them (whoever may act on it;
    the caller has found ``parent`` within the user's scope)."""
    return user.is_authenticated and kind_of(parent).may_attach(parent, user)


def _check_permitted(parent, user) -> None:
    if not may_attach(parent, user):
        raise NotPermitted(_("您没有为该对象上传或移除附件的权限。"), code="not_permitted")


def _clean_name(name: str) -> str:
    """The user's file name without folders or control characters, at most 200 characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return base[-150:] or "附件"


def _check_size(uploaded) -> None:
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded.size > limit:
        raise DomainError(
            _("文件大小为%(size)s，超过上限%(limit)s。")
            % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
            code="file_too_large",
            field="file",
        )
    if uploaded.size == 0:
        raise DomainError(_("上传的文件是空的。"), code="file_empty", field="file")


def _sniffed(uploaded):
    try:
        return sniff(uploaded)
    except NotAllowed as refused:
        message = _("文件类型不支持：只接受 %(accepted)s。") % {"accepted": ACCEPTED}
        if refused.reason == "macros":
            message = _("文件含有宏，不予接受：请另存为不含宏的 .docx 或 .xlsx 后上传。")
        raise DomainError(message, code="file_type", field="file") from refused


def _digest(uploaded) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def attachment_upload(*, parent, by, uploaded, description: str = "") -> Attachment:
    """Store ``uploaded`` (a Django ``UploadedFile``) as an attachment of ``parent``: checked
    for size and content first; publishes ``attachment.upload`` once committed."""
    _check_permitted(parent, by)
    _check_size(uploaded)
    kind = _sniffed(uploaded)
    about = kind_of(parent).about(parent)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(parent),
        object_id=parent.pk,
        project_id=about.get("project_id"),
        region_id=about["region"],
        name=download_name(_clean_name(uploaded.name or ""), kind),
        file_kind=kind.code,
        size=uploaded.size,
        sha256=_digest(uploaded),
        description=description.strip()[:200],
        uploaded_by=by,
    )
    # the storage API only (S3 or MEDIA_ROOT); the name is made by attachment_upload_to
    attachment.file.save(attachment.name, uploaded, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            _published(attachment, parent, by, about)
    except BaseException:
        attachment.file.delete(save=False)  # nothing refers to it: not left in the store
        raise
    return attachment


def _published(attachment: Attachment, parent, by, about: dict) -> None:
    events.publish(
        "attachment.upload",
        attachment,
        actor=by,
        payload={
            "parent_type": kind_of(parent).type.value,
            "parent_id": parent.pk,
            "name": attachment.name,
            "file_kind": attachment.file_kind,
            "size": attachment.size,
        },
        **about,
    )


def attachment_remove(*, attachment: Attachment, by, reason: str = "") -> Attachment:
    """Take an attachment off its parent's list. The row and the file stay (with who removed
    it, when and why, in its history); removing it again changes nothing."""
    _check_permitted(attachment.parent, by)
    with transaction.atomic():
        current = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if current.removed_at is None:
            current.removed_at = timezone.now()
            current.removed_by = by
            current.removal_reason = reason.strip()[:200]
            current.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    return current
