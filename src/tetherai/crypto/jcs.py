"""Canonical JSON: RFC 8785, the JSON Canonicalization Scheme (DESIGN.md §3 "Canonical bytes").

Every structure that is signed or hashed (txs, block headers, write sets) is serialized with
:func:`canonicalize`. Bytes that arrive from outside and will be verified are parsed with
:func:`loads_canonical`, which accepts them only if they are exactly the canonical form of the
value they encode, so a signature or digest always covers one unambiguous value.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from typing import TypeAlias, cast

import orjson
import rfc8785

from tetherai.crypto import _jcs_numbers
from tetherai.crypto.errors import CanonicalizationError, NotCanonicalError

__all__ = [
    "CanonicalForm",
    "JSONValue",
    "canonical_form",
    "canonicalize",
    "dumps_plain",
    "loads_canonical",
    "loads_stored",
]

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
"""A JSON value as Python holds it: what :func:`loads_canonical` returns."""

# I-JSON (RFC 7493 §2.2) safe integers; rfc8785 refuses integers outside this range.
_INT_MAX = 2**53 - 1
# A decimal integer of more than this many characters (sign included) is outside ±(2**53-1)
# ("-9007199254740991" has 17); this bound keeps int() away from huge digit strings.
_INT_MAX_CHARS = 17
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def canonicalize(value: object) -> bytes:
    """Serialize ``value`` to its RFC 8785 canonical bytes.

    Args:
        value: a JSON value: ``None``, ``bool``, ``int`` within ±(2**53-1), finite ``float``,
            ``str``, ``list``/``tuple`` and ``dict`` with ``str`` keys, nested.

    Returns:
        The UTF-8 canonical form: no whitespace, object keys sorted by their UTF-16 code
        units, numbers in ECMAScript form.

    Raises:
        CanonicalizationError: ``value`` holds something JCS cannot represent (an integer out
            of range, NaN or an infinity, a non-string key, a lone surrogate, another type);
            the message names the offending value and where it is (``$.args.size``).
    """
    data = _plain_bytes(value)
    if data is not None:
        return data
    fast = _canonicalize_fast(value)
    if fast is not None:
        return fast[0]
    try:
        return _jcs_numbers.dumps(value)
    except _jcs_numbers.Unsupported:
        return _canonicalize_reference(value)


@dataclass(frozen=True, slots=True)
class CanonicalForm:
    """A value's canonical bytes, and the value those bytes denote."""

    data: bytes
    value: JSONValue
    """What ``data`` reads back as (:func:`loads_stored`): ``1.0`` became ``1``."""
    plain: bool
    """No integral or exponent-form float and no character above U+D7FF anywhere: orjson
    (:func:`dumps_plain`) writes every part of ``value`` in its canonical form, so a part's
    bytes need no second canonicalization."""


def canonical_form(value: object, *, copy: bool = True) -> CanonicalForm:
    """:func:`canonicalize` ``value`` and say what the bytes denote, parsing at most once.

    Args:
        copy: the returned value shares no object with ``value`` (it is read back from the
            bytes). Without it, a value of only dicts, lists, strs, bools, None and safe
            integers is returned as it is (equal to the reading, its dicts in their own key
            order): for a caller that keeps nothing of it.

    Raises:
        CanonicalizationError: as :func:`canonicalize`.
    """
    if not copy:
        data = _plain_bytes(value)
        if data is not None:
            return CanonicalForm(data, cast(JSONValue, value), True)
    # With a copy, no walk of ``value`` by _is_plain first (as canonicalize does): the value
    # parsed back is needed anyway, and comparing it with ``value`` costs less than the walk.
    fast = _canonicalize_fast(value)
    if fast is not None:
        return CanonicalForm(fast[0], fast[1], True)
    try:
        data = _jcs_numbers.dumps(value)
    except _jcs_numbers.Unsupported:
        data = _canonicalize_reference(value)
    return CanonicalForm(data, loads_stored(data), False)


# orjson writes exactly the JCS bytes of a value of dicts with str keys, lists, strs, bools,
# None and integers within ±(2**53-1), as long as no character is above U+D7FF: keys sorted
# (code-point order, which is UTF-16 order below U+D800), compact, and the same escapes ('"',
# '\\' and U+0000..U+001F as \\b \\f \\n \\r \\t or lowercase \\u00xx, everything else as
# itself); the tests compare it with rfc8785 on every such character. It is ~9 times faster
# than the json module's C encoder, and this runs several times for every tx. Anything else
# (a float, a big integer, a tuple, a subclass) is checked by parsing the bytes back
# (:func:`_canonicalize_fast`) or left to the general path.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def _encode_plain(value: object) -> bytes:
    """The compact bytes of ``value`` with keys sorted.

    Raises:
        TypeError: not JSON (orjson's ``JSONEncodeError``): a key that is not a ``str``, an
            integer beyond ±(2**53-1), a lone surrogate, nesting deeper than 254 levels.
    """
    return orjson.dumps(value, option=_ORJSON_OPTIONS)


def dumps_plain(value: JSONValue) -> str:
    """The compact text of ``value``, keys sorted: its canonical form when ``value`` is (part
    of) a :attr:`CanonicalForm.plain` value, without checking again.

    Raises:
        TypeError: as :func:`_encode_plain` (a value that is not JSON).
    """
    return _encode_plain(value).decode("utf-8")


def _plain_bytes(value: object) -> bytes | None:
    """The JCS bytes of a value :func:`_is_plain` accepts, by orjson alone (nothing to parse
    back and compare); ``None`` for any other value."""
    if not _is_plain(value):
        return None
    try:
        data = _encode_plain(value)
    except TypeError:  # a lone surrogate
        return None
    return data if _below_surrogates(data) else None


def _is_plain(value: object) -> bool:
    """Whether ``value`` holds only ``dict`` (``str`` keys), ``list``, ``str``, ``bool``,
    ``None`` and ``int`` within ±(2**53-1), of exactly these types.

    For such a value orjson writes the JCS bytes as soon as no character is above U+D7FF
    (:func:`_below_surrogates`; see ``_ORJSON_OPTIONS``), and those
    bytes read back as an equal value: nothing to parse back and compare. Anything else
    (a float, a tuple, a subclass, a big integer) takes the general path, so its bytes and
    errors stay what they were.
    """
    try:
        return _plain(value)
    except RecursionError:
        return False


def _plain(value: object) -> bool:
    # Plain loops, not all(): this runs on every result and a generator costs more.
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -_INT_MAX <= value <= _INT_MAX  # type: ignore[operator]
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]  # noqa: SIM110
            if type(key) is not str or not _plain(item):
                return False
        return True
    if kind is list:
        for item in value:  # type: ignore[attr-defined]  # noqa: SIM110
            if not _plain(item):
                return False
        return True
    return False


def _below_surrogates(data: bytes) -> bool:
    """Whether orjson's UTF-8 ``data`` holds no character above U+D7FF. In UTF-8 exactly the
    characters from U+E000 up start with a byte from 0xEE (U+D800..U+DFFF would start with
    0xED 0xA0, but orjson writes no lone surrogate)."""
    return data.isascii() or max(data) < 0xEE


def _canonicalize_reference(value: object) -> bytes:
    try:
        # rfc8785 checks the types itself at run time; its errors are translated below.
        return rfc8785.dumps(value)  # type: ignore[arg-type]
    except RecursionError as error:
        raise CanonicalizationError("cannot canonicalize: nested too deeply") from error
    except (ValueError, TypeError) as error:  # rfc8785 errors are ValueErrors, as is UnicodeError
        problem = _find_problem(value, "$")
        message = f"cannot canonicalize {problem}" if problem else f"cannot canonicalize: {error}"
        raise CanonicalizationError(message) from error


def _canonicalize_fast(value: object) -> tuple[bytes, JSONValue] | None:
    """The JCS bytes of ``value`` by orjson (and the value they parse back to), or ``None``
    when only rfc8785 can tell.

    Canonicalization runs for every tx, result and stored value, and rfc8785 is pure Python.
    orjson's output is the JCS form exactly when every float in it is written as ECMAScript
    writes it (:func:`_float_fast` checks each float's text as it is parsed back; integers
    beyond ±(2**53-1) orjson refuses), no character is above U+D7FF (see
    ``_ORJSON_OPTIONS``; the bound also keeps out the one place the key orders differ: JCS
    compares UTF-16 code units, so U+10000 and above sort before U+E000..U+FFFF), and the
    bytes parse back to a value equal to ``value``, which rules out what orjson writes in
    its own way: a tuple, a dataclass, a date, NaN (as ``null``).
    """
    try:
        data = _encode_plain(value)
    except TypeError:
        return None
    if not _below_surrogates(data):
        return None
    try:
        parsed = _parse(data.decode("utf-8"), _float_fast, _int_fast)
    except (_SlowPath, NotCanonicalError):
        return None
    if parsed != value:
        return None
    return data, parsed


def loads_canonical(data: bytes, *, max_depth: int = 64) -> JSONValue:
    """Parse canonical JSON bytes, refusing anything but the exact RFC 8785 form.

    Args:
        data: UTF-8 JSON bytes, as received (a tx envelope, a block header).
        max_depth: the deepest nesting of arrays and objects accepted (``[]`` is depth 1).

    Returns:
        The parsed value; ``canonicalize(result) == data``. An integer written with more
        digits than ±(2**53-1) allows is accepted only when it is exactly the canonical form
        of an IEEE 754 double (``9007199254740992``), and is then returned as a ``float``.

    Raises:
        NotCanonicalError: ``data`` is not UTF-8, not JSON, has duplicate keys, NaN or
            Infinity literals, nesting deeper than ``max_depth``, an integer out of range, or
            differs in any byte from the canonical form of what it encodes (whitespace, key
            order, escapes, number format).
    """
    if data.isascii():
        text = data.decode("ascii")
        try:
            value = _parse(text, _float_fast, _int_fast)
        except _SlowPath:
            pass
        else:
            _check_depth(data, value, max_depth)
            # Fast path: accepting ``data`` when orjson writes ``value`` back as ``data`` is
            # the same as comparing with canonicalize(value). Here ``data`` is ASCII, every
            # float in it was written as ECMAScript writes it (_float_fast checked its very
            # text) and every integer is within ±(2**53-1). orjson writes ASCII strings and
            # keys as JCS does (see ``_ORJSON_OPTIONS``; code-point order is UTF-16 order
            # for ASCII keys), literals and separators alike. A string with a non-ASCII
            # character (a \u escape in ``data``) comes back as a non-ASCII byte, and
            # duplicate keys collapse on parsing, so neither can match. Anything that does
            # not match, or that orjson refuses (a lone surrogate), goes to the reference
            # path, which names the problem: the fast path only ever accepts.
            try:
                expected = _encode_plain(value)
            except TypeError:
                expected = None
            if expected == data:
                return value
    return _loads_reference(data, max_depth=max_depth)


def loads_stored(data: bytes | str) -> JSONValue:
    """Parse JSON this system wrote itself, as the value its canonical form denotes.

    For canonical bytes this is what :func:`loads_canonical` returns, without the check (the
    caller wrote them). Older stores also hold values written by plain ``json.dumps``; those
    read as their canonical form reads: ``1.0`` and ``-0.0`` as the integers ``1`` and ``0``,
    integers beyond ±(2**53-1) as floats. So a value reads the same whichever way it was
    stored, and a contract sees what a replay from the canonical tx bytes would show it.

    Raises:
        NotCanonicalError: ``data`` is not JSON.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return _parse(text, _float_as_canonical, _int_as_canonical)


def _float_as_canonical(text: str) -> int | float:
    # JCS writes an integral double below 1e21 as plain digits, which read back as an
    # integer when within ±(2**53-1); -0.0 is written "0".
    number = float(text)
    if number.is_integer() and -_INT_MAX <= number <= _INT_MAX:
        return int(number)
    return number


def _int_as_canonical(text: str) -> int | float:
    if len(text) <= _INT_MAX_CHARS:
        number = int(text)
        if -_INT_MAX <= number <= _INT_MAX:
            return number
    return float(text)


def _loads_reference(data: bytes, *, max_depth: int) -> JSONValue:
    """:func:`loads_canonical` without the fast path: compare with ``rfc8785.dumps``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotCanonicalError(
            f"not canonical JSON: invalid UTF-8 at byte {error.start}",
            details={"offset": error.start},
        ) from error
    value = _parse(text, float, _int_reference)
    _check_depth(data, value, max_depth)
    try:
        expected = rfc8785.dumps(value)
    except RecursionError as error:  # pragma: no cover - parsing hits the limit first
        raise NotCanonicalError("not canonical JSON: nested too deeply") from error
    except (ValueError, TypeError) as error:
        problem = _find_problem(value, "$") or str(error)
        raise NotCanonicalError(f"not canonical JSON: cannot canonicalize {problem}") from error
    if expected != data:
        raise _mismatch(data, expected)
    return value


class _SlowPath(Exception):
    """Raised from a parse hook to leave the fast path (a float or a big integer was seen)."""


def _float_fast(text: str) -> float:
    # The fast path takes a float only as repr() writes it; that is its ECMAScript form too, except
    # for integral values ("1.0": JS writes "1") and exponent forms (repr switches to them
    # below 1e-4 and from 1e16, ECMAScript below 1e-7 and from 1e21, and spells the exponent
    # "1e-07" where ECMAScript writes "1e-7"). Those leave the fast path, and so does any
    # text that is not what repr() writes (canonical "0.000001" is repr's "1e-06").
    number = float(text)
    if "e" in text or "E" in text or text.endswith(".0") or repr(number) != text:
        raise _SlowPath
    return number


def _int_fast(text: str) -> int:
    if len(text) > _INT_MAX_CHARS:
        raise _SlowPath
    number = int(text)
    if -_INT_MAX <= number <= _INT_MAX:
        return number
    raise _SlowPath


def _int_reference(text: str) -> int | float:
    if len(text) <= _INT_MAX_CHARS:
        number = int(text)
        if -_INT_MAX <= number <= _INT_MAX:
            return number
    # Out of the I-JSON integer range: JSON numbers are IEEE 754 doubles, so the only
    # acceptable spelling is the canonical form of the double it denotes.
    as_float = float(text)
    try:
        if rfc8785.dumps(as_float) == text.encode("ascii"):
            return as_float
    except rfc8785.CanonicalizationError:
        pass  # an infinity: reported below like any other out-of-range integer
    shown = text if len(text) <= 40 else text[:37] + "..."
    raise NotCanonicalError(
        f"not canonical JSON: integer {shown} is outside the I-JSON range ±(2**53-1)"
    )


def _reject_constant(text: str) -> float:
    raise NotCanonicalError(f"not canonical JSON: {text} is not a JSON number")


_DECODERS = threading.local()


def _decoder(parse_float: object, parse_int: object) -> json.JSONDecoder:
    # One decoder per thread and pair of hooks: making one costs more than decoding a small
    # value, and a decoder's scanner keeps per-call memory, so threads do not share one.
    decoders: dict[tuple[object, object], json.JSONDecoder] | None = getattr(
        _DECODERS, "by_hooks", None
    )
    if decoders is None:
        decoders = _DECODERS.by_hooks = {}
    found = decoders.get((parse_float, parse_int))
    if found is None:
        found = decoders[(parse_float, parse_int)] = json.JSONDecoder(
            parse_float=parse_float,  # type: ignore[arg-type]
            parse_int=parse_int,  # type: ignore[arg-type]
            parse_constant=_reject_constant,
        )
    return found


def _parse(text: str, parse_float: object, parse_int: object) -> JSONValue:
    decoder = _decoder(parse_float, parse_int)
    try:
        # The scanner alone is what decode() runs on text with no whitespace around the value
        # (all the text parsed here, once per tx or more), without decode()'s Python frames
        # and whitespace matches; other text, and every error, go through decode() itself.
        try:
            value, end = decoder.scan_once(text, 0)  # type: ignore[attr-defined]
        except StopIteration:
            end = -1
        if end != len(text):
            value = decoder.decode(text)
        return cast(JSONValue, value)
    except json.JSONDecodeError as error:
        offset = len(text[: error.pos].encode("utf-8"))
        raise NotCanonicalError(
            f"not canonical JSON: invalid JSON at byte {offset}: {error.msg}",
            details={"offset": offset},
        ) from error
    except RecursionError as error:
        raise NotCanonicalError("not canonical JSON: nested too deeply") from error
    except ValueError as error:  # pragma: no cover - defensive: hooks keep int() to 17 chars
        raise NotCanonicalError(f"not canonical JSON: {error}") from error


def _check_depth(data: bytes, value: JSONValue, max_depth: int) -> None:
    # Every nested array or object starts with '[' or '{', so when the whole input holds at
    # most max_depth of them the depth cannot exceed it; only otherwise walk the value.
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return
    stack: list[tuple[JSONValue, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, list | dict):
            depth += 1
            if depth > max_depth:
                raise NotCanonicalError(
                    f"not canonical JSON: nested deeper than {max_depth} levels",
                    details={"max_depth": max_depth},
                )
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth) for child in children)


def _mismatch(data: bytes, expected: bytes) -> NotCanonicalError:
    """Describe how ``data`` differs from its canonical form (only on the error path)."""
    duplicate = _find_duplicate_key(data)
    if duplicate is not None:
        return NotCanonicalError(
            f"not canonical JSON: duplicate key {json.dumps(duplicate)}",
            details={"duplicate_key": duplicate},
        )
    offset = next(
        (i for i, (a, b) in enumerate(zip(data, expected, strict=False)) if a != b),
        min(len(data), len(expected)),
    )
    found = data[offset : offset + 12]
    wanted = expected[offset : offset + 12]
    return NotCanonicalError(
        f"not canonical JSON: differs from the RFC 8785 form at byte {offset} "
        f"(found {found!r}, canonical {wanted!r})",
        details={"offset": offset, "found": found.hex(), "expected": wanted.hex()},
    )


def _find_duplicate_key(data: bytes) -> str | None:
    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> None:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)

    try:
        json.loads(data.decode("utf-8"), object_pairs_hook=pairs_hook)
    except ValueError:  # pragma: no cover - data was parsed successfully before
        return None
    return duplicates[0] if duplicates else None


def _find_problem(value: object, path: str) -> str | None:
    """Name the first part of ``value`` that JCS cannot represent, with its path."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -_INT_MAX <= value <= _INT_MAX:
            return None
        return f"integer {value} at {path}: outside the I-JSON range ±(2**53-1)"
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return f"float {value} at {path}: NaN and infinities have no JSON form"
    if isinstance(value, str):
        if _is_scalar_string(value):
            return None
        return f"string at {path}: contains a lone surrogate"
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _find_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"key {key!r} at {path}: object keys must be strings"
            if not _is_scalar_string(key):
                return f"key at {path}: contains a lone surrogate"
            problem = _find_problem(item, _child_path(path, key))
            if problem:
                return problem
        return None
    return f"{type(value).__name__} at {path}: not a JSON type"


def _is_scalar_string(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _child_path(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"
