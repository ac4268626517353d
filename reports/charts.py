"""Small SVG charts for the documents: horizontal bars with Chinese labels.

Hand-written SVG rather than a plotting library: a bar chart is a few rectangles, and owning the
markup means the labels stay text (searchable, sharp, in the document's fonts). CSS on the page
does not reach text inside an inline SVG in WeasyPrint, so the font is set on the ``<svg>``
element itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "'Noto Sans SC', 'Noto Sans CJK SC', sans-serif"


@dataclass
class Bar:
    label: str
    value: Decimal | float | int | None
    #: a target to mark on the bar (same unit as the value), or None
    target: Decimal | float | int | None = None
    #: the text printed after the bar (the formatted value)
    text: str = ""
    #: drawn in red: below target, overdue …
    alert: bool = False


def bar_chart(
    bars: list[Bar],
    *,
    maximum: float | None = None,
    width: int = 560,
    row_height: int = 20,
    label_width: int = 110,
    legend: str = "",
) -> SafeString:
    """Horizontal bars, one per row, scaled to ``maximum`` (default: the largest value or
    target). A target is a short vertical mark across its bar."""
    if not bars:
        return mark_safe("")
    values = [float(b.value or 0) for b in bars] + [float(b.target or 0) for b in bars]
    top = float(maximum) if maximum else max(values + [1.0])
    text_width = 80
    plot = width - label_width - text_width
    legend_height = 18 if legend else 0
    height = row_height * len(bars) + 8 + legend_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11">'
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * row_height
        length = max(0.0, min(float(bar.value or 0) / top, 1.0)) * plot if top else 0
        colour = "#c00000" if bar.alert else "#2f5597"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + row_height * 0.68:.1f}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" '
            f'height="{row_height - 6}" fill="{colour}"/>'
        )
        if bar.target is not None and top:
            tx = label_width + min(float(bar.target) / top, 1.0) * plot
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" y2="{y + row_height}" '
                f'stroke="#000" stroke-width="1.5"/>'
            )
        parts.append(
            f'<text x="{label_width + length + 4:.1f}" y="{y + row_height * 0.68:.1f}">'
            f"{escape(bar.text)}</text>"
        )
    if legend:
        parts.append(
            f'<text x="{label_width}" y="{height - 4}" fill="#333">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    # every label and text above went through escape(); the rest is our own markup
    return mark_safe("".join(parts))  # noqa: S308
