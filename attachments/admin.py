from django.contrib import admin

from .models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read here, without the file: attachments are uploaded, downloaded (audited, within the
    person's scope) and removed (with a reason) on the platform's pages and in its API."""

    list_display = ["name", "project", "region", "file_kind", "size", "uploaded_by"]
    list_display += ["uploaded_at", "removed_at"]
    list_filter = ["file_kind", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "description", "project__name", "project__code", "sha256"]
    list_select_related = ["project", "region", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    exclude = ["file"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Attachment._meta.fields if field.name != "file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
