"""Pagination of the API's lists, and of the large lists' pages.

Most lists are small and use :class:`PageNumberPagination` as DRF has it. The project library
holds up to a million rows; its API list and its page use :class:`ListPaginator`, which

- fetches a page in two steps: the page's ids first (``SELECT id … ORDER BY … LIMIT/OFFSET``,
  an index-only scan in the list's order), then those rows with everything they show — so the
  rows skipped by an offset are never joined nor annotated;
- counts exactly up to ``LIST_COUNT_EXACT_UP_TO`` rows (a count that stops there), and above
  that gives PostgreSQL's estimate, flagged ``count_is_estimate`` (the page says "约").

:class:`SeekPagination` (the library's API) adds ``?cursor=``: its ``next`` links continue after
the last row of the page (keyset pagination on the list's order), so page 1,000 reached by
following ``next`` costs what page 1 does, where ``?page=1000`` walks past 49,950 index entries.
Page numbers keep working.
"""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import F, OrderBy, Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (at most 200) answering ``{count, next, previous, results}``."""

    page_size_query_param = "page_size"
    max_page_size = 200


def rows_by_ids(queryset: QuerySet, ids: list) -> list:
    """The rows of ``queryset`` with these primary keys, in the order of ``ids`` (sorted here:
    the database need not sort them again)."""
    by_id = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


class ListPaginator(Paginator):
    """A Django paginator for a large ordered queryset: ids first, then the page's rows; the
    count exact up to ``exact_up_to`` (default ``LIST_COUNT_EXACT_UP_TO``; 0: always exact),
    estimated above it on PostgreSQL."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        self.exact_up_to = kwargs.pop("exact_up_to", None)
        if self.exact_up_to is None:
            self.exact_up_to = settings.LIST_COUNT_EXACT_UP_TO
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset), False
        queryset = queryset.order_by()
        limit = self.exact_up_to
        if not limit or connections[queryset.db].vendor != "postgresql":
            return queryset.count(), False
        # stops after limit + 1 rows: cheap whatever the size of the list
        capped = queryset.values("pk")[: limit + 1].count()
        if capped <= limit:
            return capped, False
        plan = json.loads(queryset.values("pk").explain(format="json"))
        return max(int(plan[0]["Plan"]["Plan Rows"]), limit + 1), True

    @property
    def count(self) -> int:
        return self._counted[0]

    @property
    def count_is_estimate(self) -> bool:
        return self._counted[1]

    def validate_number(self, number):
        if not self.count_is_estimate:
            return super().validate_number(number)
        # past an estimated end a page is empty, not an error: the real end may lie further
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("页码不是整数")) from None
        if number < 1:
            raise EmptyPage(_("页码小于 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows, more = self.slice(bottom, bottom + self.per_page)
        page = self._get_page(rows, number, self)
        page.more = more
        return page

    def _get_page(self, *args, **kwargs):
        return ListPage(*args, **kwargs)

    @cached_property
    def seek_keys(self) -> list[tuple[str, bool]] | None:
        """The keys of the list's order when it can be continued by cursor (the model's
        default order, every key NOT NULL), else None."""
        queryset = self.object_list
        return _seek_keys(queryset) if isinstance(queryset, QuerySet) else None

    def seek_page(self, cursor: str) -> ListPage:
        """The page a next link's cursor points to: the rows after the row it names, found in
        the index like page 1 (raises :class:`InvalidCursor`)."""
        if self.seek_keys is None:
            raise InvalidCursor(_("无效的游标。"))
        number, values = decode_cursor(cursor, self.seek_keys)
        after = self.object_list.filter(_after(self.seek_keys, values))
        ids = list(after.values_list("pk", flat=True)[: self.per_page + 1])
        page = self._get_page(rows_by_ids(self.object_list, ids[: self.per_page]), number, self)
        page.more = len(ids) > self.per_page
        return page

    def get_page_at(self, number, cursor: str | None = None) -> ListPage:
        """:meth:`get_page`, or with the cursor of a next link the page it points to (an
        invalid cursor: the page by number)."""
        if cursor:
            try:
                return self.seek_page(cursor)
            except InvalidCursor:
                pass
        return self.get_page(number)

    def slice(self, bottom: int, top: int) -> tuple[list, bool]:
        """Rows ``bottom`` to ``top`` of the list, fetched by id, and whether more follow."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return list(queryset[bottom:top]), len(queryset) > top
        ids = list(queryset.values_list("pk", flat=True)[bottom : top + 1])
        return rows_by_ids(queryset, ids[: top - bottom]), len(ids) > top - bottom


class InvalidCursor(InvalidPage):
    pass


class ListPage(Page):
    """A page that knows whether rows follow from having fetched one more id (exact even when
    the count is an estimate), and the cursor of its next link."""

    more: bool | None = None

    def has_next(self) -> bool:
        return super().has_next() if self.more is None else self.more

    @cached_property
    def next_cursor(self) -> str | None:
        """The cursor continuing after this page's last row (None when nothing follows or the
        list's order cannot be continued by cursor)."""
        keys = self.paginator.seek_keys
        if keys is None or not self.has_next() or not self.object_list:
            return None
        return encode_cursor(keys, self.object_list[-1], self.number + 1)


def decode_cursor(token: str, keys: list[tuple[str, bool]]) -> tuple[int, list]:
    """The page number and the key values a cursor holds (raises :class:`InvalidCursor`)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        number, values = int(data["page"]), list(data["after"])
        if number < 2 or len(values) != len(keys):
            raise ValueError
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidCursor(_("无效的游标。")) from None
    return number, values


def encode_cursor(keys: list[tuple[str, bool]], row, number: int) -> str:
    values = [getattr(row, name) for name, _descending in keys]
    values = [str(value) if isinstance(value, Decimal) else value for value in values]
    data = json.dumps({"page": number, "after": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode()


def _order_keys(model, terms) -> list[tuple[str, bool]] | None:
    """``[(column, descending), …]`` of order terms (``"-name"`` or ``F("name").desc()``); None
    for anything else (an expression, a relation's field)."""
    keys = []
    for term in terms:
        if isinstance(term, str):
            name, descending = term.removeprefix("-"), term.startswith("-")
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            name, descending = term.expression.name, term.descending
        else:
            return None
        try:
            field = model._meta.get_field(model._meta.pk.name if name == "pk" else name)
        except FieldDoesNotExist:
            return None
        keys.append((field.attname, descending, field.null))
    return keys


def _seek_keys(queryset: QuerySet) -> list[tuple[str, bool]] | None:
    """``[(field, descending), …]`` of the model's default order when the queryset is in it
    (by default or asked for in the same terms) and every field is NOT NULL (a keyset needs a
    total order without NULLs); else None."""
    model = queryset.model
    default = _order_keys(model, model._meta.ordering)
    if queryset.query.order_by:
        if _order_keys(model, queryset.query.order_by) != default:
            return None
    elif not queryset.query.default_ordering:
        return None
    if not default or any(null for _name, _descending, null in default):
        return None
    if default[-1][0] != model._meta.pk.attname:
        return None
    return [(name, descending) for name, descending, _null in default]


def _after(keys: list[tuple[str, bool]], values: list) -> Q:
    """Rows after ``values`` in the order ``keys``: (a, b) after (x, y) is a beyond x, or a = x
    and b beyond y. The first key's "at most" is repeated on its own, where an index uses it."""
    condition = Q()
    for depth in range(len(keys) - 1, -1, -1):
        name, descending = keys[depth]
        beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[depth]})
        equal = Q(**{key: value for (key, _desc), value in zip(keys[:depth], values, strict=False)})
        condition = (equal & beyond) if depth == len(keys) - 1 else (equal & beyond) | condition
    first, descending = keys[0]
    return Q(**{f"{first}__{'lte' if descending else 'gte'}": values[0]}) & condition


class SeekPagination(PageNumberPagination):
    """Page numbers as everywhere, plus ``?cursor=`` (keyset) links for ``next``; the count
    exact up to ``LIST_COUNT_EXACT_UP_TO`` and ``count_is_estimate`` when it is not."""

    django_paginator_class = ListPaginator
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        token = request.query_params.get(self.cursor_query_param)
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        if not token or paginator.seek_keys is None:  # another order: by page number
            return super().paginate_queryset(queryset, request, view)
        try:
            self.page = paginator.seek_page(token)
        except InvalidCursor as error:
            raise NotFound(error.args[0]) from None
        return list(self.page)

    def get_next_link(self):
        if not self.page.has_next():
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.page_query_param, self.page.number + 1)
        cursor = self.page.next_cursor
        if cursor is None:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_previous_link(self):
        link = super().get_previous_link()
        return None if link is None else remove_query_param(link, self.cursor_query_param)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_estimate": self.page.paginator.count_is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = str(
            _("总条数：不超过 LIST_COUNT_EXACT_UP_TO 时为精确值，超过时为数据库估计值")
        )
        schema["properties"] = {
            "count": schema["properties"]["count"],
            "count_is_estimate": {"type": "boolean", "example": False},
            **{k: v for k, v in schema["properties"].items() if k != "count"},
        }
        schema["required"] = [*schema.get("required", ["count", "results"]), "count_is_estimate"]
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("续页游标：取自上一页 next 链接，从上一页最后一条之后接着列出（默认排序时）")
                ),
                "schema": {"type": "string"},
            },
        ]
