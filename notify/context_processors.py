from .models import Notification


def unread(request) -> dict:
    """The bell's count in the navigation (one query, for signed-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"unread_notifications": count}
