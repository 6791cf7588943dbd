"""Fixtures of the API tests: a real ledger, the app under uvicorn, an admin's API token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tetherai.api.app import create_app
from tetherai.identity.roles import Role
from tetherai.services.custody import Argon2Parameters
from tetherai.services.settings import Settings

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
def service_database_url(sqlite_url: str) -> str:
    """A SQLite service database; tests/integration/postgresql runs these tests again on a real
    PostgreSQL 15 by overriding this fixture."""
    return sqlite_url


@pytest.fixture
def app(cast: Cast, service_database_url: str) -> FastAPI:
    settings = Settings(
        home=cast.net.home.root,
        database_url=service_database_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    return create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[httpx.Client]:
    with serve(app) as http:
        yield http


@pytest.fixture
def client(app: FastAPI, anonymous: httpx.Client, cast: Cast) -> httpx.Client:
    """Signed in with the org admin's API token (reads, and pre-signed envelopes)."""
    rt = app.state.runtime
    admin = web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, ADMIN_PASSWORD)
    anonymous.headers["Authorization"] = f"Bearer {rt.auth.issue_api_token(admin, 'tests').token}"
    return anonymous


@pytest.fixture
def browser(anonymous: httpx.Client) -> Iterator[httpx.Client]:
    """Another client of the same server, with its own cookie jar."""
    with httpx.Client(base_url=anonymous.base_url, timeout=PATIENCE) as http:
        yield http
