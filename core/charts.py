"""Charts for the pages and the PDF documents: horizontal bars as inline SVG, and the time axis
of a Gantt chart.

Hand-written SVG rather than a plotting library: a bar chart is a few rectangles, and owning the
markup means the labels stay text (searchable, sharp, in the document's fonts). CSS does not
reach text inside an inline SVG in WeasyPrint, and a chart saved from a page should still show
its Chinese labels, so the font is set on the ``<svg>`` element itself.

One drawing, two layouts: :data:`PRINT` is drawn at its size in the documents' own fonts, the
value printed after each bar; :data:`SCREEN` scales with the page, names itself for screen
readers, has a tooltip per bar and the values in a column.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = Decimal | float | int

ALERT = "#c00000"  # below target, overdue …
FULL = "#1b7f3b"  # reached (100 % or more)
BLANK = "#d9dde3"  # nothing to measure
BLANK_TEXT = "#5f6670"
TRACK = "#eef0f3"
LIMIT = "#b3261e"  # the end of the track: 100 %


@dataclass(frozen=True)
class Layout:
    width: int
    label_width: int
    #: room right of the plot (the values' column, or for a value after the longest bar)
    value_width: int
    row_height: int
    bar_height: int
    #: the top of the first bar, and the height beyond the rows (legend not included)
    top: int
    padding: int
    #: from the labels' right end to the plot
    label_gap: int
    font: str
    font_size: int
    colour: str
    #: the labels' and values' colour
    ink: str
    #: scales with the page (width 100 %, a caption for screen readers); else drawn at its size
    responsive: bool
    #: the values in a column right of the plot; else right after each bar
    values_in_column: bool

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - self.value_width


#: the PDF documents: their own sans-serif font (``reports/assets/fonts``)
PRINT = Layout(
    width=560,
    label_width=110,
    value_width=80,
    row_height=20,
    bar_height=14,
    top=7,
    padding=8,
    label_gap=6,
    font="'Noto Sans SC', 'Noto Sans CJK SC', sans-serif",
    font_size=11,
    colour="#2f5597",
    ink="#000",
    responsive=False,
    values_in_column=False,
)
#: the pages: the fonts of the reader's system
SCREEN = Layout(
    width=640,
    label_width=96,
    value_width=104,
    row_height=26,
    bar_height=16,
    top=6,
    padding=12,
    label_gap=8,
    font="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, sans-serif",
    font_size=13,
    colour="#1f5fa8",
    ink="#1f2328",
    responsive=True,
    values_in_column=True,
)


@dataclass
class Bar:
    label: str
    value: Number | None
    #: a target to mark on the bar (same unit as the value), or None
    target: Number | None = None
    #: the text printed after the bar (the formatted value)
    text: str = ""
    #: drawn in red: below target, overdue …
    alert: bool = False
    #: the tooltip on a page: the figures behind the bar
    title: str = ""
    #: drawn in green: reached
    full: bool = False
    #: drawn in grey: nothing to measure (e.g. no quota)
    blank: bool = False

    @property
    def colour(self) -> str | None:
        """The bar's own colour, None for the layout's."""
        if self.blank:
            return BLANK
        if self.full:
            return FULL
        return ALERT if self.alert else None


def bar_chart(
    bars: list[Bar],
    *,
    layout: Layout = PRINT,
    maximum: Number | None = None,
    legend: str = "",
    caption: str = "",
    track: bool = False,
    centred: bool = False,
    label_width: int | None = None,
) -> SafeString:
    """Horizontal bars, one per row, scaled to ``maximum`` (default: the largest value or
    target). A target is a short vertical mark across its bar; ``track`` draws the full length
    behind each bar and a dashed line at its end; ``centred`` centres the bars on one axis (a
    funnel: a row of nothing keeps a stub). ``caption`` names the chart for screen readers."""
    if not bars:
        return mark_safe("")
    if label_width is not None:
        layout = replace(layout, label_width=label_width)
    values = [float(b.value or 0) for b in bars] + [float(b.target or 0) for b in bars]
    top = float(maximum) if maximum else max(values + [1.0])
    legend_height = 18 if legend else 0
    height = layout.row_height * len(bars) + layout.padding + legend_height
    parts = [_opening(layout, height, caption)]
    for index, bar in enumerate(bars):
        parts.append(_row(layout, bar, layout.top + index * layout.row_height, top, track, centred))
    right = layout.label_width + layout.plot_width
    if track:
        parts.append(
            f'<line x1="{right}" y1="0" x2="{right}" y2="{height}" stroke="{LIMIT}" '
            f'stroke-dasharray="3 3"/>'
        )
    if legend:
        parts.append(
            f'<text x="{layout.label_width}" y="{height - 4}" fill="#333">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    # every label and text above went through escape(); the rest is our own markup
    return mark_safe("".join(parts))  # noqa: S308


def _opening(layout: Layout, height: int, caption: str) -> str:
    font = f'font-family="{layout.font}" font-size="{layout.font_size}"'
    box = f"0 0 {layout.width} {height}"
    if not layout.responsive:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}" height="{height}" '
            f'viewBox="{box}" {font}>'
        )
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="{box}" width="100%" '
        f'role="img" aria-label="{escape(caption)}" {font}><title>{escape(caption)}</title>'
    )


def _row(layout: Layout, bar: Bar, y: int, top: float, track: bool, centred: bool) -> str:
    plot, left = layout.plot_width, layout.label_width
    share = max(0.0, min(float(bar.value or 0) / top, 1.0)) if top else 0.0
    length = share * plot if share or not centred else 2
    x = left + (plot - length) / 2 if centred else left
    baseline = y + layout.bar_height * 0.75
    classes = "bar" + (" full" if bar.full else "") + (" none" if bar.blank else "")
    parts = [f'<g class="{classes}">']
    if bar.title:
        parts.append(f"<title>{escape(bar.title)}</title>")
    parts.append(
        f'<text x="{left - layout.label_gap}" y="{baseline:g}" text-anchor="end" '
        f'fill="{layout.ink}">{escape(bar.label)}</text>'
    )
    if track:
        parts.append(
            f'<rect x="{left}" y="{y}" width="{plot}" height="{layout.bar_height}" fill="{TRACK}"/>'
        )
    parts.append(
        f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{layout.bar_height}" '
        f'fill="{bar.colour or layout.colour}"/>'
    )
    if bar.target is not None and top:
        tx = left + min(float(bar.target) / top, 1.0) * plot
        above = (layout.row_height - layout.bar_height) / 2
        parts.append(
            f'<line x1="{tx:.1f}" y1="{y - above:g}" x2="{tx:.1f}" '
            f'y2="{y - above + layout.row_height:g}" stroke="#000" stroke-width="1.5"/>'
        )
    value_x = left + plot + 6 if layout.values_in_column else x + length + 4
    parts.append(
        f'<text x="{value_x:g}" y="{baseline:g}" fill="{BLANK_TEXT if bar.blank else layout.ink}">'
        f"{escape(bar.text)}</text>"
    )
    parts.append("</g>")
    return "".join(parts)


# --- the time axis of a Gantt chart -----------------------------------------------------------


@dataclass
class Span:
    left: float  # percent of the chart's width
    width: float
    start: datetime.date
    finish: datetime.date


@dataclass
class Tick:
    left: float
    label: str


@dataclass(frozen=True)
class TimeAxis:
    """Days from ``first`` to ``last`` (both included) laid across 100 % of a chart's width: a
    page draws its bars and ticks with the percentages (``left``, ``width``)."""

    first: datetime.date
    last: datetime.date

    @classmethod
    def around(cls, dates: list[datetime.date], margin: int = 3) -> TimeAxis:
        """The axis over ``dates`` with ``margin`` days either side."""
        pad = datetime.timedelta(days=margin)
        return cls(min(dates) - pad, max(dates) + pad)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def left(self, day: datetime.date) -> float:
        return round((day - self.first).days / self.days * 100, 3)

    def span(self, start, finish, minimum: float = 0.6) -> Span | None:
        """A bar from ``start`` to ``finish`` (whole days), at least ``minimum`` percent wide;
        None without both dates."""
        if start is None or finish is None:
            return None
        width = max(((finish - start).days + 1) / self.days * 100, minimum)
        return Span(self.left(start), round(width, 3), start, finish)

    def month_ticks(self) -> list[Tick]:
        """The first of each month on the axis, every one, 2nd, 3rd or 6th as the axis is
        longer, labelled YYYY-MM."""
        first, last = self.first, self.last
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = 1 if months <= 14 else 2 if months <= 28 else 3 if months <= 42 else 6
        ticks = []
        day = first.replace(day=1)
        index = 0
        while day <= last:
            if day >= first and index % step == 0:
                ticks.append(Tick(self.left(day), f"{day:%Y-%m}"))
            index += 1
            day = (day + datetime.timedelta(days=32)).replace(day=1)
        return ticks
