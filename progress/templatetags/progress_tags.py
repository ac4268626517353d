"""The monthly progress section of the project page, with its own query (the project page's
view knows nothing of the monthly forms)."""

from django import template

from projects.models import Admission, Project

from ..models import ACTIVE_STAGES, MonthlyReport
from ..selectors import filing_period

register = template.Library()

#: the months shown on the project page (the handbook has them all)
MONTHS_SHOWN = 12


@register.inclusion_tag("progress/_project_progress.html", takes_context=True)
def project_progress(context, project: Project) -> dict:
    """The project's latest monthly forms the user may see, and a link to the sheet of the
    month being filed in its county while it files."""
    user = context["user"]
    files = project.admission == Admission.ADMITTED and project.stage in ACTIVE_STAGES
    reports = list(
        MonthlyReport.objects.for_user(user)
        .filter(project=project)
        .order_by("-period")[:MONTHS_SHOWN]
    )
    return {
        "project": project,
        "reports": reports,
        "files": files,
        # the month being filed in the project's county (last month until its deadline)
        "this_month": filing_period(user, project.region) if files else "",
    }
