"""How figures are printed in the documents — one place, so a test can format a selector's
value the same way and find it in the PDF text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DASH = "—"


def money(value) -> str:
    """万元 with thousands separators and two decimals: ``12,345.60``."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def yi(value) -> str:
    """万元 printed as 亿元 with two decimals: ``1.23``."""
    if value is None:
        return DASH
    return f"{(Decimal(value) / Decimal(10000)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


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
