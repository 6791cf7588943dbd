"""Per-epoch metric charts as inline SVG, drawn on the server, made interactive in the page.

A chart is a pure function of its numbers: it shows with scripts disabled, in a saved page and
to screen readers (a ``<title>`` and a table-like legend). :func:`line_chart` overlays the
series of one metric (e.g. ``loss`` of this version's experiments and of the version compared
with) on shared axes with round-number ticks and grid lines (``services.chart_scale``). Each
series carries its points in ``data-points``, and the plot its geometry in ``data-*``
attributes, so ``static/charts.js`` can show the values under the pointer without fetching
anything. :func:`metric_deltas` lines up final metrics of two runs for the table next to the
charts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from tetherai.services.chart_scale import Scale, format_number, integer_scale, scale
from tetherai.web.i18n import gettext as _

__all__ = ["PALETTE", "MetricDelta", "line_chart", "metric_deltas"]

# Colour-blind-safe (Okabe–Ito) and distinguishable by dash pattern too.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_DASHES = ("", "6 3", "2 3", "8 3 2 3")
_LEFT, _RIGHT, _TOP, _BOTTOM = 62, 16, 30, 42
_LEGEND_LINE = 18


def _svg_open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{_LEFT}" y="18" font-size="13" font-weight="bold" translate="no">'
        f"{escape(title)}</text>"
    )


def _axes(x: Scale, y: Scale, width: int, height: int, x_label: str) -> list[str]:
    """Grid lines and tick labels of both axes, and the x axis's name."""
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    bottom = _TOP + plot_h
    parts = ['<g class="grid" stroke="#e3e6ea" stroke-width="1">']
    for tick in y.ticks:
        ty = _TOP + plot_h * (1 - y.fraction(tick))
        parts.append(f'<line x1="{_LEFT}" y1="{ty:.1f}" x2="{_LEFT + plot_w}" y2="{ty:.1f}"/>')
    parts.append("</g>")
    parts.append(
        f'<g class="axes" stroke="#6b7480" stroke-width="1">'
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}"/>'
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{_LEFT + plot_w}" y2="{bottom}"/>'
    )
    for tick in x.ticks:
        tx = _LEFT + plot_w * x.fraction(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{bottom}" x2="{tx:.1f}" y2="{bottom + 4}"/>')
    parts.append("</g>")
    parts.append('<g class="ticks" font-size="11" fill="#333">')
    for tick in y.ticks:
        ty = _TOP + plot_h * (1 - y.fraction(tick))
        parts.append(
            f'<text class="y-tick" x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{y.label(tick)}</text>"
        )
    for tick in x.ticks:
        tx = _LEFT + plot_w * x.fraction(tick)
        parts.append(
            f'<text class="x-tick" x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{x.label(tick)}</text>"
        )
    parts.append(
        f'<text class="x-name" x="{_LEFT + plot_w / 2:.1f}" y="{bottom + 34}" '
        f'text-anchor="middle">{escape(x_label)}</text></g>'
    )
    return parts


def line_chart(
    title: str,
    series: Mapping[str, Sequence[float]],
    *,
    width: int = 520,
    height: int = 260,
) -> Markup:
    """An SVG line chart of ``series`` (label → values by epoch, epoch 1 first).

    Every series shares the y axis (round-number ticks around the smallest and largest value
    of all) and the x axis (epochs 1 … the longest series). Non-finite values are skipped; a
    series with one point is drawn as a dot. Returns markup safe to put in a page: labels are
    escaped.
    """
    clean = {
        name: [(i + 1, float(v)) for i, v in enumerate(values) if math.isfinite(v)]
        for name, values in series.items()
    }
    clean = {name: points for name, points in clean.items() if points}
    total_height = height + _LEGEND_LINE * len(clean)
    parts = [_svg_open(title, width, total_height)]
    if not clean:
        parts.append(f'<text x="{_LEFT}" y="{height // 2}" font-size="12">–</text></svg>')
        return Markup("".join(parts))  # noqa: S704 - built from escaped parts
    values = [v for points in clean.values() for _, v in points]
    epochs = max(len(series[name]) for name in clean)
    x, y = integer_scale(1, epochs), scale(min(values), max(values))
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    parts[0] = parts[0].replace(
        'class="chart"',
        f'class="chart" data-plot="{_LEFT} {_TOP} {plot_w} {plot_h}" '
        f'data-x="{x.low} {x.high}" data-y="{y.low} {y.high}" data-step="{y.step}"',
        1,
    )
    parts += _axes(x, y, width, height, _("epoch"))

    def at(epoch: int, value: float) -> str:
        return f"{_LEFT + plot_w * x.fraction(epoch):.1f},{_TOP + plot_h * (1 - y.fraction(value)):.1f}"

    for position, (name, points) in enumerate(clean.items()):
        colour = PALETTE[position % len(PALETTE)]
        dash = _DASHES[position % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        label = escape(name)
        data = escape(json.dumps(points, separators=(",", ":")))
        common = f'class="series" data-series="{label}" data-colour="{colour}" data-points="{data}"'
        if len(points) == 1:
            cx, cy = at(*points[0]).split(",")
            parts.append(f'<circle {common} cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>')
        else:
            coords = " ".join(at(e, v) for e, v in points)
            parts.append(
                f'<polyline {common} fill="none" stroke="{colour}" stroke-width="2"'
                f'{dash_attr} points="{coords}"/>'
            )
        legend_y = height + _LEGEND_LINE * position + 2
        # The last value with two more digits than the axis's labels need.
        last_value = format_number(points[-1][1], y.step / 100)
        last = escape(_("last %(value)s") % {"value": last_value})
        parts.append(
            f'<g class="legend" font-size="12"><line x1="{_LEFT}" y1="{legend_y}" '
            f'x2="{_LEFT + 22}" y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            f'<text x="{_LEFT + 28}" y="{legend_y + 4}"><tspan translate="no">{label}</tspan> '
            f"({last})</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above went through escape()


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """One metric of two runs: this version's value, the other's, and this minus other."""

    metric: str
    mine: float | None
    other: float | None

    @property
    def delta(self) -> float | None:
        if self.mine is None or self.other is None:
            return None
        return self.mine - self.other


def _as_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def metric_deltas(mine: Mapping[str, object], other: Mapping[str, object]) -> list[MetricDelta]:
    """Final metrics of two runs side by side, by metric name (every metric either has)."""
    names = sorted(set(mine) | set(other))
    return [MetricDelta(n, _as_number(mine.get(n)), _as_number(other.get(n))) for n in names]
