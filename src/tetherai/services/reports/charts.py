"""Small inline SVG charts (no JavaScript, so they print and render in the PDF)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

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
    """One series over its steps, with its range on the axis."""
    if len(points) < 2:
        return Markup("")
    height, left, plot_w, plot_h = 170, 50, _WIDTH - 70, 120
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    coordinates = " ".join(
        f"{left + plot_w * i / (len(points) - 1):.1f},{30 + plot_h * (1 - (v - low) / span):.1f}"
        for i, v in enumerate(points)
    )
    return Markup(  # noqa: S704 - the title is escaped, the rest are numbers
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{left}" y1="150" x2="{left + plot_w}" y2="150" stroke="#999"/>'
        f'<line x1="{left}" y1="30" x2="{left}" y2="150" stroke="#999"/>'
        f'<text x="0" y="34" font-size="10">{high:g}</text>'
        f'<text x="0" y="150" font-size="10">{low:g}</text>'
        f'<text x="{left}" y="165" font-size="10">step 1 … {len(points)}</text>'
        f'<polyline fill="none" stroke="#c0392b" stroke-width="2" points="{coordinates}"/>'
        "</svg>"
    )
