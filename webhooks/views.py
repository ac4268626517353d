"""Webhook pages for office administrators: the subscriptions of their region and below (paused
ones first, with why), a new one, one subscription with its secret (for its owner) and its
delivery log, and its changes — edit, pause, resume, new secret, delete.

Every page starts from ``Subscription.objects.for_user``: a subscription of another region is
not found (404); a user who manages no webhooks is refused (403). Every change goes through
:mod:`webhooks.services`; a refused one changes nothing and comes back with its reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.pages import page_action

from . import hotline, services
from .forms import SubscriptionForm
from .models import DeliveryStatus, Subscription

#: deliveries shown on a subscription's page (newest first; the API pages through all)
LOG_LIMIT = 50


def _manager(request):
    if not services.may_manage(request.user):
        raise PermissionDenied(_("只有重大办工作人员和系统管理员可以管理Webhook订阅。"))
    return request.user


def _scoped(request):
    return Subscription.objects.for_user(request.user).select_related("region", "owner")


def _subscription(request, pk) -> Subscription:
    return get_object_or_404(_scoped(request), pk=pk)


@login_required
def subscription_list(request):
    _manager(request)
    subscriptions = list(_scoped(request))
    paused = [s for s in subscriptions if not s.active and s.paused_at]
    return render(
        request,
        "webhooks/subscription_list.html",
        {
            "subscriptions": subscriptions,
            "paused": paused,
            "hotline_configured": hotline.configured(),
            "sees_everything": request.user.sees_everything,
        },
    )


def _form_page(request, form, subscription=None, status=200):
    return render(
        request,
        "webhooks/subscription_form.html",
        {"form": form, "subscription": subscription},
        status=status,
    )


@login_required
def subscription_create(request):
    user = _manager(request)
    if request.method != "POST":
        return _form_page(request, SubscriptionForm(user=user))
    form = SubscriptionForm(request.POST, user=user)
    return page_action(
        request,
        lambda: services.subscription_create(by=user, **form.cleaned_data),
        form=form,
        refused=lambda error, status: _form_page(request, form, status=status),
        done=_("订阅已创建。请把签名密钥告知接收方，用它校验每次推送的签名。"),
    )


@login_required
def subscription_edit(request, pk):
    user = _manager(request)
    subscription = _subscription(request, pk)
    if subscription.is_hotline:
        raise PermissionDenied(_("12345热线回调由部署设置决定，这里只能暂停或恢复。"))
    if request.method != "POST":
        initial = {
            "name": subscription.name,
            "url": subscription.url,
            "region": subscription.region_id,
            "events": subscription.events,
        }
        return _form_page(request, SubscriptionForm(user=user, initial=initial), subscription)
    form = SubscriptionForm(request.POST, user=user)
    return page_action(
        request,
        lambda: services.subscription_update(subscription, by=user, **form.cleaned_data),
        form=form,
        refused=lambda error, status: _form_page(request, form, subscription, status=status),
        done=_("订阅已保存。"),
    )


@login_required
def subscription_detail(request, pk):
    _manager(request)
    return _detail_page(request, _subscription(request, pk))


def _detail_page(request, subscription: Subscription, *, reveal: bool = False):
    deliveries = subscription.deliveries.prefetch_related("attempt_log").order_by(
        "-created_at", "-pk"
    )
    wanted = request.GET.get("status")
    if wanted in DeliveryStatus.values:
        deliveries = deliveries.filter(status=wanted)
    counts = dict(subscription.deliveries.values_list("status").annotate(n=Count("pk")).order_by())
    return render(
        request,
        "webhooks/subscription_detail.html",
        {
            "subscription": subscription,
            "deliveries": list(deliveries[:LOG_LIMIT]),
            "statuses": [
                {"value": value, "label": label, "count": counts.get(value, 0)}
                for value, label in DeliveryStatus.choices
            ],
            "wanted": wanted if wanted in DeliveryStatus.values else "",
            "show_secret": reveal or services.may_see_secret(subscription, request.user),
            "hotline_configured": hotline.configured(),
        },
    )


def _step(request, pk, step, done: str):
    user = _manager(request)
    subscription = _subscription(request, pk)
    try:
        step(subscription, by=user)
    except DomainError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done)
    return redirect(subscription)


@login_required
@require_POST
def subscription_pause(request, pk):
    return _step(request, pk, services.subscription_pause, _("已暂停发送。"))


@login_required
@require_POST
def subscription_resume(request, pk):
    return _step(
        request, pk, services.subscription_resume, _("已恢复发送；重试时限内未送达的事件随即补发。")
    )


@login_required
@require_POST
def subscription_rotate(request, pk):
    """The new secret is shown on the answer itself (also to someone who is not the owner,
    this once), never carried in a message cookie."""
    user = _manager(request)
    subscription = _subscription(request, pk)
    try:
        services.subscription_rotate_secret(subscription, by=user)
    except DomainError as error:
        messages.error(request, error.messages[0])
        return redirect(subscription)
    messages.success(request, _("已更换签名密钥，原密钥立即失效；请把新密钥告知接收方。"))
    return _detail_page(request, subscription, reveal=True)


@login_required
@require_POST
def subscription_delete(request, pk):
    user = _manager(request)
    subscription = _subscription(request, pk)
    try:
        services.subscription_delete(subscription, by=user)
    except DomainError as error:
        messages.error(request, error.messages[0])
        return redirect(subscription)
    messages.success(request, _("订阅已删除。"))
    return redirect(reverse("webhooks:list"))
