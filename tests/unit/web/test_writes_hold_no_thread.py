"""Writes wait for their block without holding a worker thread.

The server runs with a thread pool of 2 (AnyIO's default is 40) and the orderer holds its
first block at a gate. Pre-signed envelopes, API writes signed with a session's key and page
forms all reach the orderer and wait together on that one block — with sync routes only 2 of
them could wait at a time and the rest would queue for a thread — then every one succeeds,
and each page write finds its project in the projections.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.load import page_session
from tests.common.network import PASSPHRASE
from tests.common.orderers import gate
from tests.common.server import serve
from tests.unit.web.conftest import FAST_ARGON2, csrf_of
from tetherai.identity.roles import Role
from tetherai.server import create_web_app
from tetherai.services.db import ProjectProjection
from tetherai.services.settings import Settings

THREADS = 2
EACH = 6  # of each kind of write: 18 in all, 9 times the thread pool


def _app(cast: Cast, tmp_path: Path) -> FastAPI:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 's.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    return create_web_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


def test_writes_wait_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        rt = app.state.runtime
        admin = web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        token = rt.auth.issue_api_token(admin, "tests").token
        web_account(app, cast.net.home, cast["author"].id, Role.AI_ENGINEER, "author password!")
        login = http.post(
            "/api/v1/auth/login",
            json={"username": cast["author"].id, "password": "author password!"},
        )
        assert login.status_code == 200, login.text
        api_session = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in login.cookies.items()),
            "X-CSRF-Token": login.json()["csrf_token"],
        }
        page_cookie = page_session(http, cast["author"].id, "author password!")
        with httpx.Client(base_url=http.base_url, headers={"Cookie": page_cookie}) as browser:
            page_csrf = csrf_of(browser.get("/projects"))
        envelopes = [
            cast.net.sign(
                cast["author"], "notary", "notarize", {"name": f"n{n}", "sha256": f"{n:064x}"}
            )
            for n in range(EACH)
        ]
        orderer = gate(cast.net)
        base_url = http.base_url

        def envelope(n: int) -> httpx.Response:
            with httpx.Client(base_url=base_url, timeout=60) as client:
                return client.post(
                    "/api/v1/envelopes",
                    json=envelopes[n].to_json(),
                    headers={"Authorization": f"Bearer {token}"},
                )

        def api_write(n: int) -> httpx.Response:
            with httpx.Client(base_url=base_url, timeout=60, headers=api_session) as client:
                return client.post("/api/v1/projects", json={"name": f"Api {n}"})

        def page_write(n: int) -> httpx.Response:
            with httpx.Client(
                base_url=base_url, timeout=60, headers={"Cookie": page_cookie}
            ) as client:
                return client.post("/projects", data={"name": f"Page {n}", "csrf_token": page_csrf})

        with ThreadPoolExecutor(3 * EACH) as pool:
            answers = [
                *(pool.submit(envelope, n) for n in range(EACH)),
                *(pool.submit(api_write, n) for n in range(EACH)),
                *(pool.submit(page_write, n) for n in range(EACH)),
            ]
            deadline = time.monotonic() + 60
            while orderer.in_flight < 3 * EACH:  # every write is waiting on the gated block
                assert time.monotonic() < deadline, f"{orderer.in_flight} writes reached it"
                assert not any(answer.done() for answer in answers)
                time.sleep(0.01)
            assert len(orderer.blocks) == 1  # the rest queue behind it
            orderer.gate.set()
            responses = [answer.result(timeout=60) for answer in answers]
            # Each page write answered only once the projections held what it wrote.
            with rt.projections() as session:
                names = set(session.scalars(select(ProjectProjection.name)))
            assert {f"Page {n}" for n in range(EACH)} <= names

    envelope_answers, api_answers, page_answers = (
        responses[:EACH],
        responses[EACH : 2 * EACH],
        responses[2 * EACH :],
    )
    assert all(r.status_code == 200 and r.json()["valid"] for r in envelope_answers)
    assert all(r.status_code == 201 and r.json()["valid"] for r in api_answers)
    # A page write redirects to its new project, which the projections already hold.
    assert all(r.status_code == 303 for r in page_answers), [r.text[:200] for r in page_answers]
    assert all(r.headers["location"].startswith("/projects/Org1/") for r in page_answers)
    assert sum(len(block) for block in orderer.blocks) == 3 * EACH


def test_an_admins_channel_proposals_wait_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        login = http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": "admin password!"}
        )
        assert login.status_code == 200, login.text
        session = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in login.cookies.items()),
            "X-CSRF-Token": login.json()["csrf_token"],
        }
        orderer = gate(cast.net)
        base_url = http.base_url

        def propose(n: int) -> httpx.Response:
            with httpx.Client(base_url=base_url, timeout=60, headers=session) as client:
                return client.post(
                    "/api/v1/channel/proposals",
                    json={"change": "set_limits", "args": {"max_skew_ms": 60_000 + n * 1000}},
                )

        with ThreadPoolExecutor(EACH) as pool:
            answers = [pool.submit(propose, n) for n in range(EACH)]
            deadline = time.monotonic() + 60
            while orderer.in_flight < EACH:  # every proposal is waiting on the gated block
                assert time.monotonic() < deadline, f"{orderer.in_flight} proposals reached it"
                assert not any(answer.done() for answer in answers)
                time.sleep(0.01)
            orderer.gate.set()
            responses = [answer.result(timeout=60) for answer in answers]
    assert all(r.status_code == 201 for r in responses), [r.text[:200] for r in responses]
    assert len({r.json()["tx_id"] for r in responses}) == EACH
