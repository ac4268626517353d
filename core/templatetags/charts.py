"""Charts on the pages: Apache ECharts, served from ``static/vendor`` (never a CDN), drawn by
``static/js/charts.js`` from an option written into the page as JSON. The PDF documents keep
their server-drawn SVG (:mod:`core.charts`).

Usage::

    {% load charts %}
    {% block head %}{% chart_scripts %}{% endblock %}
    …
    {% chart option id="cockpit-trend" height=320 label="各月完成投资" %}
    {% chart option id="cockpit-map" height=420 label="各市开工率" map="320200" %}

``{% chart_scripts %}`` emits ``<script defer>`` tags for ``vendor/echarts/echarts.min.js`` and
``js/charts.js`` and the link to ``css/charts.css``; once in the page's head.

``{% chart option id=… label=… height=300 map=None %}`` renders the container and the option::

    <div class="chart" id="cockpit-trend" data-chart="cockpit-trend-option" role="img"
         aria-label="各月完成投资" style="height:320px"></div>
    <script id="cockpit-trend-option" type="application/json">{…}</script>

- ``option`` is a plain dict of an ECharts option (no functions). Decimals become numbers,
  lazy translations strings, dates ISO strings.
- ``id`` names the container; the option's ``<script>`` is ``<id>-option``.
- ``label`` (required) is what a screen reader says for the picture (``role="img"``); say what
  the chart shows, in Chinese, and keep the figures in a table or text on the page as well.
- ``height`` in pixels (an integer); the width follows the page.
- ``map`` names a region code with a vendored outline (``static/vendor/maps/<code>.json``: the
  province 320000 by city, each of its 13 cities by county; :func:`has_map`): the container gets
  ``data-map`` (the outline's address) and ``data-map-name`` (the code), and charts.js registers
  the outline under that name before drawing, so series of type ``map`` say ``"map": "<code>"``.
  Each outline feature's ``name`` is our region's name, so data items match by ``name``; its
  ``code`` is our 6-digit code. A code without an outline renders a short notice instead.

Conventions charts.js keeps:

- a data item with an ``href`` (``{"name": "无锡市", "value": 85.2, "href": "/?region=320200"}``,
  map series too) opens that address on a click, and shows a pointer; other items do not;
- ``"_valueSuffix": "%"`` on the option's root: the tooltip shows values with that suffix (and
  thousands separators);
- the chart resizes with the window and before printing (to fit A4), and after it is first drawn
  its container carries ``data-drawn="1"`` (the browser tests wait for it);
- no inline script runs: the option is data (``type="application/json"``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import template
from django.contrib.staticfiles import finders
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _

register = template.Library()

MAP_PATH = "vendor/maps/{code}.json"
ID = re.compile(r"^[A-Za-z][\w-]*$")


class OptionEncoder(DjangoJSONEncoder):
    """ECharts reads numbers: a Decimal is written as one (DjangoJSONEncoder writes a string)."""

    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, datetime.datetime | datetime.date):
            return o.isoformat()
        return super().default(o)


def has_map(code: str) -> bool:
    """Whether a region has a vendored outline to draw it by (``{% chart … map=code %}``)."""
    return bool(code) and finders.find(MAP_PATH.format(code=code)) is not None


@register.simple_tag
def chart_scripts():
    return format_html(
        '<script src="{}" defer></script>\n<script src="{}" defer></script>\n'
        '<link rel="stylesheet" href="{}">',
        static("vendor/echarts/echarts.min.js"),
        static("js/charts.js"),
        static("css/charts.css"),
    )


@register.simple_tag
def chart(option, *, id, label, height=300, map=None):  # noqa: A002 (the tag's word for it)
    if not ID.match(str(id)):
        raise template.TemplateSyntaxError(f"chart: id {id!r} is not a plain HTML id")
    height = int(height)
    if map and not has_map(str(map)):
        return format_html(
            '<p class="chart-empty" id="{}">{}</p>', id, _("该地区暂无可绘制的地图。")
        )
    attributes = ""
    if map:
        attributes = format_html(
            ' data-map="{}" data-map-name="{}"', static(MAP_PATH.format(code=map)), map
        )
    container = format_html(
        '<div class="chart" id="{}" data-chart="{}-option" role="img" aria-label="{}"{}'
        ' style="height:{}px"></div>',
        id,
        id,
        label,
        attributes,
        height,
    )
    return container + json_script(option, f"{id}-option", encoder=OptionEncoder)
