"""The request limits that hold before any route runs (docs/limits.md lists every limit).

One ASGI middleware, in front of the API and the pages:

- an upload (``POST /api/v1/objects``, or any ``multipart/form-data`` body) is at most
  ``Settings.max_upload_bytes``, counted as it streams (its route refuses a larger
  ``Content-Length`` before reading); every other body is at most :data:`MAX_BODY_BYTES`,
  refused with 413 from its ``Content-Length`` before it is read, or as soon as a chunked body
  grows past the limit;
- a JSON body must be UTF-8, nested at most :data:`MAX_JSON_DEPTH` deep, and its numbers finite
  and of at most 4,300 digits (Python's limit). Without this check such a body would fail deep
  inside the framework with a vague "error parsing the body", or, for ``1e999``, pass as
  ``Infinity``. Syntax errors are left to the framework (422 ``request.invalid``).

A refusal is an answer in the one error shape (``http/errors.py``), never a dropped connection.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tetherai.http.errors import ApiError, error_body

__all__ = ["MAX_BODY_BYTES", "MAX_JSON_DEPTH", "RequestLimits", "json_problem"]

MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest non-upload body: four times the largest envelope (1 MiB, ``ledger/transaction.py``),
room for pretty-printed JSON."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects in a JSON body: the ledger's own limit
(``crypto/jcs.loads_canonical``)."""

_UPLOAD_PATHS = frozenset({"/api/v1/objects"})
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.hint = status, code, message, hint


def json_problem(body: bytes) -> tuple[str, str, str] | None:
    """``(code, message, hint)`` of a JSON body refused before parsing, or None if it may go on
    (valid, or a syntax error the framework will describe)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return (
            "request.bad_encoding",
            f"the JSON body is not UTF-8 (byte {error.start})",
            "send JSON encoded as UTF-8",
        )
    depth = _depth(body)
    if depth > MAX_JSON_DEPTH:
        return (
            "request.too_deep",
            f"the JSON body is nested {depth} levels deep; the limit is {MAX_JSON_DEPTH}",
            "flatten the document",
        )
    try:
        json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except _NotFinite as error:
        return (
            "request.bad_number",
            f"the JSON number {str(error)[:40]} is out of range",
            "send finite numbers (IEEE 754 doubles)",
        )
    except json.JSONDecodeError:
        return None
    except ValueError:  # an integer longer than int's 4,300 digits
        return (
            "request.bad_number",
            "a JSON number has more than 4300 digits",
            "send finite numbers (IEEE 754 doubles)",
        )
    return None


class _NotFinite(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _no_constant(text: str) -> float:
    raise _NotFinite(text)  # NaN, Infinity, -Infinity: not JSON at all


def _depth(body: bytes) -> int:
    # Cheap when it cannot matter: with few brackets the depth is at most their count.
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)  # C loops only


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class RequestLimits:
    """ASGI middleware: the body limits above, for every HTTP request."""

    def __init__(
        self, app: ASGIApp, *, max_upload_bytes: int, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["path"] in _UPLOAD_PATHS or content_type == b"multipart/form-data":
            # Streamed by its route, which refuses a too-large Content-Length itself (a page
            # answers with a page); counted here too, so a chunked body cannot pass the limit:
            # the error is raised inside the route's read and answered by the app's handlers.
            await self.app(scope, _counted(receive, self.max_upload_bytes), send)
            return
        try:
            body = await self._read(headers.get(b"content-length", b""), receive)
            if content_type == b"application/json" or content_type.endswith(b"+json"):
                problem = json_problem(body)
                if problem is not None:
                    raise _Refused(400, *problem)
        except _Refused as refused:
            await _answer(send, refused)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, declared: bytes, receive: Receive) -> bytes:
        limit = self.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(f"the body is {int(declared)} bytes; the limit is {limit}")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(f"the body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _too_large(message: str) -> _Refused:
    return _Refused(
        413,
        "request.too_large",
        message,
        "send less; files go to POST /api/v1/objects (docs/limits.md)",
    )


def _counted(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > limit:  # raised inside the route's read: the error handlers answer it
            raise ApiError(
                413,
                f"the upload is larger than the limit of {limit} bytes",
                code="request.too_large",
            )
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # past the body: the client's disconnect, when it comes

    return replay


async def _answer(send: Send, refused: _Refused) -> None:
    payload = json.dumps(error_body(refused.code, refused.message, refused.hint)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
