"""How figures are printed in the documents — one place, so a test can format a selector's
value the same way and find it in the PDF text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.templatetags.money import WAN_PER_YI, grouped

DASH = "—"


def money(value) -> str:
    """万元 with thousands separators and two decimals: ``12,345.60`` (the pages' rule,
    :func:`core.templatetags.money.grouped`)."""
    if value is None:
        return DASH
    return grouped(Decimal(value))


def yi(value) -> str:
    """万元 printed as 亿元 with two decimals: ``1.23``."""
    if value is None:
        return DASH
    return grouped(Decimal(value) / WAN_PER_YI)


def percent(value) -> str:
    """A value already in percent (the indicators): ``87.50%``."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


def share(value) -> str:
    """A ratio 0–1 (funding progress, approvals within promise) in percent: ``87.5%``."""
    if value is None:
        return DASH
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def count(value) -> str:
    if value is None:
        return DASH
    return f"{int(value):,}"
