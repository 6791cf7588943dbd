"""The HTTP side of the SDK: one httpx client, the server's error shape turned into errors.

Writes (:meth:`Http.write`) carry an ``Idempotency-Key`` made once per write and are retried
with the same key and the same body when the answer is lost (a timeout, a dropped connection)
or the server is briefly unavailable (502/503/504). The server answers a repeat with the first
answer (``Idempotent-Replayed: true``) instead of submitting the tx again, so a retry never makes
a second tx — and never turns a write that succeeded into a "tx.replayed" refusal.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import IO, Any

import httpx

from tetherai.client.errors import ServerError

__all__ = ["Http", "raise_for_error"]

_CHUNK = 1024 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRY_STATUSES = frozenset({502, 503, 504})


def raise_for_error(response: httpx.Response) -> None:
    """Raise :class:`ServerError` with the server's code, message, hint and details."""
    if response.is_success:
        return
    try:
        body = response.json()
        error = body["error"]
        message = str(error["message"])
    except (ValueError, KeyError, TypeError):
        raise ServerError(
            f"the server answered HTTP {response.status_code} to "
            f"{response.request.method} {response.request.url.path}",
            status=response.status_code,
            code="client.http_error",
        ) from None
    raise ServerError(
        message,
        status=response.status_code,
        code=str(error.get("code") or "client.http_error"),
        hint=str(error.get("hint") or ""),
        details=error.get("details") if isinstance(error.get("details"), dict) else None,
    )


class Http:
    """Requests to one server with one bearer token; every failure is a :class:`ServerError`."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        """``retries`` more attempts of a write whose answer was lost, ``backoff`` seconds
        apart (doubling each time)."""
        self.server = server.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.server, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request to ``/api/v1<path>`` and return its decoded JSON answer."""
        try:
            response = self._http.request(method, f"/api/v1{path}", **kwargs)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from error
        raise_for_error(response)
        return response.json()

    def _unreachable(self, error: httpx.HTTPError) -> ServerError:
        return ServerError(
            f"cannot reach {self.server}: {error or type(error).__name__}",
            status=0,
            code="client.unreachable",
            hint="check the server URL ('tether login') and that the server is running",
        )

    def write(self, path: str, body: Any) -> Any:
        """POST a write with an ``Idempotency-Key``; retry it with the same key and body when
        the answer is lost or the server is briefly unavailable."""
        headers = {IDEMPOTENCY_HEADER: f"tether-{uuid.uuid4().hex}"}
        url = f"/api/v1{path}"
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.post(url, json=body, headers=headers)
            except httpx.TransportError as error:  # timeouts, refused or dropped connections
                if last:
                    raise self._unreachable(error) from error
            else:
                if response.status_code not in _RETRY_STATUSES or last:
                    raise_for_error(response)
                    return response.json()
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def get_bytes(self, path: str, **params: Any) -> bytes:
        """GET ``/api/v1<path>`` and return the answer's bytes as sent (a file to keep)."""
        query = {k: v for k, v in params.items() if v is not None}
        try:
            response = self._http.get(f"/api/v1{path}", params=query)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from error
        raise_for_error(response)
        return response.content

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body)

    def pages(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paginated list (``{items, next}``)."""
        items: list[Any] = []
        cursor: str | None = None
        while True:
            page = self.get(path, limit=500, cursor=cursor, **params)
            items.extend(page["items"])
            cursor = page.get("next")
            if not cursor:
                return items

    def upload(self, file: IO[bytes], size: int, progress: Callable[[int], None]) -> Any:
        """Stream ``file`` to ``POST /objects``; answers ``{uri, sha256, size}``."""

        def chunks() -> Iterator[bytes]:
            while chunk := file.read(_CHUNK):
                progress(len(chunk))
                yield chunk

        return self.request(
            "POST",
            "/objects",
            content=chunks(),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )

    def download_digest(
        self,
        sha256: str,
        progress: Callable[[int], None] | None = None,
        *,
        version: str | None = None,
    ) -> tuple[str, int]:
        """Stream ``GET /objects/{sha256}`` through SHA-256; answer (digest, size) of the bytes.

        ``version`` (``<org>/<project>/<version>``) is the version through which the caller
        may have the object (the server serves bytes only to those who may have them).

        Raises:
            ServerError: the server refused (404 when there is no such object).
            httpx.HTTPError: the stream was cut short (the server cuts it when its stored
                copy does not match the digest).
        """
        hasher = hashlib.sha256()
        size = 0
        params = {"version": version} if version else None
        with self._http.stream("GET", f"/api/v1/objects/{sha256}", params=params) as response:
            if not response.is_success:
                response.read()
                raise_for_error(response)
            for chunk in response.iter_bytes(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                if progress is not None:
                    progress(len(chunk))
        return hasher.hexdigest(), size

    def download_bytes(self, sha256: str, *, version: str | None = None) -> bytes:
        params = {"version": version} if version else None
        try:
            response = self._http.get(f"/api/v1/objects/{sha256}", params=params)
        except httpx.HTTPError as error:
            raise ServerError(
                f"cannot download {sha256}: {error}", status=0, code="client.unreachable"
            ) from error
        raise_for_error(response)
        return response.content


def new_session(server: str, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A cookie-keeping client for the routes that need a signed-in browser-style session."""
    return httpx.Client(base_url=server.rstrip("/"), timeout=60.0, transport=transport)
