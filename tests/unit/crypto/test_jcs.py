"""RFC 8785 canonicalization: the RFC's own examples, errors, and loads_canonical's fast path."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tetherai.crypto import (
    CanonicalizationError,
    NotCanonicalError,
    canonicalize,
    dumps_plain,
    loads_canonical,
)
from tetherai.crypto.jcs import (
    JSONValue,
    _below_surrogates,
    _canonicalize_fast,
    _encode_plain,
    _loads_reference,
    canonical_form,
    loads_stored,
)

MAX_SAFE = 2**53 - 1

# RFC 8785 §3.2.2: sample input and its canonical output.
RFC_SAMPLE_INPUT = (
    b"{\n"
    b'  "numbers": [333333333.33333329, 1E30, 4.50,\n'
    b"              2e-3, 0.000000000000000000000000001],\n"
    b'  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
    b'  "literals": [null, true, false]\n'
    b"}"
)
RFC_SAMPLE_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

# RFC 8785 §3.2.3: sorting of properties by UTF-16 code units.
RFC_SORT_INPUT = (
    b"{\n"
    b'  "\\u20ac": "Euro Sign",\n'
    b'  "\\r": "Carriage Return",\n'
    b'  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n'
    b'  "1": "One",\n'
    b'  "\\ud83d\\ude00": "Emoji: Grinning Face",\n'
    b'  "\\u0080": "Control",\n'
    b'  "\\u00f6": "Latin Small Letter O With Diaeresis"\n'
    b"}"
)
RFC_SORT_EXPECTED_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]

# RFC 8785 Appendix B: IEEE 754 double (hex) -> canonical JSON number.
RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]
RFC_NUMBER_ERRORS = ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]


def from_ieee754(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# --- RFC 8785's examples ----------------------------------------------------------------------


def test_rfc_sample_is_canonicalized() -> None:
    assert canonicalize(json.loads(RFC_SAMPLE_INPUT)) == RFC_SAMPLE_OUTPUT


def test_rfc_sample_output_is_accepted_and_input_refused() -> None:
    assert loads_canonical(RFC_SAMPLE_OUTPUT) == json.loads(RFC_SAMPLE_INPUT)
    with pytest.raises(NotCanonicalError):
        loads_canonical(RFC_SAMPLE_INPUT)


def test_rfc_sort_order_is_by_utf16_code_units() -> None:
    value = json.loads(RFC_SORT_INPUT)
    canonical = canonicalize(value)
    parsed = loads_canonical(canonical)
    assert isinstance(parsed, dict)
    assert list(parsed.values()) == RFC_SORT_EXPECTED_VALUES
    assert list(json.loads(canonical).values()) == RFC_SORT_EXPECTED_VALUES
    assert canonical.startswith(b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control"')


@pytest.mark.parametrize(("bits", "expected"), RFC_NUMBERS)
def test_rfc_number_serialization(bits: str, expected: str) -> None:
    value = from_ieee754(bits)
    assert canonicalize(value) == expected.encode()
    parsed = loads_canonical(expected.encode())
    assert parsed == value
    assert canonicalize(parsed) == expected.encode()


@pytest.mark.parametrize("bits", RFC_NUMBER_ERRORS)
def test_rfc_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(CanonicalizationError, match="NaN and infinities") as caught:
        canonicalize({"x": [from_ieee754(bits)]})
    assert "$.x[0]" in caught.value.message
    assert isinstance(caught.value.__cause__, rfc8785.CanonicalizationError)


# --- canonicalize's errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (2**53, "integer 9007199254740992 at $: outside"),
        ({"a": [1, -(2**53)]}, "at $.a[1]"),
        ({1: "x"}, "key 1 at $: object keys must be strings"),
        ({"k": {"\ud800": 1}}, "key at $.k: contains a lone surrogate"),
        (["ok", "bad \udfff"], "string at $[1]: contains a lone surrogate"),
        ({"odd key": {1, 2}}, 'set at $["odd key"]: not a JSON type'),
        (b"bytes", "bytes at $: not a JSON type"),
        ([None, True, [1], {"a": "b"}, 1.5, "s", 2**60], "integer 1152921504606846976 at $[6]"),
    ],
)
def test_canonicalize_names_what_and_where(value: object, fragment: str) -> None:
    with pytest.raises(CanonicalizationError) as caught:
        canonicalize(value)
    assert fragment in caught.value.message
    assert caught.value.code == "crypto.not_canonicalizable"
    assert caught.value.__cause__ is not None
    assert caught.value.hint


def test_canonicalize_accepts_tuples_and_the_safe_integer_bounds() -> None:
    assert canonicalize((MAX_SAFE, -MAX_SAFE, 1.5)) == b"[9007199254740991,-9007199254740991,1.5]"


def test_canonicalize_refuses_too_deep_nesting() -> None:
    value: JSONValue = []
    for _ in range(5000):
        value = [value]
    with pytest.raises(CanonicalizationError, match="nested too deeply"):
        canonicalize(value)


# --- loads_canonical's refusals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'{"a":1, "b":2}', "at byte 7"),
        (b'{"b":1,"a":2}', "at byte 2"),
        (b' {"a":1}', "at byte 0"),
        (b'{"a":1}\n', "at byte 7"),
        (b'"\\u0041"', "at byte 1"),
        (b'"\\/"', "at byte 1"),
        (b'"\\u00e9"', "at byte 1"),
        (b'"\\U0001"', "invalid JSON"),
        (b'"\\u000A"', "at byte 2"),
        (b'{"a":1,"a":2}', 'duplicate key "a"'),
        (b'{"x":{"a":1,"b":2,"a":1}}', 'duplicate key "a"'),
        (b"[NaN]", "NaN is not a JSON number"),
        (b"[Infinity]", "Infinity is not a JSON number"),
        (b"-Infinity", "-Infinity is not a JSON number"),
        (b"[1.5,NaN]", "NaN is not a JSON number"),
        (b"9007199254740993", "outside the I-JSON range"),
        (b"-9007199254740993", "outside the I-JSON range"),
        (b"1" + b"0" * 400, "outside the I-JSON range"),
        (b"1" * 5000, "outside the I-JSON range"),
        (b"-0", "at byte 0"),
        (b"1.0", "at byte 1"),
        (b"1E3", "at byte 1"),
        (b"1e400", "cannot canonicalize float inf"),
        (b"1e-400", "at byte 0"),
        (b"0.10", "at byte 3"),
        (b"[01]", "invalid JSON"),
        (b'"\\ud800"', "lone surrogate"),
        (b'["\xc3\xa9",1.5,"\\ud800"]', "lone surrogate"),
        (b'"\xff"', "invalid UTF-8 at byte 1"),
        (b'"\xed\xa0\x80"', "invalid UTF-8 at byte 1"),
        (b'\xef\xbb\xbf{"a":1}', "invalid JSON at byte 0"),
        (b"", "invalid JSON at byte 0"),
        (b"[1,]", "invalid JSON at byte 3"),
        (b'{"a":1}x', "invalid JSON at byte 7"),
        (b'"tab\there"', "invalid JSON"),
        (b'"\xc3\xa9" ', "at byte 4"),
        (b'"\xc3\xa9\xc3\xa9', "invalid JSON at byte 0"),
        ('{"é":1,"a":2}'.encode(), "at byte 2"),
        (b"\x00\x00\x00[", "invalid JSON"),
    ],
)
def test_loads_canonical_refuses(data: bytes, fragment: str) -> None:
    with pytest.raises(NotCanonicalError) as caught:
        loads_canonical(data)
    assert fragment in caught.value.message
    assert caught.value.code == "crypto.not_canonical"
    # The reference (slow) path makes the same decision.
    with pytest.raises(NotCanonicalError):
        _loads_reference(data, max_depth=64)


def test_mismatch_carries_the_offset_as_evidence() -> None:
    with pytest.raises(NotCanonicalError) as caught:
        loads_canonical(b'{"b":1,"a":2}')
    assert caught.value.details["offset"] == 2
    assert caught.value.details["found"] == b'b":1,"a":2}'.hex()


def test_canonical_bytes_are_accepted() -> None:
    data = canonicalize({"v": 1, "args": {"x": [1, "é", None, True, False, 0.5]}, "ts": MAX_SAFE})
    assert loads_canonical(data) == {
        "v": 1,
        "args": {"x": [1, "é", None, True, False, 0.5]},
        "ts": MAX_SAFE,
    }
    assert loads_canonical(b'"\\u001f\\b\\f\\n\\r\\t\\"\\\\\x7f"') == '\x1f\b\f\n\r\t"\\\x7f'


def test_big_integer_is_accepted_only_as_the_canonical_form_of_a_double() -> None:
    parsed = loads_canonical(b"[9007199254740992,295147905179352830000]")
    assert parsed == [2.0**53, 2.0**68]
    assert isinstance(parsed, list)
    assert all(isinstance(item, float) for item in parsed)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("data", [nested(64), b'{"a":' * 63 + b"[]" + b"}" * 63])
def test_depth_limit_is_inclusive(data: bytes) -> None:
    loads_canonical(data)
    with pytest.raises(NotCanonicalError, match="deeper than 63 levels"):
        loads_canonical(data, max_depth=63)


def test_many_shallow_containers_are_fine() -> None:
    data = b"[" + b",".join([b"[]", b"{}"] * 100) + b"]"
    assert loads_canonical(data, max_depth=2) == [[], {}] * 100


def test_too_deep_nesting_is_refused() -> None:
    with pytest.raises(NotCanonicalError, match="deeper than 64 levels"):
        loads_canonical(nested(65))
    with pytest.raises(NotCanonicalError, match="deeper than 64 levels"):
        loads_canonical(b"[1.5," + nested(65) + b"]")
    with pytest.raises(NotCanonicalError, match="nested too deeply"):
        loads_canonical(nested(100_000))
    with pytest.raises(NotCanonicalError, match="nested too deeply"):
        loads_canonical(nested(5000), max_depth=10_000)
    with pytest.raises(NotCanonicalError, match="nested too deeply"):
        loads_canonical(b"[1.5," + nested(5000) + b"]", max_depth=10_000)


# --- properties -------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
float_free_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE, MAX_SAFE) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def test_orjson_writes_every_character_below_the_surrogates_as_jcs_does() -> None:
    # The premise of every fast path: the same escapes (and nothing else escaped) for each
    # of U+0000..U+D7FF, in keys and in values.
    for start in range(0, 0xD800, 0x400):
        text = "".join(chr(point) for point in range(start, start + 0x400))
        value: JSONValue = {text: [text, {"k" + text[:40]: text[::-1]}]}
        assert _encode_plain(value) == rfc8785.dumps(value), hex(start)


@pytest.mark.parametrize("point", [0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000])
def test_below_surrogates_reads_utf8_bytes_as_the_text_bound(point: int) -> None:
    text = f"a{chr(point)}b"
    assert _below_surrogates(text.encode("utf-8")) == (max(text) <= "\ud7ff")


def reference(data: bytes) -> JSONValue:
    return _loads_reference(data, max_depth=64)


def outcome(function: Callable[[bytes], JSONValue], data: bytes) -> tuple[str, object]:
    try:
        return ("ok", function(data))
    except NotCanonicalError as error:
        return ("error", error.code)


@given(json_values)
def test_canonical_bytes_roundtrip(value: JSONValue) -> None:
    data = canonicalize(value)
    assert data == rfc8785.dumps(value)
    parsed = loads_canonical(data)
    assert parsed == value
    assert canonicalize(parsed) == data


@given(float_free_values)
def test_fast_serialization_equals_jcs_or_both_are_non_ascii(value: JSONValue) -> None:
    # The lemma behind loads_canonical's fast path (see the comment there).
    fast = _encode_plain(value)
    reference = rfc8785.dumps(value)
    assert fast == reference or (not fast.isascii() and not reference.isascii())
    if reference.isascii():
        assert fast == reference


def as_json_number(text: str) -> int | float:
    number = int(text)
    return number if abs(number) <= MAX_SAFE else float(text)


JCS_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


@st.composite
def encodings(draw: st.DrawFn, value: JSONValue) -> bytes:
    """Any JSON text of ``value``: optional whitespace, key order, escapes, number spellings."""
    space = st.sampled_from(["", "", "", " ", "\n", "\t", "\r", "  "])

    def escaped(char: str) -> str:
        code = ord(char)
        units: tuple[int, ...]
        if code > 0xFFFF:  # a UTF-16 surrogate pair
            code -= 0x10000
            units = (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
        else:
            units = (code,)
        hex_format = draw(st.sampled_from(["04x", "04X"]))
        return "".join(f"\\u{unit:{hex_format}}" for unit in units)

    def text(s: str) -> str:
        out = []
        for char in s:
            if char in JCS_ESCAPES or ord(char) < 0x20:
                canonical_escape = JCS_ESCAPES.get(char, f"\\u{ord(char):04x}")
                out.append(draw(st.sampled_from([canonical_escape, escaped(char)])))
            elif draw(st.integers(0, 9)) == 0:
                out.append(escaped(char))
            else:
                out.append(char)
        return '"' + "".join(out) + '"'

    def encode(node: JSONValue) -> str:
        if isinstance(node, bool) or node is None:
            return json.dumps(node)
        if isinstance(node, int):
            return draw(st.sampled_from([str(node), f"{node}.0", f"{node}e0", f"{node}E+0"]))
        if isinstance(node, float):
            return draw(st.sampled_from([repr(node), canonicalize(node).decode()]))
        if isinstance(node, str):
            return text(node)
        if isinstance(node, list):
            items = [draw(space) + encode(item) + draw(space) for item in node]
            return "[" + ",".join(items) + "]"
        members = [
            draw(space)
            + text(key)
            + draw(space)
            + ":"
            + draw(space)
            + encode(node[key])
            + draw(space)
            for key in draw(st.permutations(list(node)))
        ]
        return "{" + ",".join(members) + "}"

    return (draw(space) + encode(value) + draw(space)).encode("utf-8")


@settings(max_examples=300)
@given(st.data(), json_values)
def test_any_other_encoding_is_refused(data: st.DataObject, value: JSONValue) -> None:
    encoded = data.draw(encodings(value))
    assert json.loads(encoded, parse_int=as_json_number) == value  # a JSON text of value ...
    if encoded == canonicalize(value):  # ... accepted only if it is the canonical form
        assert loads_canonical(encoded) == value
    else:
        with pytest.raises(NotCanonicalError):
            loads_canonical(encoded)
    assert outcome(loads_canonical, encoded) == outcome(reference, encoded)


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(max_size=40),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(
            lambda v: json.dumps(
                v, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_fast_path_and_reference_decide_alike(data: bytes) -> None:
    assert outcome(loads_canonical, data) == outcome(reference, data)


odd_values = st.recursive(
    scalars | st.integers() | st.tuples(st.integers(-5, 5)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=4) | st.integers(-3, 3) | st.booleans(), children, max_size=4
        )
    ),
    max_leaves=20,
)


def canonical_outcome(function: Callable[[object], bytes], value: object) -> tuple[str, object]:
    try:
        return ("ok", function(value))
    except (CanonicalizationError, ValueError, TypeError):
        return ("error", None)


@given(odd_values)
def test_canonicalize_fast_path_agrees_with_rfc8785_even_on_odd_input(value: object) -> None:
    """Non-string keys, big integers and tuples must not slip through the C encoder's path."""
    assert canonical_outcome(canonicalize, value) == canonical_outcome(rfc8785.dumps, value)  # type: ignore[arg-type]


def test_non_ascii_text_takes_the_fast_path_only_where_it_is_jcs() -> None:
    """Text below U+D800 (accents, CJK) is written alike by both; keys at U+E000 and above may
    sort differently (JCS orders UTF-16 code units), so they go to rfc8785."""
    for value in (
        {"名": "模型", "é": "naïve", "z": "\u2028\x7f\x1f"},
        {"\ue000": 1, "\U0001f600": 2},
        ["\U0001d11e", "\uffff"],
    ):
        assert canonicalize(value) == rfc8785.dumps(value)
    fast = _canonicalize_fast({"名": "模型", "é": "naïve"})
    assert fast is not None and fast[0] == rfc8785.dumps({"名": "模型", "é": "naïve"})
    assert _canonicalize_fast({"\ue000": 1, "\U0001f600": 2}) is None


@given(json_values)
def test_canonical_form_says_what_the_bytes_denote(value: JSONValue) -> None:
    form = canonical_form(value)
    assert form.data == rfc8785.dumps(value)
    assert canonicalize(form.value) == form.data
    assert form.value == loads_stored(form.data)
    if form.plain:  # then orjson writes every part canonically
        assert dumps_plain(form.value) == form.data.decode("utf-8")
        for part in form.value.values() if isinstance(form.value, dict) else ():
            assert dumps_plain(part).encode("utf-8") == rfc8785.dumps(part)


@given(odd_values)
def test_canonical_form_agrees_with_canonicalize_even_on_odd_input(value: object) -> None:
    """The plain path (no float, no subclass, no tuple) and the general one give the same
    bytes and refuse the same values."""
    try:
        form = canonical_form(value)
    except CanonicalizationError:
        assert canonical_outcome(rfc8785.dumps, value)[0] == "error"  # type: ignore[arg-type]
        return
    assert form.data == rfc8785.dumps(value)  # type: ignore[arg-type]
    assert form.value == loads_stored(form.data)


def test_canonical_form_without_a_copy_returns_a_plain_value_itself() -> None:
    inner = {"b": [1, "a", None], "a": True}
    value = {"outer": inner, "n": MAX_SAFE}
    form = canonical_form(value, copy=False)
    assert form.plain and form.value is value
    assert form.data == rfc8785.dumps(value)  # type: ignore[arg-type]
    # What is not plain is still read back from the bytes: 2.0 denotes 2.
    odd = {"x": [2.0, 0.5], "t": (1, 2)}
    form = canonical_form(odd, copy=False)
    assert form.value == {"x": [2, 0.5], "t": [1, 2]} and form.value is not odd
    assert form.data == rfc8785.dumps(odd)  # type: ignore[arg-type]


@given(odd_values)
def test_canonical_form_without_a_copy_gives_the_same_bytes(value: object) -> None:
    try:
        form = canonical_form(value, copy=False)
    except CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            canonical_form(value)
        return
    copied = canonical_form(value)
    assert (form.data, form.plain) == (copied.data, copied.plain)
    assert form.value == copied.value


def test_canonical_form_of_a_plain_value_is_a_copy() -> None:
    """What a peer keeps shares no object with what the contract returned."""
    inner = {"list": [1, "a", None], "flag": True}
    value = {"outer": inner, "n": MAX_SAFE}
    form = canonical_form(value)
    assert form.plain and form.value == value
    assert isinstance(form.value, dict) and form.value["outer"] is not inner
    assert form.value["outer"]["list"] is not inner["list"]  # type: ignore[index]
