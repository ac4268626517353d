"""我的待办: the page of the user's to-do list (the same list as ``GET /api/v1/me/todo/``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

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
            "items": items,
            "overdue": sum(item.overdue for item in items),
            "kinds": [(Kind(kind).label, count) for kind, count in by_kind.items() if count],
            # the badge of this page is the list's own length
            "todo_count": len(items),
        },
    )
