"""What every official-style document shares: the masthead (版头) and the colophon (版记)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from indicators.selectors import Window, window_targets

from ..models import Report
from ..pdf import render_pdf
from . import Built, filename


def chinese_date(day: datetime.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}


def masthead(report: Report, today: datetime.date, title: str) -> dict:
    issued = report.published_at.date() if report.published_at else today
    return {
        "report": report,
        "masthead_title": title,
        "office": report.unit,
        "region": report.unit.region,
        "number_label": _("%(year)s年第%(number)s期")
        % {
            "year": report.year,
            "number": report.number,
        },
        "issued_on": chinese_date(issued),
        "as_of": today,
    }


def judge_by_the_year(rows, year: int) -> dict[tuple[str, str], Decimal]:
    """本期目标 as the indicators page shows it: a month's figure is judged against the target
    set for its own window (November's, or June's under H1) and, where its region set none,
    against the region's target for the year — the page's own window (全年, from 1 January to
    date). So a document and ``/indicators/`` name the same target and the same 滞后/达标
    (:attr:`indicators.selectors.Figure.lagging`) for the same region.

    ``rows`` are (region, figures) pairs from :func:`indicators.selectors.indicators` or
    ``indicators_by_region``; their targets are filled in place. Returns every region's year
    targets, (region code, indicator) → value. One query."""
    rows = [(region, figures) for region, figures in rows]
    year_targets = window_targets([region for region, _figures in rows], Window(year))
    for region, figures in rows:
        for figure in figures:
            if figure.target is None:
                figure.target = year_targets.get((region.code, figure.indicator))
    return year_targets


def render(report: Report, template: str, context: dict, progress) -> Built:
    rendered = render_pdf(template, context, progress=progress)
    return Built(filename=filename(report), content=rendered.content, pages=rendered.pages)
