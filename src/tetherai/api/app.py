"""The FastAPI application: ``create_app(settings)`` (DESIGN.md §2 ``api/``).

Thin on purpose: routes validate input, call one service or contract query, and render; the
rules live in ``contracts/``. The node (peer + solo orderer) is opened at start-up and closed
at shutdown; a test builds an app with its own settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from tetherai import __version__
from tetherai.api.docs import install_docs
from tetherai.api.errors import install_error_handlers
from tetherai.api.idempotency import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_TTL_SECONDS,
    IdempotencyStore,
)
from tetherai.api.limits import RequestLimits
from tetherai.api.log_redaction import install_log_redaction
from tetherai.api.proxies import trust_proxies
from tetherai.api.routes import (
    auth,
    channel,
    envelopes,
    keys,
    ledger,
    notifications,
    objects,
    people,
    projects,
    writes,
)
from tetherai.api.routes.audit import router as audit_router
from tetherai.api.security_headers import SecurityHeaders
from tetherai.http.process import settle_heap
from tetherai.http.routing import add_routes
from tetherai.identity.ca import CertificateAuthority
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.artifacts import InPlaceAllowList, open_artifacts
from tetherai.services.auth import AuthService
from tetherai.services.custody import DEFAULT_ARGON2, Argon2Parameters, KeyCustody
from tetherai.services.db import make_engine, make_session_factory, migrate
from tetherai.services.home import NetworkHome
from tetherai.services.idempotency_keys import SharedKeys
from tetherai.services.network import Node, open_node
from tetherai.services.notifications import NotificationService
from tetherai.services.possession import ObjectHolders, Possession
from tetherai.services.projection_follower import ProjectionFollower
from tetherai.services.projections import Projector
from tetherai.services.runtime import Runtime
from tetherai.services.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(tz=UTC)


def create_app(
    settings: Settings,
    *,
    node: Node | None = None,
    argon2: Argon2Parameters = DEFAULT_ARGON2,
    owns_process: bool = False,
) -> FastAPI:
    """Build the app. ``node`` lets a caller share an already open node (tests, demo);
    ``argon2`` sets the password-hashing cost (tests pass a cheap one); ``owns_process``:
    the app is what this process serves (``tether serve``), so once started it settles the
    heap (``http.process.settle_heap``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()  # here: after the server has configured its loggers
        home = NetworkHome(settings.home)
        engine = make_engine(settings.database_url)
        migrate(engine)
        sessions = make_session_factory(engine)
        clock = _now
        app.state.idempotency = IdempotencyStore(
            SharedKeys(
                sessions,
                ttl_seconds=DEFAULT_TTL_SECONDS,
                lease_seconds=DEFAULT_LEASE_SECONDS,
                clock=time.time,
            )
        )
        opened = node or open_node(home, settings.passphrase)
        ca = CertificateAuthority.load(home.ca_dir(home.config()["org"]), settings.passphrase)
        app.state.runtime = Runtime(
            settings,
            opened,
            AuthService(sessions, clock=clock, settings=settings, hashing=argon2),
            KeyCustody(sessions, clock=clock, settings=settings, kdf=argon2),
            ca,
            open_artifacts(settings.storage()),
            NotificationService(sessions, clock=clock, webhook_allow=settings.webhook_allow),
            Possession(ObjectHolders(sessions, clock=clock), InPlaceAllowList(settings.in_place)),
            projections=make_session_factory(engine, for_writes=False),
        )
        # The follower reads the ledger through a connection of its own (one per thread).
        follower_store = SqliteLedgerStore(opened.peer.store.path, readonly=True)
        follower = ProjectionFollower(
            Projector(
                make_session_factory(engine),
                follower_store,
                opened.channel,
                notify=True,
                webhook_allow=settings.webhook_allow,
            ),
            lambda: opened.peer.head.height,
        )
        app.state.runtime.follower = follower
        follower.start()
        if owns_process:
            settle_heap()
        log.info(
            "serving the network home %s: channel %s at block %d, %s service database",
            settings.home,
            opened.channel,
            opened.peer.head.height - 1,
            engine.dialect.name,
        )
        try:
            yield
        finally:
            log.info(
                "stopping: channel %s at block %d", opened.channel, opened.peer.head.height - 1
            )
            app.state.runtime.admission.close()  # what is queued runs before the node closes
            follower.stop()
            follower_store.close()
            if node is None:
                opened.close()
            engine.dispose()

    app = FastAPI(
        title="tetherai",
        version=__version__,
        summary="AI model life cycles tethered to a tamper-evident, permissioned ledger",
        lifespan=lifespan,
        docs_url=None,  # ours is built from packaged assets (api/docs.py), not a CDN
        redoc_url=None,
    )
    app.add_middleware(RequestLimits, max_upload_bytes=settings.max_upload_bytes)  # api/limits.py
    install_docs(app)
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)
    trust_proxies(app, settings.trusted_proxies)  # outermost: every layer sees the real client
    install_error_handlers(app)
    # Most asked first: a request is matched route by route. No two API routes answer the
    # same method and path (tests/unit/http/test_routing.py), so the order changes no answer.
    routers = (
        projects.router,
        ledger.router,
        notifications.router,
        envelopes.router,
        writes.router,
        auth.router,
        audit_router,
        keys.router,
        people.router,
        channel.router,
        objects.router,
    )
    add_routes(app, *routers)
    return app
