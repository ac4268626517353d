"""Writes of open data: marking a project public or not, and publishing a month's file.

Marking is for office staff whose scope covers the project (out of scope: not found); a project
refused at pre-review (预审未通过) cannot be published. A month's file is written through
Django's storage API and recorded; publishing the same month again replaces its file.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DomainError, NotPermitted
from projects.choices import Admission
from projects.models import Project

from . import selectors
from .models import Publication, PublishedFile

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def may_publish(user) -> bool:
    """Office staff decide what their region publishes (the project in scope is checked
    apart)."""
    return user.is_office_staff


def _check(by, project: Project) -> None:
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )
    if not may_publish(by):
        raise NotPermitted(_("只有重大办工作人员可以公开项目信息。"), code="not_permitted")


@transaction.atomic
def publication_set(*, by, project: Project) -> Publication:
    """Mark the project public: it is in the OC4IDS package from now on. Marking it again
    changes nothing."""
    _check(by, project)
    # as the library has it now (a pre-review may have concluded since the page was drawn)
    admission = (
        Project.objects.select_for_update().values_list("admission", flat=True).get(pk=project.pk)
    )
    if admission == Admission.REJECTED:
        raise DomainError(
            _("会商预审未通过的项目不能公开。"), code="project_rejected", field="project"
        )
    publication, _created = Publication.objects.get_or_create(
        project=project, defaults={"published_by": by}
    )
    return publication


@transaction.atomic
def publication_clear(*, by, project: Project) -> None:
    """The project is no longer public (its next package and month's file leave it out)."""
    _check(by, project)
    for publication in Publication.objects.select_for_update().filter(project=project):
        publication.delete()


def current_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def package_bytes(package: dict) -> bytes:
    return json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")


@transaction.atomic
def publish_month(month: str | None = None) -> PublishedFile:
    """Write the OC4IDS package of the published projects as the file of ``month`` (default:
    this month) and record it; a month published already has its file replaced (one file a
    month)."""
    month = month or current_month()
    if not MONTH.match(month):
        raise DomainError(_("月份应写作 YYYY-MM。"), code="invalid_month", field="month")
    published = PublishedFile.objects.select_for_update().filter(month=month).first()
    old = published.file.name if published else ""
    if published is None:
        published = PublishedFile(month=month)
    uri = settings.SITE_URL.rstrip("/") + published.get_absolute_url()
    package = selectors.package(uri=uri)
    content = package_bytes(package)
    published.file.save(published.filename, ContentFile(content), save=False)
    published.size = len(content)
    published.sha256 = hashlib.sha256(content).hexdigest()
    published.project_count = len(package["projects"])
    published.created_at = timezone.now()
    published.save()
    if old and old != published.file.name:
        storage = published.file.storage
        transaction.on_commit(lambda: storage.delete(old))
    return published
