"""Meeting pages (being written)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


meeting_list = meeting_create = meeting_detail = meeting_print = agenda_decision = _todo
