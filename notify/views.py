"""The notification centre (the bell), a person's settings, and the delivery log for offices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import PreferenceForm, UnitChannelForm
from .models import Delivery, DeliveryStatus, Notification, Preference, UnitChannel

PER_PAGE = 30


@login_required
def centre(request):
    notifications = Notification.objects.filter(user=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/centre.html",
        {"page": page, "unread_only": unread_only},
    )


@login_required
def open_notification(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notify:centre")
    return redirect(target)


@login_required
@require_POST
def read_all(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("已将%(n)s条通知标为已读。") % {"n": count})
    return redirect("notify:centre")


@login_required
def preferences(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("通知设置已保存。"))
        return redirect("notify:preferences")
    return render(
        request, "notify/preferences.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def deliveries(request):
    """外部推送记录: what went out to the people and units of the region, failures first."""
    user = request.user
    _office_only(user)
    shown = Delivery.objects.for_user(user).select_related("user", "unit_channel__unit")
    status = request.GET.get("status", "")
    if status:
        if status not in DeliveryStatus.values:
            raise Http404
        shown = shown.filter(status=status)
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    failed = Delivery.objects.for_user(user).filter(status=DeliveryStatus.FAILED).count()
    return render(
        request,
        "notify/deliveries.html",
        {"page": page, "status": status, "statuses": DeliveryStatus.choices, "failed": failed},
    )


def _office_only(user) -> None:
    if not (user.is_office_staff or user.sees_everything):
        raise PermissionDenied


@login_required
def unit_channels(request):
    """单位推送渠道: the group robots of the units in the office's region."""
    _office_only(request.user)
    channels = UnitChannel.objects.for_user(request.user).select_related("unit")
    return render(request, "notify/unit_channels.html", {"channels": channels})


@login_required
def unit_channel_edit(request, pk=None):
    _office_only(request.user)
    channel = None
    if pk is not None:
        channel = get_object_or_404(UnitChannel.objects.for_user(request.user), pk=pk)
    form = UnitChannelForm(request.POST or None, instance=channel, user=request.user)
    if request.method == "POST":
        if "delete" in request.POST and channel is not None:
            channel.delete()
            messages.success(request, _("已删除推送渠道。"))
            return redirect("notify:unit-channels")
        if form.is_valid():
            form.save()
            messages.success(request, _("推送渠道已保存。"))
            return redirect("notify:unit-channels")
    status = 400 if form.errors else 200
    return render(
        request, "notify/unit_channel_form.html", {"form": form, "channel": channel}, status=status
    )
