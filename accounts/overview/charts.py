"""The Overview's charts as SVG, drawn by pygal (server-side; no script, nothing from a CDN).

Each chart is served as its own image (``<img>``), so the page keeps its strict CSP while the
SVG document carries pygal's own style sheet; an image runs no script. The page shows the same
numbers as a table beside each chart.
"""

import pygal
from django.utils.translation import gettext
from pygal.etree import etree
from pygal.style import Style

from accounts.overview.figures import Series

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), in the portal's palette.
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b91c1c", "#047857", "#a16207", "#6d28d9", "#0e7490"),
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    no_data_font_size=16,
)


def _config(**options: object) -> dict[str, object]:
    return {
        "style": STYLE,
        "no_data_text": gettext("No events in this period"),
        "truncate_label": -1,
        "truncate_legend": -1,
        "js": [],  # pygal's tooltips load a script from a CDN: none here
        "disable_xml_declaration": True,
        "width": 900,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        **options,
    }


def bar_chart(title: str, series: Series, *, stacked: bool = True, every: int = 1) -> bytes:
    """An SVG (bytes) of stacked (or side-by-side) bars, one per label, one colour per line.

    ``every`` shows only every n-th label on the axis (30 days of dates do not fit).
    """
    chart_class = pygal.StackedBar if stacked else pygal.Bar
    chart = chart_class(**_config(title=title, x_label_rotation=0, show_minor_x_labels=False))
    chart.x_labels = series.labels
    chart.x_labels_major = series.labels[::every]
    for name, values in series.lines.items():
        chart.add(name, values)
    peak = max((sum(column) for column in zip(*series.lines.values(), strict=True)), default=0)
    if peak:
        chart.y_labels = _whole_numbers(peak)
    return _svg(chart)


def horizontal_bars(title: str, rows: list[tuple[str, str, int]]) -> bytes:
    """An SVG (bytes) of one horizontal bar per (label, name, count) row."""
    chart = pygal.HorizontalBar(**_config(title=title, show_legend=True, height=260))
    for _label, name, count in rows:
        chart.add(name, [count])
    if rows:  # pygal cannot place labels on an empty chart
        chart.y_labels = _whole_numbers(max(count for *_names, count in rows))
    return _svg(chart)


def _whole_numbers(peak: int) -> list[int]:
    """At most about ten whole-number ticks from 0 to past ``peak`` (counts have no halves)."""
    step = max(1, -(-peak // 10))
    return list(range(0, peak + step + 1, step))


def line_chart(title: str, series: Series, *, every: int = 1, percent: bool = False) -> bytes:
    """An SVG (bytes) of one line per series over the labels (a trend); ``percent`` fixes the
    y axis at 0-100."""
    options: dict[str, object] = {"title": title, "show_minor_x_labels": False}
    if percent:
        options.update(range=(0, 100), include_x_axis=True)
    chart = pygal.Line(**_config(**options))
    chart.x_labels = series.labels
    chart.x_labels_major = series.labels[::every]
    for name, values in series.lines.items():
        chart.add(name, values)
    return _svg(chart)


def _svg(chart: pygal.graph.graph.Graph) -> bytes:
    """The chart's SVG without pygal's inline <script> (its tooltip configuration)."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return etree.tostring(tree)
