"""The documents a report can be: each module builds one kind from the platform's selectors,
bounded by the issuing office's region (:class:`reports.reader.OfficeReader`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib import import_module

from ..models import Kind, Report
from ..periods import parse_period
from ..reader import OfficeReader

#: the module that builds each kind
MODULES = {
    Kind.BRIEFING: "briefing",
    Kind.WEEKLY_AGENDA: "agenda",
    Kind.MONTHLY_SPECIAL: "special",
    Kind.HANDBOOK: "handbook",
}


@dataclass
class Built:
    filename: str
    content: bytes
    pages: int | None = None


def build(report: Report, today: datetime.date, progress=None) -> Built:
    """The file of ``report`` as of ``today``. ``progress(percent, step)`` hears how far it got."""
    module = import_module(f"{__name__}.{MODULES[Kind(report.kind)]}")
    period = parse_period(report.kind, report.period)
    reader = OfficeReader(report.unit.region)
    return module.build(
        report=report, reader=reader, period=period, today=today, progress=progress or _quiet
    )


def _quiet(percent: int, step: str) -> None:
    pass


def filename(report: Report, extension: str = "pdf") -> str:
    """``briefing-2026-11-no12.pdf``: ASCII, so every storage and browser takes it."""
    return f"{report.kind}-{report.period}-no{report.number}.{extension}"
