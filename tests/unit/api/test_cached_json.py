"""JSON answers are encoded once: the body is what ``JSONResponse`` writes, and the ETag is the
hash of exactly those bytes."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import JSONResponse

from tetherai.api._http import cached_json

BODY = {"items": [{"name": "Kreditwürdigkeit", "score": 0.97, "n": 3}], "next": None}


def request(headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_the_body_is_what_json_response_writes_and_the_etag_its_hash() -> None:
    answer = cached_json(request(), BODY)
    assert answer.status_code == 200
    assert answer.body == JSONResponse(BODY).body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["etag"] == '"' + hashlib.sha256(answer.body).hexdigest()[:32] + '"'


def test_a_matching_etag_gets_304_and_another_the_body() -> None:
    etag = cached_json(request(), BODY).headers["etag"]
    assert cached_json(request({"If-None-Match": etag}), BODY).status_code == 304
    other = cached_json(request({"If-None-Match": etag}), BODY | {"next": "50"})
    assert other.status_code == 200 and other.headers["etag"] != etag
