"""Our RFC 8785 serialization of floats and of values with floats writes exactly what the
``rfc8785`` reference does, on every float and every JSON shape (and refuses what it refuses)."""

from __future__ import annotations

import math
import random
import struct

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tetherai.crypto._jcs_numbers import es_number
from tetherai.crypto.errors import CanonicalizationError
from tetherai.crypto.jcs import canonical_form, canonicalize, loads_canonical, loads_stored

EDGES = [
    1.0, -1.0, 0.5, 1e21, 1e20, 9.999999999999999e20, 1e-7, 1e-6, 1.5e-7, 1e16, 1e15,
    123456789012345680000.0, 0.1, 0.30000000000000004, 5e-324, 1.7976931348623157e308,
    2.0**53, 2.0**53 + 2, 1e-4, 9.999e-5, 100.0, 0.97, -0.0, 1234567890123456.8, 4.35,
]  # fmt: skip


@pytest.mark.parametrize("number", EDGES)
def test_edge_floats_read_as_the_reference_writes_them(number: float) -> None:
    assert es_number(number).encode() == rfc8785.dumps(number)
    assert canonicalize({"x": number}) == rfc8785.dumps({"x": number})


def test_a_million_random_doubles() -> None:
    rng = random.Random(8785)
    for _ in range(200_000):
        (number,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(number):
            assert es_number(number).encode() == rfc8785.dumps(number), number
        decimal = round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))
        assert es_number(decimal).encode() == rfc8785.dumps(decimal), decimal


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_any_value_is_written_as_the_reference_writes_it(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)  # type: ignore[arg-type]
    except (ValueError, TypeError, rfc8785.CanonicalizationError):
        with pytest.raises(CanonicalizationError):
            canonicalize(value)
        return
    assert canonicalize(value) == expected
    form = canonical_form(value)
    assert form.data == expected and form.value == loads_stored(expected)
    assert loads_canonical(expected) == loads_stored(expected)


@pytest.mark.parametrize(
    "value", [{"x": math.nan}, {"x": math.inf}, {"x": 2**60}, {"x": "\ud800"}, {1: 2}, {"x": {1}}]
)
def test_what_the_reference_refuses_is_refused(value: object) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(value)
