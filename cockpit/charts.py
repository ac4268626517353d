"""The cockpit's ECharts options, built from the selectors' figures as plain data (no
functions): every bar or region that stands for a list carries that list's address (``href``),
which static/js/charts.js follows on a click."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

LIGHT_COLOURS = {"red": "#c0392b", "yellow": "#d4a017", "green": "#2e8b57", "": "#9aa5b1"}
MONTH_LABELS = [f"{m}月" for m in range(1, 13)]


def _number(value) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def map_option(region, indicator_label, rows) -> dict:
    values = [_number(row.value) for row in rows if row.value is not None]
    return {
        "_valueSuffix": "%",
        "tooltip": {"trigger": "item"},
        "visualMap": {
            "min": 0,
            "max": max([100.0, *values]) if values else 100,
            "left": "left",
            "bottom": 0,
            "text": [_("高"), _("低")],
            "calculable": True,
            "inRange": {"color": ["#f4d6d2", "#f6e7b4", "#cde8d6", "#2e8b57"]},
        },
        "series": [
            {
                "name": str(indicator_label),
                "type": "map",
                "map": region.code,
                "roam": False,
                "label": {"show": True, "fontSize": 10},
                "data": [
                    {"name": row.region.name, "value": _number(row.value), "href": row.url}
                    for row in rows
                ],
            }
        ],
    }


def trend_option(trend, year: int) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [f"{year}年", f"{year - 1}年"]},
        "grid": {"left": 60, "right": 16, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": MONTH_LABELS},
        "yAxis": {"type": "value", "name": str(trend.label)},
        "series": [
            {
                "name": f"{year}年",
                "type": "line",
                "data": [_number(v) for v in trend.this_year],
                "smooth": True,
            },
            {
                "name": f"{year - 1}年",
                "type": "line",
                "data": [_number(v) for v in trend.last_year],
                "lineStyle": {"type": "dashed"},
            },
        ],
    }


def issues_option(issues) -> dict:
    rows = issues.by_region
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("未办结"), _("逾期")]},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 60},
        "xAxis": {
            "type": "category",
            "data": [row.label for row in rows],
            "axisLabel": {"rotate": 30},
        },
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _("未办结"),
                "type": "bar",
                "data": [{"value": row.open, "href": row.open_url} for row in rows],
            },
            {
                "name": _("逾期"),
                "type": "bar",
                "itemStyle": {"color": LIGHT_COLOURS["red"]},
                "data": [{"value": row.overdue, "href": row.overdue_url} for row in rows],
            },
        ],
    }


def approvals_option(departments) -> dict:
    return {
        "_valueSuffix": "%",
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 150, "right": 24, "top": 16, "bottom": 24},
        "xAxis": {"type": "value", "max": 100},
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [row.name for row in departments],
        },
        "series": [
            {
                "name": _("按时办结率"),
                "type": "bar",
                "data": [
                    {"value": _number(row.on_time_rate), "href": row.url} for row in departments
                ],
            }
        ],
    }


def funding_option(funding) -> dict:
    names = [
        (_("额度"), "quota"),
        (_("下达"), "allocated"),
        (_("发行/拨付"), "issued"),
        (_("支出"), "used"),
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [label for label, _attr in names]},
        "grid": {"left": 70, "right": 16, "top": 36, "bottom": 40},
        "xAxis": {"type": "category", "data": [row.channel.name for row in funding]},
        "yAxis": {"type": "value", "name": _("万元")},
        "series": [
            {
                "name": label,
                "type": "bar",
                "data": [
                    {"value": _number(getattr(row, attr) or 0), "href": row.url} for row in funding
                ],
            }
            for label, attr in names
        ],
    }


def cockpit_charts(region, window, indicator, regions, trends, issues, departments, funding):
    from indicators.models import Indicator

    options = {
        "trends": [
            (f"cockpit-trend-{i}", trend.label, trend_option(trend, window.year))
            for i, trend in enumerate(trends)
        ]
    }
    if regions:
        options["map"] = map_option(region, Indicator(indicator).label, regions)
    if issues.by_region:
        options["issues"] = issues_option(issues)
    if departments:
        options["approvals"] = approvals_option(departments)
    if funding:
        options["funding"] = funding_option(funding)
    return options
