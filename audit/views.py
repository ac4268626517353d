"""The audit page (审计管理员): the trail filtered by user, action, object and date, paged and
sortable, and the same rows as an Excel workbook."""

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.sorting import Column, Sorting
from core.xlsx import workbook

from . import selectors
from .forms import AuditFilterForm
from .models import AuditEntry
from .services import retention_days

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AUDIT_SORT = Sorting(
    at=Column("at", descending_first=True),
    user=Column("username"),
    action=Column("action"),
    object=Column("object_type", "object_id"),
    outcome=Column("outcome"),
    address=Column("address"),
    default="-at",
)


def _rows(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        rows = selectors.filtered(form.cleaned_data)
    elif form.is_bound:
        rows = AuditEntry.objects.none()
    else:
        rows = selectors.filtered({})
    sort = AUDIT_SORT.read(request)
    return form, sort, sort.apply(rows)


@login_required
def entry_list(request):
    selectors.require_reader(request.user)
    form, sort, rows = _rows(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/entry_list.html",
        {
            "form": form,
            "sort": sort,
            "page": page,
            "entries": page.object_list,
            "retention_days": retention_days(),
            "query": request.GET.urlencode(),
        },
    )


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None)


COLUMNS = [
    (_lazy("时间"), lambda e: _local(e.at), "yyyy-mm-dd hh:mm:ss"),
    (_lazy("用户名"), lambda e: e.username),
    (_lazy("姓名"), lambda e: e.user.full_name if e.user_id and e.user else ""),
    (_lazy("角色"), lambda e: e.roles),
    (_lazy("地址"), lambda e: e.address),
    (_lazy("客户端"), lambda e: e.user_agent),
    (_lazy("操作"), lambda e: e.get_action_display()),
    (_lazy("对象类型"), lambda e: e.object_type),
    (_lazy("对象编号"), lambda e: e.object_id),
    (_lazy("对象"), lambda e: e.object_text),
    (_lazy("结果"), lambda e: e.get_outcome_display()),
    (_lazy("详情"), lambda e: json.dumps(e.detail, ensure_ascii=False) if e.detail else ""),
]


@login_required
def entry_export(request):
    selectors.require_reader(request.user)
    _form, _sort, rows = _rows(request)
    columns = [(str(title), *rest) for title, *rest in COLUMNS]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(workbook(str(_("审计记录")), columns, rows), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("审计记录-%(stamp)s.xlsx") % {"stamp": stamp}
    )
    return response
