"""``GET /api/v1/me/todo/``: the caller's own to-do list, the same as the page 我的待办."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from ..selectors import todo_items
from .serializers import TodoListSerializer


class MyTodoView(generics.GenericAPIView):
    """The caller's to-do list, computed from the workflows' current state: the items in their
    scope that wait on them, most urgent first (overdue, then by due date, then by title)."""

    serializer_class = TodoListSerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(summary="我的待办", responses={200: TodoListSerializer})
    def get(self, request):
        items = todo_items(request.user)
        payload = {
            "count": len(items),
            "overdue": sum(item.overdue for item in items),
            "results": items,
        }
        return Response(self.get_serializer(payload).data)
