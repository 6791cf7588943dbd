"""JSON answers are encoded once, as compact UTF-8 JSON that reads back as what the route
answered, and the ETag is the hash of exactly those bytes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from hypothesis import given
from hypothesis import strategies as st

from tetherai.api._http import Encoded, cached_json

BODY = {"items": [{"name": "Kreditwürdigkeit", "score": 0.97, "n": 3}], "next": None}


def request(headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_the_body_is_compact_utf8_json_and_the_etag_its_hash() -> None:
    answer = cached_json(request(), BODY)
    assert answer.status_code == 200
    assert answer.body == json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["etag"] == '"' + hashlib.sha256(answer.body).hexdigest()[:32] + '"'


def test_a_matching_etag_gets_304_and_another_the_body() -> None:
    etag = cached_json(request(), BODY).headers["etag"]
    assert cached_json(request({"If-None-Match": etag}), BODY).status_code == 304
    other = cached_json(request({"If-None-Match": etag}), BODY | {"next": "50"})
    assert other.status_code == 200 and other.headers["etag"] != etag


# What a route may answer, orjson's limits included: integers past 64 bits, keys that are
# numbers (the json module writes them as text), text of any code point.
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(VALUES)
def test_any_answer_reads_back_as_the_json_module_would_write_it(value: Any) -> None:
    expected = json.loads(json.dumps(value))
    assert json.loads(Encoded.of(value).body) == expected
