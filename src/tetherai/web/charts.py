"""Per-epoch metric charts as inline SVG, drawn on the server (the version page).

A chart is a pure function of its numbers: no JavaScript, no fonts or files fetched, so it
shows with scripts disabled and in a saved page. :func:`line_chart` overlays the series of
one metric (e.g. ``loss`` of this version's experiments and of the version compared with),
each a polyline over its epochs; the legend names them and a ``<title>`` describes the chart
to screen readers. :func:`metric_deltas` lines up final metrics of two runs for the table
next to the charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["PALETTE", "MetricDelta", "line_chart", "metric_deltas"]

# Colour-blind-safe (Okabe–Ito) and distinguishable by dash pattern too.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_DASHES = ("", "6 3", "2 3", "8 3 2 3")
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 12, 24, 28
_LEGEND_LINE = 16


def _label(value: float) -> str:
    """A short axis label: 4 significant digits, no exponent for everyday values."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e6:
        return f"{value:.4g}"
    return f"{value:.2e}"


def line_chart(
    title: str,
    series: Mapping[str, Sequence[float]],
    *,
    width: int = 480,
    height: int = 220,
) -> Markup:
    """An SVG line chart of ``series`` (label → values by epoch, epoch 1 first).

    Every series shares the y axis (from the smallest to the largest value of all) and the x
    axis (epochs 1 … the longest series). Non-finite values are skipped; a series with one
    point is drawn as a dot. Returns markup safe to put in a page: labels are escaped.
    """
    clean = {
        name: [(i + 1, float(v)) for i, v in enumerate(values) if math.isfinite(v)]
        for name, values in series.items()
    }
    clean = {name: points for name, points in clean.items() if points}
    legend_height = _LEGEND_LINE * len(clean)
    total_height = height + legend_height
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {total_height}" width="{width}" height="{total_height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{_MARGIN_LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not clean:
        parts.append(
            f'<text x="{_MARGIN_LEFT}" y="{_MARGIN_TOP + plot_h // 2}" font-size="12">–</text>'
        )
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 - built from escaped parts
    values = [v for points in clean.values() for _, v in points]
    low, high = min(values), max(values)
    if high == low:  # a flat line sits in the middle of a small band
        pad = abs(high) * 0.05 or 1.0
        low, high = low - pad, high + pad
    epochs = max(len(series[name]) for name in clean)

    def x(epoch: int) -> float:
        return _MARGIN_LEFT + (plot_w * (epoch - 1) / (epochs - 1) if epochs > 1 else plot_w / 2)

    def y(value: float) -> float:
        return _MARGIN_TOP + plot_h * (high - value) / (high - low)

    bottom = _MARGIN_TOP + plot_h
    parts += [
        f'<g class="axes" stroke="#888" stroke-width="1">'
        f'<line x1="{_MARGIN_LEFT}" y1="{_MARGIN_TOP}" x2="{_MARGIN_LEFT}" y2="{bottom}"/>'
        f'<line x1="{_MARGIN_LEFT}" y1="{bottom}" x2="{_MARGIN_LEFT + plot_w}" y2="{bottom}"/>'
        "</g>",
        f'<g font-size="11" fill="#333">'
        f'<text x="{_MARGIN_LEFT - 4}" y="{_MARGIN_TOP + 4}" text-anchor="end">{_label(high)}</text>'
        f'<text x="{_MARGIN_LEFT - 4}" y="{bottom}" text-anchor="end">{_label(low)}</text>'
        f'<text x="{_MARGIN_LEFT}" y="{bottom + 16}" text-anchor="middle">1</text>'
        f'<text x="{_MARGIN_LEFT + plot_w}" y="{bottom + 16}" text-anchor="middle">{epochs}</text>'
        f'<text x="{_MARGIN_LEFT + plot_w / 2:.1f}" y="{bottom + 16}" text-anchor="middle">epoch</text>'
        "</g>",
    ]
    for position, (name, points) in enumerate(clean.items()):
        colour = PALETTE[position % len(PALETTE)]
        dash = _DASHES[position % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{x(e):.1f},{y(v):.1f}" for e, v in points)
        label = escape(name)
        if len(points) == 1:
            e, v = points[0]
            parts.append(
                f'<circle class="series" data-series="{label}" cx="{x(e):.1f}" cy="{y(v):.1f}" '
                f'r="3" fill="{colour}"><title>{label}: {_label(v)}</title></circle>'
            )
        else:
            parts.append(
                f'<polyline class="series" data-series="{label}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash_attr} points="{coords}"><title>{label}</title></polyline>'
            )
        legend_y = height + _LEGEND_LINE * position + 4
        parts.append(
            f'<g class="legend" font-size="12"><line x1="{_MARGIN_LEFT}" y1="{legend_y}" '
            f'x2="{_MARGIN_LEFT + 20}" y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash_attr}/>'
            f'<text x="{_MARGIN_LEFT + 26}" y="{legend_y + 4}">{label} '
            f"(last {_label(points[-1][1])})</text></g>"
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
