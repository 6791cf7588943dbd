"""Axis scales for the charts of the pages and the audit reports: "nice" ticks and labels.

A chart's axis runs between round numbers (1, 2 or 5 times a power of ten) with 4 to 7 ticks,
labelled with just enough digits to tell neighbouring ticks apart. A flat series (all values
equal) gets an axis around its value, so it reads "0.0098 … 0.0102", never "0.01–0.01".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Scale", "format_number", "integer_scale", "scale"]


@dataclass(frozen=True, slots=True)
class Scale:
    """An axis from ``low`` to ``high`` with its ticks (``low`` and ``high`` among them)."""

    low: float
    high: float
    ticks: tuple[float, ...]
    step: float

    def label(self, value: float) -> str:
        """``value`` with the digits this axis needs (its step's), no trailing noise."""
        return format_number(value, self.step)

    def fraction(self, value: float) -> float:
        """Where ``value`` lies between ``low`` (0.0) and ``high`` (1.0)."""
        return (value - self.low) / (self.high - self.low)


def format_number(value: float, step: float) -> str:
    """``value`` rounded to the precision of ``step`` (e.g. step 0.005 → 3 decimals)."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-4:
        digits = max(1, min(6, math.ceil(math.log10(magnitude / step)) + 1))
        return f"{value:.{digits - 1}e}"
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 4
    text = f"{value:.{min(decimals, 10)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _nice_step(span: float, ticks: int) -> float:
    raw = span / max(1, ticks - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):  # the round step nearest above 3/4 of the raw one
        if raw * 0.75 <= factor * power:
            return factor * power
    return 10 * power


def scale(low: float, high: float, *, ticks: int = 5) -> Scale:
    """A nice axis that holds every value from ``low`` to ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("an axis needs finite bounds")
    if high < low:
        low, high = high, low
    if high == low:  # a flat series: a small band around its value
        pad = abs(high) * 0.02 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low, ticks)
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    count = round((stop - start) / step) + 1
    values = tuple(_clean(start + i * step, step) for i in range(count))
    return Scale(values[0], values[-1], values, step)


def integer_scale(first: int, last: int, *, ticks: int = 6) -> Scale:
    """An axis of whole numbers (epochs, steps) from ``first`` to ``last``."""
    if last <= first:
        return Scale(first - 0.5, first + 0.5, (float(first),), 1.0)
    step = max(1.0, math.ceil(_nice_step(last - first, ticks)))
    marks = [float(first)]
    value = math.ceil((first + 1) / step) * step
    while value < last:
        if value - marks[-1] >= step * 0.75:
            marks.append(value)
        value += step
    if last - marks[-1] < step * 0.5 and len(marks) > 1:
        marks.pop()
    marks.append(float(last))
    return Scale(float(first), float(last), tuple(marks), step)


def _clean(value: float, step: float) -> float:
    """Round away float noise (0.30000000000000004 → 0.3) at the step's precision."""
    decimals = max(0, -math.floor(math.log10(step))) + 2
    return round(value, decimals)
