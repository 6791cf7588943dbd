"""Small inline SVG charts (no JavaScript, so they print and render in the PDF)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from tetherai.services.chart_scale import integer_scale, scale

__all__ = ["bar_chart", "line_chart"]

_WIDTH = 560


def bar_chart(values: dict[str, float], title: str) -> Markup:
    """Horizontal bars, one per metric, scaled to the largest absolute value."""
    if not values:
        return Markup("")
    row = 22
    height = 30 + row * len(values)
    top = max(abs(v) for v in values.values()) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for position, (name, value) in enumerate(values.items()):
        y = 28 + position * row
        width = max(1.0, 300 * abs(value) / top)
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{escape(name)}</text>')
        parts.append(f'<rect x="180" y="{y + 3}" width="{width:.1f}" height="14" fill="#3b6ea5"/>')
        parts.append(f'<text x="{186 + width:.1f}" y="{y + 14}" font-size="11">{value:g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it was escaped above


def line_chart(points: list[float], title: str) -> Markup:
    """One series over its steps, on an axis with round-number ticks (a flat series gets a
    small band around its value, never the same label at top and bottom)."""
    if len(points) < 2:
        return Markup("")
    left, top, plot_w, plot_h = 56, 30, _WIDTH - 76, 120
    axis = scale(min(points), max(points))
    steps = integer_scale(1, len(points))
    bottom = top + plot_h

    def y(value: float) -> float:
        return top + plot_h * (1 - axis.fraction(value))

    def x(step: float) -> float:
        return left + plot_w * steps.fraction(step)

    coordinates = " ".join(f"{x(i + 1):.1f},{y(v):.1f}" for i, v in enumerate(points))
    ticks = "".join(
        f'<line x1="{left}" y1="{y(t):.1f}" x2="{left + plot_w}" y2="{y(t):.1f}" stroke="#e3e6ea"/>'
        f'<text x="{left - 4}" y="{y(t) + 3:.1f}" font-size="10" text-anchor="end">'
        f"{axis.label(t)}</text>"
        for t in axis.ticks
    ) + "".join(
        f'<text x="{x(t):.1f}" y="{bottom + 13}" font-size="10" text-anchor="middle">'
        f"{steps.label(t)}</text>"
        for t in steps.ticks
    )
    return Markup(  # noqa: S704 - the title is escaped, the rest are numbers
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{bottom + 20}" '
        f'role="img" aria-label="{escape(title)}">'
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        f"{ticks}"
        f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#999"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#999"/>'
        f'<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{coordinates}"/>'
        "</svg>"
    )
