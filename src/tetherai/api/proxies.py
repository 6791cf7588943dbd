"""Whose word the server takes for the client's address: ``X-Forwarded-For`` (and ``-Proto``)
only from the reverse proxies named in ``Settings.trusted_proxies``.

The sign-in limit counts attempts per client address, and the activity log records it; a
header anyone may send must not decide either. uvicorn believes those headers from loopback
by default, so every server here runs it with :data:`SERVER_OPTIONS` (its own handling off)
and the app applies them itself, from the configured proxies only.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

__all__ = ["SERVER_OPTIONS", "trust_proxies"]

SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False, "server_header": False}
"""Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` of every server of the app."""


def trust_proxies(app: FastAPI, trusted: tuple[str, ...]) -> None:
    """Believe forwarded headers from ``trusted`` addresses or networks (none: believe none)."""
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted))
