from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Read here, without the file: attachments are uploaded, downloaded (audited, within the
    person's scope) and removed (with a reason) on the platform's pages and in its API."""

    list_display = ["name", "project", "region", "file_kind", "size", "uploaded_by"]
    list_display += ["uploaded_at", "removed_at"]
    list_filter = ["file_kind", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "description", "project__name", "project__code", "sha256"]
    list_select_related = ["project", "region", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    exclude = ["file"]
