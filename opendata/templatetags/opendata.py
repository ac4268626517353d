"""The project page's part of open data (whether the project is public, and the form to change
it), drawn by the part itself so the project page only includes it."""

from django import template

from projects.choices import Admission

from .. import services
from ..models import Publication

register = template.Library()


@register.inclusion_tag("opendata/_project_publication_part.html", takes_context=True)
def project_publication(context, project):
    return {
        "project": project,
        "publication": Publication.objects.select_related("published_by")
        .filter(project=project)
        .first(),
        "may_publish": services.may_publish(context["user"]),
        "rejected": project.admission == Admission.REJECTED,
        "csrf_token": context.get("csrf_token"),
    }
