"""RFC 8785 canonical JSON, for the subset tetherai signs: objects, arrays, strings, integers,
floats, booleans and null (written again here so the verifier depends on nothing of tetherai).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["CanonicalError", "canonical", "loads_canonical", "loads_strict"]

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class CanonicalError(ValueError):
    """The value cannot be written canonically, or bytes are not canonical JSON."""


def canonical(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value``."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise CanonicalError(f"integer {value} is outside the I-JSON range")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise CanonicalError("object keys must be strings")
        out.append("{")
        # §3.2.3: keys sort by their UTF-16 code units.
        for position, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if position:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise CanonicalError(f"{type(value).__name__} is not a JSON value")


def _string(text: str) -> str:
    chars = ['"']
    for char in text:
        if char in _ESCAPES:
            chars.append(_ESCAPES[char])
        elif char < " ":
            chars.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            raise CanonicalError("a string holds a lone surrogate")
        else:
            chars.append(char)
    chars.append('"')
    return "".join(chars)


def number(value: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(value):
        raise CanonicalError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr is the shortest text that reads back as the same double: the digits ES6 wants.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    shift = int(exponent or 0)
    if whole == "0":
        digits = fraction.lstrip("0")
        point = shift - (len(fraction) - len(digits))
    else:
        digits = (whole + fraction).lstrip("0")
        point = len(whole.lstrip("0")) + shift
    digits = digits.rstrip("0") or "0"
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    power = point - 1
    tail = f"e+{power}" if power >= 0 else f"e{power}"
    return sign + digits[0] + ("." + digits[1:] if count > 1 else "") + tail


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise CanonicalError(f"duplicate key {key!r}")
        found[key] = value
    return found


def _no_constants(name: str) -> Any:
    raise CanonicalError(f"{name} is not JSON")


def _integer(text: str) -> int | float:
    # Beyond ±(2**53-1) a JSON integer can only be a double written in ECMAScript form.
    value = int(text)
    return value if abs(value) <= 2**53 - 1 else float(value)


def loads_strict(data: bytes | str) -> Any:
    """Parse JSON, refusing duplicate keys and NaN/Infinity."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
            parse_int=_integer,
        )
    except (ValueError, RecursionError) as error:
        if isinstance(error, CanonicalError):
            raise
        raise CanonicalError(f"not JSON: {error}") from error


def loads_canonical(data: bytes) -> Any:
    """Parse bytes that must be exactly the canonical form of the value they hold."""
    value = loads_strict(data)
    if canonical(value) != data:
        raise CanonicalError("not in RFC 8785 canonical form")
    return value
