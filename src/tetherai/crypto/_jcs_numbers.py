"""RFC 8785 serialization of values the fast encoder cannot write canonically (floats such as
``1.0``, ``1e21`` or ``1e-7``), faster than the ``rfc8785`` package, which is pure Python too.

:func:`es_number` is ECMAScript's ``Number::toString`` (RFC 8785 §3.2.2.3): the shortest
digits that round-trip (``repr`` gives the same ones), written in fixed notation from 1e-7 to
1e21 and in exponent form (``1e+21``, ``1.5e-7``) outside. :func:`dumps` writes a whole value;
it raises :class:`Unsupported` for anything it does not handle, and the caller asks the
reference implementation, whose error names the problem.
"""

from __future__ import annotations

import json.encoder
import math

__all__ = ["Unsupported", "dumps", "es_number"]

_INT_MAX = 2**53 - 1
_escape: object = (
    getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
)


class Unsupported(Exception):
    """Not a value this module writes (the reference implementation says why)."""


def es_number(number: float) -> str:
    """The ECMAScript string of a finite float (``-0.0`` is ``0``)."""
    if number == 0:
        return "0"
    text = repr(number)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    # value = int(whole + fraction) * 10**(exponent - len(fraction)); keep its significant
    # digits and the position n of the decimal point (value = 0.digits * 10**n).
    raw = (whole + fraction).lstrip("0")
    digits = raw.rstrip("0")
    n = len(raw) - len(fraction) + (int(exponent) if exponent else 0)
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    shown = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if shown >= 0 else '-'}{abs(shown)}"


def dumps(value: object) -> bytes:
    """The RFC 8785 bytes of ``value``.

    Raises:
        Unsupported: ``value`` holds a type, number or string this module does not write
            (the reference implementation then decides, and names the problem).
    """
    parts: list[str] = []
    try:
        _write(value, parts)
        return "".join(parts).encode("utf-8")
    except (UnicodeEncodeError, RecursionError) as error:
        raise Unsupported from error


def _write(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_escape(value))  # type: ignore[operator]
    elif isinstance(value, bool):  # pragma: no cover - True/False are the only bools
        raise Unsupported
    elif isinstance(value, int):
        if not -_INT_MAX <= value <= _INT_MAX:
            raise Unsupported
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Unsupported
        out.append(es_number(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        keys = list(value)
        if not all(type(key) is str for key in keys):
            raise Unsupported
        # JCS orders keys by UTF-16 code units: the code-point order below U+10000.
        if all(key.isascii() or max(key) < "\U00010000" for key in keys):
            keys.sort()
        else:
            keys.sort(key=lambda key: key.encode("utf-16-be"))
        out.append("{")
        for index, key in enumerate(keys):
            if index:
                out.append(",")
            out.append(_escape(key))  # type: ignore[operator]
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise Unsupported
