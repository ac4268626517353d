"""The one money rule: 万元 in tables (separators, two decimals), 亿元 in headlines."""

from decimal import Decimal

from django.template import Context, Template


def render(expression: str, value) -> str:
    return Template("{% load money %}" + expression).render(Context({"v": value}))


def test_tables_show_wan_with_separators_and_two_decimals():
    assert render("{{ v|wan }}", Decimal("2000000")) == "2,000,000.00"
    assert render("{{ v|wan }}", Decimal("1234.565")) == "1,234.57"
    assert render("{{ v|wan }}", 0) == "0.00"


def test_text_names_the_unit_and_headlines_use_yi():
    assert render("{{ v|wan_unit }}", Decimal("150000")) == "150,000.00 万元"
    assert render("{{ v|yi }}", Decimal("1853000")) == "185.30 亿元"
    assert render("{{ v|yi }}", Decimal("-25000")) == "-2.50 亿元"


def test_missing_amounts_are_a_dash():
    assert render("{{ v|wan }}", None) == "—"
    assert render("{{ v|yi }}", "") == "—"
    assert render("{{ v|wan_unit }}", "n/a") == "—"
