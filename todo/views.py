"""我的待办: the page of the user's to-do list (the same list as ``GET /api/v1/me/todo/``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Role
from indicators.lights import reasons, with_lights, worst_first
from projects.models import Project

from .items import Kind
from .selectors import todo_items


@login_required
def todo_list(request):
    items = todo_items(request.user)
    by_kind = {kind: 0 for kind in Kind.values}
    for item in items:
        by_kind[item.kind] += 1
    return render(
        request,
        "todo/list.html",
        {
            "own_projects": _own_projects(request.user),
            "items": items,
            "overdue": sum(item.overdue for item in items),
            "kinds": [(Kind(kind).label, count) for kind, count in by_kind.items() if count],
            # the badge of this page is the list's own length
            "todo_count": len(items),
        },
    )


def _own_projects(user, limit: int = 20):
    """A project unit's own projects, worst light first (its landing page shows them beside
    the issues awaiting its confirmation); None for everyone else."""
    if Role.Code.PROJECT_UNIT_CONTACT not in user.role_codes:
        return None
    projects = worst_first(with_lights(Project.objects.for_user(user).select_related("region")))
    shown = list(projects[:limit])
    for project in shown:
        project.light_reasons = reasons(project)
    return {"shown": shown, "count": projects.count()}
