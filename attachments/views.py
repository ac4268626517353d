"""Attachment pages: a parent's full list (removed ones too) with the upload form, the upload,
the download and the removal. The parent's own page shows the current list through the
``{% attachment_list obj %}`` tag (templatetags/attachments.py).

Every view finds the parent through its own scope rule first: a parent the user may not see —
or an attachment of one — is not found (404), whatever is asked. Uploading and removing are for
those who may act on the parent (403 for a reader). A download is an answer with
``Content-Disposition: attachment``, which the audit trail records (audit/middleware.py).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pages import page_action

from . import selectors, services
from .forms import RemoveForm, UploadForm
from .kinds import KINDS


def _parent_in_scope(request, parent_type, object_id):
    parent = selectors.parent_in_scope(parent_type, object_id, request.user)
    if parent is None:
        raise Http404
    return parent


def _list_page(request, parent, form=None, status=200):
    context = {
        "parent": parent,
        "parent_label": KINDS[selectors.parent_type_of(parent)].type.label,
        "attachments": selectors.attachments_of(parent, removed=True),
        "may_attach": services.may_attach(parent, request.user),
        "form": form or UploadForm(),
        "parent_type": selectors.parent_type_of(parent),
        "full": True,
    }
    return render(request, "attachments/attachment_list.html", context, status=status)


@login_required
def attachment_list(request, parent_type, object_id):
    return _list_page(request, _parent_in_scope(request, parent_type, object_id))


@login_required
@require_POST
def attachment_upload(request, parent_type, object_id):
    parent = _parent_in_scope(request, parent_type, object_id)
    form = UploadForm(request.POST, request.FILES)
    return page_action(
        request,
        lambda: services.attachment_upload(
            parent=parent,
            by=request.user,
            uploaded=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        ),
        form=form,
        done=lambda attachment: _("附件“%(name)s”已上传。") % {"name": attachment.name},
        then=lambda _attachment: f"{parent.get_absolute_url()}#attachments",
        refused=lambda _error, status: _list_page(request, parent, form, status),
    )


def _attachment_in_scope(request, pk):
    attachment, parent = selectors.attachment_in_scope(pk, request.user)
    if attachment is None:
        raise Http404
    return attachment, parent


@login_required
def attachment_download(request, pk):
    """The file as stored, under the name it was uploaded with (RFC 5987 for a Chinese name),
    with the type read from its content and ``nosniff``."""
    attachment, _parent = _attachment_in_scope(request, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:  # the record outlived its file: not a server error
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=3600)  # a stored file never changes
    return response


@login_required
@require_POST
def attachment_remove(request, pk):
    attachment, parent = _attachment_in_scope(request, pk)
    form = RemoveForm(request.POST)
    return page_action(
        request,
        lambda: services.attachment_remove(
            attachment=attachment, by=request.user, reason=form.cleaned_data["reason"]
        ),
        form=form,
        done=lambda removed: _("附件“%(name)s”已移除（记录保留）。") % {"name": removed.name},
        then=lambda _removed: f"{parent.get_absolute_url()}#attachments",
        refused=lambda _error, status: _list_page(request, parent, status=status),
    )
