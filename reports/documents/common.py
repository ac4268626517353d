"""What every official-style document shares: the masthead (版头) and the colophon (版记)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
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


@dataclass
class Bounded:
    """The first rows of a long list and how many there are in all: a document prints the
    rows and "……另有 N 个" for the rest, so its length does not grow with the region."""

    rows: Sequence
    total: int

    @property
    def rest(self) -> int:
        return self.total - len(self.rows)

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self):
        return iter(self.rows)


def bounded(items: QuerySet | Iterable, limit: int | None = None) -> Bounded:
    """The first ``limit`` (``REPORT_LIST_LIMIT``) of ``items``, in their order, and their
    number: a queryset is counted only when there are more than it shows (one query more)."""
    limit = settings.REPORT_LIST_LIMIT if limit is None else limit
    if isinstance(items, QuerySet):
        rows = list(items[: limit + 1])
        if len(rows) <= limit:
            return Bounded(rows, len(rows))
        return Bounded(rows[:limit], items.count())
    items = list(items)
    return Bounded(items[:limit], len(items))


def render(report: Report, template: str, context: dict, progress) -> Built:
    rendered = render_pdf(template, context, progress=progress)
    return Built(filename=filename(report), content=rendered.content, pages=rendered.pages)
