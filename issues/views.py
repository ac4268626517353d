"""Issue pages (being written)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


issue_board = issue_report = closeout_list = closeout_export = supervision_list = _todo
issue_detail = issue_action = _todo
