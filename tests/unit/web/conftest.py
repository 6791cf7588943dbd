"""Fixtures of the page tests: a real ledger with a project and its cast, the web app under
uvicorn, and web accounts for the cast; people sign in through the sign-in page itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tetherai.identity.roles import Role
from tetherai.server import create_web_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.overview import wait_for_projections
from tetherai.services.settings import Settings

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
ACCOUNTS = {
    "admin": Role.ORG_ADMIN,
    "author": Role.AI_ENGINEER,
    "mlops": Role.MLOPS_ENGINEER,
    "stake1": Role.STAKEHOLDER,
    "auditor": Role.AUDITOR,
    "outsider": Role.MLOPS_ENGINEER,
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def password_of(name: str) -> str:
    return f"password of {name}!"


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF field on {page.url}"
    return found.group(1)


@pytest.fixture
def app(cast: Cast, sqlite_url: str) -> FastAPI:
    settings = Settings(
        home=cast.net.home.root,
        database_url=sqlite_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    return create_web_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


@pytest.fixture
def anonymous(app: FastAPI, cast: Cast) -> Iterator[httpx.Client]:
    with serve(app) as http:
        for name, role in ACCOUNTS.items():
            web_account(
                app,
                cast.net.home,
                cast[name].id,
                role,
                password_of(name),
                display_name=f"{name.title()} Person",
            )
        yield http


SignIn = Callable[..., httpx.Client]


@pytest.fixture
def sign_in(anonymous: httpx.Client, cast: Cast) -> Iterator[SignIn]:
    """``sign_in("mlops")``: a new client of the same server, signed in through the page."""
    clients: list[httpx.Client] = []

    def open_as(name: str, *, language: str = "en") -> httpx.Client:
        http = httpx.Client(
            base_url=anonymous.base_url, timeout=30, headers={"Accept-Language": language}
        )
        clients.append(http)
        form = http.get("/signin")
        assert form.status_code == 200
        done = http.post(
            "/signin",
            data={
                "username": cast[name].id,
                "password": password_of(name),
                "csrf_token": csrf_of(form),
                "next": "/dashboard",
            },
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/dashboard"
        return http

    yield open_as
    for http in clients:
        http.close()


@pytest.fixture
def author(anonymous: httpx.Client, cast: Cast) -> Iterator[httpx.Client]:
    """The author, signed in through the JSON API (session cookies + X-CSRF-Token)."""
    with httpx.Client(base_url=anonymous.base_url, timeout=PATIENCE) as http:
        signed_in = http.post(
            "/api/v1/auth/login",
            json={"username": cast["author"].id, "password": password_of("author")},
        )
        assert signed_in.status_code == 200, signed_in.text
        http.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
        yield http


@pytest.fixture
def settle(app: FastAPI, cast: Cast) -> Callable[[], None]:
    """Wait until the projections hold every block (after txs written around the pages)."""

    def wait() -> None:
        rt = app.state.runtime
        head = cast.net.node.peer.head.height - 1
        assert wait_for_projections(rt.projections, rt.node.channel, head, timeout=PATIENCE)

    return wait
