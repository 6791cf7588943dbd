"""Run an ASGI app under a real uvicorn server on 127.0.0.1, for the length of a test."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import httpx
import uvicorn
from fastapi import FastAPI

from tests.common.waiting import PATIENCE
from tetherai.api.proxies import SERVER_OPTIONS

SERVER_THREAD = "uvicorn-test"
"""The name of the thread :func:`serve` runs uvicorn (and so the app's event loop) in."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI, *, worker_threads: int | None = None) -> Iterator[httpx.Client]:
    """Start uvicorn in a thread, yield an httpx client for it, stop it afterwards.

    ``worker_threads`` sets the size of the server's thread pool (AnyIO's default is 40), so
    a test can show that waiting requests do not hold its threads."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **SERVER_OPTIONS
    )
    server = uvicorn.Server(config)

    async def limited() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads or 40
        await server.serve()

    target = server.run if worker_threads is None else lambda: asyncio.run(limited())
    thread = threading.Thread(target=target, name=SERVER_THREAD, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=20)
