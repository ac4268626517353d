"""Read here: offices mark projects public on the project's page, and the monthly files are
written by the Celery job and the ``publish_oc4ids`` command."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Publication, PublishedFile


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["project", "published_by", "published_at"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "published_by"]


@admin.register(PublishedFile)
class PublishedFileAdmin(ReadOnlyAdmin):
    list_display = ["month", "project_count", "size", "sha256", "created_at"]
    # the file itself is served by the public open-data page
    exclude = ["file"]
