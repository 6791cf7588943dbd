"""HTTP helpers shared by the routes: ETags and cursor pagination."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

__all__ = ["cached_json"]


def cached_json(request: Request, body: Any, *, status: int = 200) -> Response:
    """A JSON response with a strong ETag; ``If-None-Match`` that matches gets a 304."""
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    etag = '"' + hashlib.sha256(encoded).hexdigest()[:32] + '"'
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(body, status, headers={"ETag": etag, "Cache-Control": "no-cache"})
