"""What every official-style document shares: the masthead (版头) and the colophon (版记)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

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


def render(report: Report, template: str, context: dict, progress) -> Built:
    rendered = render_pdf(template, context, progress=progress)
    return Built(filename=filename(report), content=rendered.content, pages=rendered.pages)
