"""The number of the user's to-do items, for the badge in the navigation."""

from django.utils.functional import SimpleLazyObject

from .selectors import todo_count


def todo(request):
    """``todo_count`` for a signed-in user, counted only when a page shows it (one query and
    the calendar); nothing for anybody else. A view that has the list passes its length."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"todo_count": SimpleLazyObject(lambda: todo_count(user))}
