"""Sortable column headers: ``{% sort_header sort "key" "标题" "num" %}`` (see core/sorting.py);
``{% sort_link sort "key" "标题" %}`` for a list without a table head (a board of cards)."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.inclusion_tag("_sort_header.html")
def sort_header(sort, key: str, label: str, css_class: str = "") -> dict:
    """A ``<th>`` whose link sorts the list by ``key`` or turns its direction round."""
    return {"label": label, "css_class": css_class, **sort.header(key)}


@register.simple_tag
def sort_link(sort, key: str, label: str) -> str:
    """A link that sorts the list by ``key`` or turns its direction round; the current one is
    marked (aria-current) with its direction."""
    header = sort.header(key)
    if not header["current"]:
        return format_html('<a class="sort" href="{}">{}</a>', header["href"], label)
    mark = "▼" if header["aria_sort"] == "descending" else "▲"
    return format_html(
        '<a class="sort sorted" href="{}" aria-current="true" data-sort="{}">{}'
        '<span class="sort-mark" aria-hidden="true">{}</span></a>',
        header["href"],
        header["aria_sort"],
        label,
        mark,
    )
