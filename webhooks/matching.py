"""Which events a subscription names: a name from the catalogue, every name under a prefix
(``issue.*``) or everything (``*``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.events import ANY, CATALOGUE
from core.exceptions import DomainError


def prefixes() -> list[str]:
    """``issue.*``, ``approval.*`` …: one per family of the catalogue, in its order."""
    seen: dict[str, None] = {}
    for name in CATALOGUE:
        seen.setdefault(name.split(".", 1)[0] + ".*", None)
    return list(seen)


def is_known(pattern: str) -> bool:
    if pattern == ANY or pattern in CATALOGUE:
        return True
    if pattern.endswith(".*"):
        stem = pattern[:-1]
        return any(name.startswith(stem) for name in CATALOGUE)
    return False


def matches(patterns: Iterable[str], name: str) -> bool:
    for pattern in patterns:
        if pattern == ANY or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def clean_events(value) -> list[str]:
    """The subscribed names as given, checked against the catalogue, without repeats."""
    if isinstance(value, str):
        value = value.replace("，", ",").replace(",", " ").split()
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise DomainError(_("事件应为事件名称的列表。"), code="invalid_events", field="events")
    names = list(dict.fromkeys(item.strip() for item in value if item.strip()))
    if not names:
        raise DomainError(_("请至少选择一个事件。"), code="invalid_events", field="events")
    unknown = [name for name in names if not is_known(name)]
    if unknown:
        raise DomainError(
            _("未知的事件：%(names)s。事件名称见事件目录，也可写“issue.*”这样的前缀或“*”。")
            % {"names": "、".join(unknown)},
            code="unknown_event",
            field="events",
        )
    return names
