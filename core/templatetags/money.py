"""One rule for money on every page (amounts are stored in 万元):

- ``{{ amount|wan }}``       in tables, under a heading that names the unit: ``150,000.00``
- ``{{ amount|wan_unit }}``  in running text and detail lists: ``150,000.00 万元``
- ``{{ amount|yi }}``        in headline figures (cockpit cards, summaries): ``15.00 亿元``

Thousands separators always, two decimals always, ``—`` for a missing amount.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()

CENT = Decimal("0.01")
WAN_PER_YI = Decimal(10000)
MISSING = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def grouped(amount: Decimal) -> str:
    """``1234567.891`` → ``1,234,567.89`` (half up, as a bank rounds)."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


@register.filter
def wan(value) -> str:
    amount = _decimal(value)
    return MISSING if amount is None else grouped(amount)


@register.filter
def wan_unit(value) -> str:
    amount = _decimal(value)
    return MISSING if amount is None else f"{grouped(amount)} {_('万元')}"


@register.filter
def yi(value) -> str:
    amount = _decimal(value)
    return MISSING if amount is None else f"{grouped(amount / WAN_PER_YI)} {_('亿元')}"
