"""Idempotency keys for writes: the ``Idempotency-Key`` header.

A client that may retry a write (a timeout, a dropped connection) sends a key of its choosing,
1-200 printable ASCII characters. The first request with a key runs; its response (status and
JSON body, an error included) is remembered per (user, key). A repeat with the same key and the
same request answers the remembered response, marked ``Idempotent-Replayed: true``, without
submitting a second tx; the same key with a different request is refused with 422
``request.idempotency_conflict``.

The keys live in the service database (``services.idempotency_keys``): a repeat is answered
after the server restarts, and processes that share one service database answer it alike.
(A cluster peer has a service database of its own: a retry sent to another peer is a new
request.) Concurrent repeats in one process wait on a per-key lock, in the event loop (the
routes are async), holding no worker thread; a repeat that finds the first request still
running in another process, or left by a server that stopped less than the lease ago, is
answered 409 ``request.idempotency_in_progress``, and a later retry gets the answer.

Server errors (5xx: the orderer busy or closed) are not remembered: a retry runs again.
Answers are kept for 24 h by default.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from tetherai.errors import TetherError
from tetherai.http.errors import ApiError, error_body, status_for
from tetherai.services.idempotency_keys import Answered, Claimed, Conflict, Running, SharedKeys

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_TTL_SECONDS",
    "HEADER",
    "Idempotency",
    "IdempotencyStore",
    "idempotency",
]

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_TTL_SECONDS = 24 * 3600.0
DEFAULT_LEASE_SECONDS = 120.0
"""How long a running request holds its key before another may take it over. A write answers
within one durable block, and a cluster peer gives up on the orderer after 60 s, so an older
claim was left by a server that stopped (killed, or crashed) before it could answer."""
KEY_PATTERN = r"^[!-~]([ -~]{0,198}[!-~])?$"
"""1-200 printable ASCII characters, no leading or trailing space (HTTP would strip it)."""


_REFUSALS: dict[type, tuple[int, str, str, str]] = {
    Conflict: (
        422,
        "request.idempotency_conflict",
        "the idempotency key {key} was used for a different request",
        "use a new Idempotency-Key for a new request",
    ),
    Running: (
        409,
        "request.idempotency_in_progress",
        "a request with the idempotency key {key} is still running",
        "retry in a moment: the repeat then gets that request's answer",
    ),
}
"""How a claim that is not this request's is refused: status, code, message, hint."""


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class IdempotencyStore:
    """Remembered responses per (user, key), in ``keys``; one request per key at a time."""

    def __init__(self, keys: SharedKeys) -> None:
        self._keys = keys
        self._guard = threading.Lock()
        self._slots: dict[tuple[str, str], _Slot] = {}

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
                found = await asyncio.to_thread(self._keys.claim, user, key, fingerprint)
                if isinstance(found, Answered):
                    return found.status, found.body, True
                if isinstance(found, Conflict | Running):
                    status, code, said, hint = _REFUSALS[type(found)]
                    raise ApiError(status, said.format(key=repr(key)), code=code, hint=hint)
                claim: Claimed = found
                try:
                    status, body = await action()
                except TetherError as error:
                    status = status_for(error)
                    if status < 500:
                        body = error_body(error.code, error.message, error.hint, error.details)
                        await asyncio.to_thread(self._keys.finish, user, key, claim, status, body)
                    else:
                        await asyncio.to_thread(self._keys.release, user, key, claim)
                    raise
                except BaseException:
                    # No answer (a bug, a cancelled request): the next request with the key runs.
                    await asyncio.shield(asyncio.to_thread(self._keys.release, user, key, claim))
                    raise
                await asyncio.to_thread(self._keys.finish, user, key, claim, status, body)
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


def store_of(request: Request) -> IdempotencyStore:
    """The app's store (``app.state.idempotency``, set when the app starts)."""
    found = request.app.state.idempotency
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
