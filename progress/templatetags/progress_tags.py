"""The monthly progress section of the project page, with its own query (the project page's
view knows nothing of the monthly forms)."""

from django import template
from django.utils import timezone

from projects.models import Admission, Project

from ..models import ACTIVE_STAGES, MonthlyReport, period_of

register = template.Library()

#: the months shown on the project page (the handbook has them all)
MONTHS_SHOWN = 12


@register.inclusion_tag("progress/_project_progress.html", takes_context=True)
def project_progress(context, project: Project) -> dict:
    """The project's latest monthly forms the user may see, and a link to this month's sheet
    of its county while it files."""
    user = context["user"]
    reports = list(
        MonthlyReport.objects.for_user(user)
        .filter(project=project)
        .order_by("-period")[:MONTHS_SHOWN]
    )
    return {
        "project": project,
        "reports": reports,
        "files": project.admission == Admission.ADMITTED and project.stage in ACTIVE_STAGES,
        "this_month": period_of(timezone.localdate()),
    }
