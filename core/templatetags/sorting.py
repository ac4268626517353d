"""Sortable column headers: ``{% sort_header sort "key" "标题" "num" %}`` (see core/sorting.py)."""

from django import template

register = template.Library()


@register.inclusion_tag("_sort_header.html")
def sort_header(sort, key: str, label: str, css_class: str = "") -> dict:
    """A ``<th>`` whose link sorts the list by ``key`` or turns its direction round."""
    return {"label": label, "css_class": css_class, **sort.header(key)}
