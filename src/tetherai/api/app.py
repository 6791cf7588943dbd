"""The FastAPI application: ``create_app(settings)`` (DESIGN.md §2 ``api/``).

Thin on purpose: routes validate input, call one service or contract query, and render; the
rules live in ``contracts/``. The node (peer + solo orderer) is opened at start-up and closed
at shutdown; a test builds an app with its own settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tetherai import __version__
from tetherai.api.errors import install_error_handlers
from tetherai.api.routes import envelopes, ledger, projects
from tetherai.api.runtime import Runtime
from tetherai.services.home import NetworkHome
from tetherai.services.network import Node, open_node
from tetherai.services.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, node: Node | None = None) -> FastAPI:
    """Build the app. ``node`` lets a caller share an already open node (tests, demo)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = node or open_node(NetworkHome(settings.home), settings.passphrase)
        app.state.runtime = Runtime(settings, opened)
        try:
            yield
        finally:
            if node is None:
                opened.close()

    app = FastAPI(
        title="tetherai",
        version=__version__,
        summary="AI model life cycles tethered to a tamper-evident, permissioned ledger",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in (ledger.router, envelopes.router, projects.router):
        app.include_router(router)
    return app
