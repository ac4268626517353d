from django.contrib import admin

from .models import Publication, PublishedFile


class _ReadOnly(admin.ModelAdmin):
    """Read here: offices mark projects public on the project's page, and the monthly files
    are written by the Celery job and the ``publish_oc4ids`` command."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(_ReadOnly):
    list_display = ["project", "published_by", "published_at"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "published_by"]


@admin.register(PublishedFile)
class PublishedFileAdmin(_ReadOnly):
    list_display = ["month", "project_count", "size", "sha256", "created_at"]
    # the file itself is served by the public open-data page
    exclude = ["file"]
