"""Idempotency keys for writes: the ``Idempotency-Key`` header.

A client that may retry a write (a timeout, a dropped connection) sends a key of its choosing,
1-200 printable ASCII characters. The first request with a key runs; its response (status and
JSON body, an error included) is remembered per (user, key). A repeat with the same key and the
same request answers the remembered response, marked ``Idempotent-Replayed: true``, without
submitting a second tx; the same key with a different request is refused with 422
``request.idempotency_conflict``. Concurrent repeats wait on a per-key lock, so only one runs;
they wait in the event loop (the routes are async), holding no worker thread.

Server errors (5xx: the orderer busy or closed) are not remembered: a retry runs again.

The memory is in-process: bounded (oldest first out) and with a time to live (24 h by default).
That is enough for the single-process server (``tether serve``, one uvicorn worker); several
workers or servers would need a shared store (the service database) instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from tetherai.errors import TetherError
from tetherai.http.errors import ApiError, error_body, status_for

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_TTL_SECONDS",
    "HEADER",
    "Idempotency",
    "IdempotencyStore",
    "Remembered",
    "idempotency",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_TTL_SECONDS = 24 * 3600.0
DEFAULT_MAX_ENTRIES = 10_000
KEY_PATTERN = r"^[!-~]([ -~]{0,198}[!-~])?$"
"""1-200 printable ASCII characters, no leading or trailing space (HTTP would strip it)."""


@dataclass(frozen=True)
class Remembered:
    """The response of the first request with a key."""

    fingerprint: str
    status: int
    body: Any
    expires: float


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class IdempotencyStore:
    """Remembered responses per (user, key), bounded and expiring; thread-safe."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._guard = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], Remembered] = OrderedDict()
        self._slots: dict[tuple[str, str], _Slot] = {}

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)

    def _lookup(self, slot: tuple[str, str]) -> Remembered | None:
        with self._guard:
            found = self._entries.get(slot)
            if found is not None and found.expires <= self._clock():
                del self._entries[slot]
                return None
            return found

    def _remember(self, slot: tuple[str, str], fingerprint: str, status: int, body: Any) -> None:
        with self._guard:
            now = self._clock()
            self._entries[slot] = Remembered(fingerprint, status, body, now + self._ttl)
            self._entries.move_to_end(slot)
            while self._entries:
                oldest_key, oldest = next(iter(self._entries.items()))
                if len(self._entries) <= self._max and oldest.expires > now:
                    break
                del self._entries[oldest_key]

    async def run(
        self,
        user: str,
        key: str,
        fingerprint: str,
        action: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> tuple[int, Any, bool]:
        """``(status, body, replayed)``: the remembered response, or ``action()``'s, remembered.

        A :class:`TetherError` raised by ``action`` is remembered as its error response (unless it
        is a 5xx) and raised again; a repeat then answers that error without running again.
        """
        slot_key = (user, key)
        with self._guard:
            slot = self._slots.setdefault(slot_key, _Slot())
            slot.users += 1
        try:
            async with slot.lock:
                found = self._lookup(slot_key)
                if found is not None:
                    if found.fingerprint != fingerprint:
                        raise ApiError(
                            422,
                            f"the idempotency key {key!r} was used for a different request",
                            code="request.idempotency_conflict",
                            hint="use a new Idempotency-Key for a new request",
                        )
                    return found.status, found.body, True
                try:
                    status, body = await action()
                except TetherError as error:
                    status = status_for(error)
                    if status < 500:
                        body = error_body(error.code, error.message, error.hint, error.details)
                        self._remember(slot_key, fingerprint, status, body)
                    raise
                self._remember(slot_key, fingerprint, status, body)
                return status, body, False
        finally:
            with self._guard:
                slot.users -= 1
                if slot.users == 0:
                    del self._slots[slot_key]


def fingerprint_of(*parts: Any) -> str:
    """A digest of what a request asks for (canonical JSON of its parts)."""
    encoded = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True)
class Idempotency:
    """The ``Idempotency-Key`` of one request (or none) and the store it is checked against."""

    store: IdempotencyStore
    key: str | None
    status: int
    """The route's success status (200, or 201 for a creation)."""

    async def respond(
        self, user: str, request: Any, action: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any] | Response:
        """Run ``action`` once per key: without a key, just run it."""
        if self.key is None:
            return await action()

        async def run() -> tuple[int, Any]:
            return self.status, await action()

        status, body, replayed = await self.store.run(user, self.key, fingerprint_of(request), run)
        headers = {REPLAYED_HEADER: "true"} if replayed else None
        return JSONResponse(body, status, headers=headers)


_CREATING = threading.Lock()


def store_of(request: Request) -> IdempotencyStore:
    """The app's store (``app.state.idempotency``), made on first use unless set already."""
    state = request.app.state
    with _CREATING:
        found = getattr(state, "idempotency", None)
        if found is None:
            found = state.idempotency = IdempotencyStore()
    assert isinstance(found, IdempotencyStore)
    return found


async def idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
            description=(
                "optional, 1-200 printable characters: a repeat with the same key and request "
                "answers the first response and submits no second tx"
            ),
        ),
    ] = None,
) -> Idempotency:
    route = request.scope.get("route")
    status = getattr(route, "status_code", None) or 200
    return Idempotency(store_of(request), key, int(status))


Idem = Annotated[Idempotency, Depends(idempotency)]
