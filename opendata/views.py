"""Open-data pages: the public list of the monthly OC4IDS files with their downloads (no
sign-in: they hold only what offices marked public), and marking a project public or not from
its page (office staff whose scope covers it; out of scope: 404, anyone else: 403)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pages import page_action
from projects.models import Project

from . import selectors, services


def file_list(request):
    return render(
        request,
        "opendata/file_list.html",
        {
            "files": selectors.published_files(),
            "project_count": selectors.published_projects().count(),
        },
    )


def file_download(request, month):
    published = get_object_or_404(selectors.published_files(), month=month)
    try:
        handle = published.file.open("rb")
    except FileNotFoundError as missing:  # the record outlived its file: not a server error
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=True, filename=published.filename, content_type="application/json"
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=3600)
    return response


@login_required
@require_POST
def publication_edit(request, project_pk):
    project = get_object_or_404(Project.objects.for_user(request.user), pk=project_pk)
    if not services.may_publish(request.user):
        raise PermissionDenied(_("只有重大办工作人员可以公开项目信息。"))
    if request.POST.get("public") == "1":
        step = lambda: services.publication_set(by=request.user, project=project)  # noqa: E731
        done = _("已公开该项目，将列入 OC4IDS 开放数据。")
    else:
        step = lambda: services.publication_clear(by=request.user, project=project)  # noqa: E731
        done = _("已取消公开该项目。")

    def refused(error, status):
        return render(
            request,
            "opendata/publication_refused.html",
            {"project": project, "error": error},
            status=status,
        )

    return page_action(request, step, refused=refused, done=done, then=project)
