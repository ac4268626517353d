"""One way to sort a list page by its column headers.

A list declares which of its columns may be sorted (a whitelist) and how each orders the
rows; the page reads ``?sort=key`` (ascending) or ``?sort=-key`` (descending). A value that is
not on the list is ignored and the list keeps its default order (never an error). Rows that tie
are kept in a stable order by their primary key, so a page boundary never moves between two
requests.

Use::

    PROJECT_SORT = Sorting(
        name=Column("name"),
        total_investment=Column("total_investment", descending_first=True),
        default="-total_investment",
    )

    def project_list(request):
        sort = PROJECT_SORT.read(request)
        rows = sort.apply(queryset)
        page = Paginator(rows, 20).get_page(request.GET.get("page"))
        return render(request, ..., {"sort": sort, "page": page})

and in the template, one header per column (``{% load sorting %}``)::

    {% sort_header sort "total_investment" _("总投资（万元）") "num" %}

which renders ``<th aria-sort="descending" class="num"><a href="?…&sort=total_investment">…``:
the current direction on the header, a link that turns it round (or sorts by that column,
``descending_first`` columns from the top down), the other query parameters (filters) kept and
the page number dropped. ``{% include "_pagination.html" %}`` pages through with filters and
sort kept.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, OrderBy, Value, When
from django.db.models.expressions import BaseExpression
from django.http import QueryDict

PARAM = "sort"
PAGE_PARAM = "page"


@dataclass(frozen=True)
class Column:
    """How one sortable column orders rows: fields (or expressions) in ascending order."""

    fields: tuple
    descending_first: bool = False
    nullable: bool = True

    def __init__(
        self,
        *fields: str | BaseExpression,
        descending_first: bool = False,
        nullable: bool = True,
    ):
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "descending_first", descending_first)
        object.__setattr__(self, "nullable", nullable)

    def ordering(self, descending: bool) -> list[OrderBy]:
        """Empty values last whichever way the column is turned. A column declared not
        ``nullable`` is ordered plainly: the same ORDER BY as the model's, which an index in
        that order serves (PostgreSQL matches the NULLS order too, NOT NULL or not)."""
        terms = []
        for field in self.fields:
            expression = F(field) if isinstance(field, str) else field
            if not self.nullable:
                terms.append(expression.desc() if descending else expression.asc())
            elif descending:
                terms.append(expression.desc(nulls_last=True))
            else:
                terms.append(expression.asc(nulls_last=True))
        return terms


def choice_order(field: str, choices) -> Case:
    """A choice field in the order its choices are given (a stage in lifecycle order), not
    alphabetically by stored value: ``Column(choice_order("stage", Stage))``; ``choices`` is a
    choices class or a sequence of its values in the wanted order."""
    values = [getattr(choice, "value", choice) for choice in choices]
    return Case(
        *(When(**{field: value}, then=Value(index)) for index, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


class Sorting:
    """The sortable columns of one list (``key=Column(...)``) and its default order."""

    def __init__(self, default: str = "", **columns: Column):
        self.columns = columns
        self.default = default
        if default and self.parse(default) is None:
            raise ValueError(f"default sort {default!r} is not one of the columns")

    def parse(self, value: str | None) -> tuple[str, bool] | None:
        """``"-total"`` → ``("total", True)``; None for anything not on the whitelist."""
        if not value:
            return None
        value = value.strip()
        key, descending = (value[1:], True) if value.startswith("-") else (value, False)
        return (key, descending) if key in self.columns else None

    def read(self, request) -> "Sort":
        chosen = self.parse(request.GET.get(PARAM))
        requested = chosen is not None
        if chosen is None:
            chosen = self.parse(self.default)
        key, descending = chosen if chosen else (None, False)
        return Sort(self, key, descending, request.GET, requested)


@dataclass
class Sort:
    """The order one request asked for (or the default), and the links its headers give."""

    sorting: Sorting
    key: str | None
    descending: bool
    query: QueryDict
    requested: bool = False

    @property
    def value(self) -> str:
        """The ``sort`` parameter that gives this order ('' when nothing is sorted)."""
        if self.key is None:
            return ""
        return f"-{self.key}" if self.descending else self.key

    def ordering(self) -> list[OrderBy]:
        """This order as ``order_by`` terms, ties broken by primary key (also usable as a
        window's order); empty without a sort."""
        if self.key is None:
            return []
        column = self.sorting.columns[self.key]
        return [*column.ordering(self.descending), F("pk").asc()]

    def apply(self, queryset):
        """The rows in this order, ties broken by primary key; unchanged without a sort."""
        return queryset.order_by(*self.ordering()) if self.key is not None else queryset

    def default_href(self) -> str:
        """The list in its default order, the filters kept, from page 1."""
        query = self.query.copy()
        query.pop(PARAM, None)
        query.pop(PAGE_PARAM, None)
        return "?" + query.urlencode() if query else "?"

    def sort_list(self, rows: Sequence, value_of) -> list:
        """Rows already in memory in this order: ``value_of(row, key)`` gives a column's value.
        Rows without a value go last either way; ties keep the order the rows came in (the
        caller's stable order)."""
        rows = list(rows)
        if self.key is None:
            return rows
        present = [row for row in rows if value_of(row, self.key) is not None]
        missing = [row for row in rows if value_of(row, self.key) is None]
        present.sort(key=lambda row: value_of(row, self.key), reverse=self.descending)
        return present + missing

    def header(self, key: str) -> dict:
        """What the header of column ``key`` shows: its direction and the link that turns it."""
        if key not in self.sorting.columns:
            raise KeyError(f"column {key!r} is not sortable on this list")
        current = self.key == key
        if current:
            descending = not self.descending
        else:
            descending = self.sorting.columns[key].descending_first
        query = self.query.copy()
        query[PARAM] = f"-{key}" if descending else key
        query.pop(PAGE_PARAM, None)
        return {
            "current": current,
            "aria_sort": ("descending" if self.descending else "ascending") if current else "",
            "href": "?" + query.urlencode(),
            "next_descending": descending,
        }
