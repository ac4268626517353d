"""Pages of the weekly coordination meeting (碰头会, SPEC §6): the list, a new meeting with its
generated agenda, the agenda with a decision (会商意见) per project, and a printable agenda.

Every page starts from ``Meeting.objects.for_user``: a meeting outside the user's region is not
found (404), the decision form included. Writes go through :mod:`issues.services`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Unit
from core.exceptions import DomainError, NotPermitted
from core.forms import ScopedForm, ScopedModelMultipleChoiceField
from core.pages import page_action
from projects.forms import DateInput

from . import services
from .agenda import agenda
from .models import OPEN_STATUSES, Issue, Meeting

PAGE_SIZE = 20
#: a meeting page shows every part and city open up to this many projects, folded beyond
AGENDA_OPEN_UP_TO = 20


class MeetingForm(ScopedForm, forms.Form):
    date = forms.DateField(label=gettext_lazy("会议日期"), widget=DateInput())
    title = forms.CharField(
        label=gettext_lazy("会议名称"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("留空则按“地区＋重大项目周碰头会＋日期”命名。"),
    )
    attending_units = ScopedModelMultipleChoiceField(
        Unit.objects.filter(kind__in=(Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE))
        .select_related("region")
        .order_by("region_id", "kind", "name"),
        label=gettext_lazy("参会单位"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("本级职能部门和重大办，以及下一级重大办。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # of the units in scope, those of the user's region and of the regions right below it
        # (the cities at a provincial meeting, the counties at a city's)
        field, region_id = self.fields["attending_units"], self.user.region_id
        field.queryset = (
            field.queryset.filter(Q(region_id=region_id) | Q(region__parent_id=region_id))
            if region_id is not None
            else field.queryset.none()
        )


can_decide = services.can_record_decision


def _meeting_in_scope(request, pk) -> Meeting:
    return get_object_or_404(
        Meeting.objects.for_user(request.user).select_related("region", "created_by"), pk=pk
    )


@login_required
def meeting_list(request):
    meetings = (
        Meeting.objects.for_user(request.user)
        .select_related("region", "created_by")
        .annotate(
            item_count=Count("items", distinct=True),
            decided_count=Count("items", filter=~Q(items__decision=""), distinct=True),
        )
        .order_by("-date", "-pk")  # an aggregate drops Meta.ordering
    )
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "issues/meeting_list.html",
        {"page": page, "meetings": page.object_list, "can_create": request.user.is_office_staff},
    )


@login_required
def meeting_create(request):
    if not request.user.is_office_staff:
        raise PermissionDenied
    form = MeetingForm(
        request.POST or None, user=request.user, initial={"date": timezone.localdate()}
    )

    def page(*_refusal):
        return render(request, "issues/meeting_form.html", {"form": form})

    if request.method != "POST":
        return page()
    return page_action(
        request,
        lambda: services.meeting_create(by=request.user, **form.cleaned_data),
        form=form,
        done=lambda meeting: (
            _("已生成碰头会议程，共%(count)s个项目上会。") % {"count": meeting.items.count()}
        ),
        refused=page,
    )


def _agenda_context(request, meeting: Meeting) -> dict:
    result = agenda(meeting, user=request.user)
    issue_ids = {row.issue.pk for entry in result.entries for row in entry.issues}
    # A department liaison sees only their unit's issues: link the others as plain text.
    visible = set(
        Issue.objects.for_user(request.user).filter(pk__in=issue_ids).values_list("pk", flat=True)
    )
    return {
        "meeting": meeting,
        "agenda": result,
        "attending_units": meeting.attending_units.all(),
        "visible_issue_ids": visible,
    }


@login_required
def meeting_detail(request, pk):
    meeting = _meeting_in_scope(request, pk)
    context = _agenda_context(request, meeting)
    context["can_decide"] = can_decide(request.user, meeting)
    context["folded"] = context["agenda"].project_count > AGENDA_OPEN_UP_TO
    return render(request, "issues/meeting_detail.html", context)


@login_required
def meeting_print(request, pk):
    meeting = _meeting_in_scope(request, pk)
    context = _agenda_context(request, meeting)
    context["printed_at"] = timezone.localtime()
    # the masthead names the office holding the meeting (省重大项目办, 无锡市重大项目办 …)
    context["office"] = Unit.objects.filter(
        region_id=meeting.region_id, kind=Unit.Kind.OFFICE
    ).first()
    return render(request, "issues/meeting_print.html", context)


@login_required
@require_POST
def agenda_decision(request, pk, item_pk):
    meeting = _meeting_in_scope(request, pk)
    item = get_object_or_404(meeting.items.select_related("project"), pk=item_pk)
    if not can_decide(request.user, meeting):
        raise PermissionDenied
    target = f"{meeting.get_absolute_url()}#item-{item.pk}"
    try:
        services.agenda_decide(item=item, by=request.user, decision=request.POST.get("decision"))
    except NotPermitted:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(
            request,
            _("会商意见未保存：%(reason)s") % {"reason": " ".join(error.messages)},
        )
        return redirect(target)
    linked = item.issues.filter(status__in=OPEN_STATUSES).count()
    if linked:
        message = _("已记录“%(project)s”的会商意见，并写入%(count)s个问题的办理记录。") % {
            "project": item.project.name,
            "count": linked,
        }
    else:
        message = _("已记录“%(project)s”的会商意见。") % {"project": item.project.name}
    messages.success(request, message)
    return redirect(target)
