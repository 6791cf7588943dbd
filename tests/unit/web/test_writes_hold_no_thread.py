"""Writes wait for their block without holding a worker thread.

The server runs with a thread pool of 2 (AnyIO's default is 40) and the orderer holds its
first block at a gate. Pre-signed envelopes, API writes signed with a session's key and page
forms all reach the orderer and wait together on that one block — with sync routes only 2 of
them could wait at a time and the rest would queue for a thread — then every one succeeds,
and each page write finds its project in the projections. The same holds for what an org
admin does to people (invitations, disabling, password resets), for people registering keys,
and for accepting an invitation (the person's first key is enrolled with their own tx).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tests.common.accounts import web_account
from tests.common.lifecycle import PARTS, Cast
from tests.common.load import page_session
from tests.common.network import PASSPHRASE
from tests.common.orderers import gate
from tests.common.server import serve
from tests.unit.web.conftest import FAST_ARGON2, csrf_of
from tetherai.crypto.signature import Algorithm, generate_private_key, public_key_to_pem
from tetherai.identity.possession import prove_possession
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


def _api_session(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """Headers of a JSON sign-in (its cookies and CSRF token), able to sign on the server."""
    login = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    return {
        "Cookie": "; ".join(f"{k}={v}" for k, v in login.cookies.items()),
        "X-CSRF-Token": login.json()["csrf_token"],
    }


def _all_wait_on_one_block(
    cast: Cast, calls: list[Callable[[], httpx.Response]]
) -> list[httpx.Response]:
    """Send every request at once with the orderer's first block held at a gate; each must
    reach the orderer (none answered, none queued for a worker thread) before it is let go."""
    orderer = gate(cast.net)
    with ThreadPoolExecutor(len(calls)) as pool:
        answers = [pool.submit(call) for call in calls]
        deadline = time.monotonic() + 60
        while orderer.in_flight < len(calls):  # every write is waiting on the gated block
            assert time.monotonic() < deadline, f"{orderer.in_flight} writes reached it"
            assert not any(answer.done() for answer in answers), [
                answer.result().text[:200] for answer in answers if answer.done()
            ]
            time.sleep(0.01)
        assert len(orderer.blocks) == 1  # the rest queue behind it
        orderer.gate.set()
        responses = [answer.result(timeout=60) for answer in answers]
    assert sum(len(block) for block in orderer.blocks) == len(calls)
    return responses


def test_writes_wait_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        rt = app.state.runtime
        admin = web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        token = rt.auth.issue_api_token(admin, "tests").token
        web_account(app, cast.net.home, cast["author"].id, Role.AI_ENGINEER, "author password!")
        api_session = _api_session(http, cast["author"].id, "author password!")
        page_cookie = page_session(http, cast["author"].id, "author password!")
        with httpx.Client(base_url=http.base_url, headers={"Cookie": page_cookie}) as browser:
            page_csrf = csrf_of(browser.get("/projects"))
        envelopes = [
            cast.net.sign(
                cast["author"], "notary", "notarize", {"name": f"n{n}", "sha256": f"{n:064x}"}
            )
            for n in range(EACH)
        ]
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

        responses = _all_wait_on_one_block(
            cast,
            [
                *(partial(envelope, n) for n in range(EACH)),
                *(partial(api_write, n) for n in range(EACH)),
                *(partial(page_write, n) for n in range(EACH)),
            ],
        )
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


def test_an_admins_channel_proposals_wait_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        session = _api_session(http, "admin", "admin password!")
        base_url = http.base_url

        def propose(n: int) -> httpx.Response:
            with httpx.Client(base_url=base_url, timeout=60, headers=session) as client:
                return client.post(
                    "/api/v1/channel/proposals",
                    json={"change": "set_limits", "args": {"max_skew_ms": 60_000 + n * 1000}},
                )

        responses = _all_wait_on_one_block(cast, [partial(propose, n) for n in range(EACH)])
    assert all(r.status_code == 201 for r in responses), [r.text[:200] for r in responses]
    assert len({r.json()["tx_id"] for r in responses}) == EACH


PEOPLE = ("ai2", "mlops", "mlops2", "stake1", "stake2", "stake3")


def test_admin_and_key_writes_wait_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    """Invitations (API and page), disabling people (API), password resets (page) and key
    registrations (API): 24 writes, 12 times the thread pool, all wait on one block."""
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        author = cast["author"]
        web_account(app, cast.net.home, author.id, Role.AI_ENGINEER, "author password!")
        ids = {}
        for part in PEOPLE:
            who = cast[part]
            role = PARTS[part][1]
            ids[part] = web_account(app, cast.net.home, who.id, role, f"{part} password!").id
        admin_api = _api_session(http, "admin", "admin password!")
        author_api = _api_session(http, author.id, "author password!")
        admin_page = page_session(http, "admin", "admin password!")
        with httpx.Client(base_url=http.base_url, headers={"Cookie": admin_page}) as browser:
            page_csrf = csrf_of(browser.get("/admin"))
        base_url = http.base_url
        new_keys = [generate_private_key(Algorithm.ED25519) for _ in range(EACH)]

        def api(headers: dict[str, str], path: str, body: object) -> Callable[[], httpx.Response]:
            def send() -> httpx.Response:
                with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client:
                    return client.post(path, json=body)

            return send

        def page(path: str, data: dict[str, str]) -> Callable[[], httpx.Response]:
            def send() -> httpx.Response:
                with httpx.Client(
                    base_url=base_url, timeout=60, headers={"Cookie": admin_page}
                ) as client:
                    return client.post(path, data=data | {"csrf_token": page_csrf})

            return send

        invite = {"role": Role.STAKEHOLDER.value}
        calls = [
            *(
                api(admin_api, "/api/v1/admin/invitations", invite | {"username": f"api{n}"})
                for n in range(EACH)
            ),
            *(page("/admin/invitations", invite | {"username": f"page{n}"}) for n in range(EACH)),
            *(
                api(admin_api, f"/api/v1/admin/users/{ids[part]}/disable", None)
                for part in PEOPLE[:3]
            ),
            *(page(f"/admin/users/{ids[part]}/password-reset", {}) for part in PEOPLE[3:]),
            *(
                api(
                    author_api,
                    "/api/v1/me/keys",
                    {
                        "name": f"laptop {n}",
                        "public_key_pem": public_key_to_pem(key.public_key()).decode(),
                        "proof": prove_possession(key, author.org, author.id),
                    },
                )
                for n, key in enumerate(new_keys)
            ),
        ]
        responses = _all_wait_on_one_block(cast, calls)
        reader = app.state.runtime.reader()
        for n in range(EACH):
            assert reader.get(f"membership/invitation/Org1/api{n}") is not None
            assert reader.get(f"membership/invitation/Org1/page{n}") is not None

    statuses = [r.status_code for r in responses]
    assert statuses == [201] * (2 * EACH) + [200] * 3 + [201] * 3 + [201] * EACH, [
        r.text[:200] for r in responses
    ]
    assert all(not r.json()["enabled"] for r in responses[2 * EACH : 2 * EACH + 3])
    assert len({r.json()["enrolled_tx"] for r in responses[-EACH:]}) == EACH


def test_accepting_invitations_waits_for_one_block_together_on_two_worker_threads(
    cast: Cast, tmp_path: Path
) -> None:
    """Each person's first key is enrolled with their own tx (API and page): 12 at once."""
    app = _app(cast, tmp_path)
    with serve(app, worker_threads=THREADS) as http:
        web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, "admin password!")
        admin_api = _api_session(http, "admin", "admin password!")
        tokens = []
        for n in range(2 * EACH):
            invited = http.post(
                "/api/v1/admin/invitations",
                headers=admin_api,
                json={"username": f"new{n}", "role": Role.STAKEHOLDER.value},
            )
            assert invited.status_code == 201, invited.text
            tokens.append(invited.json()["token"])
        base_url = http.base_url
        password = "a long new password"

        def api_accept(token: str) -> Callable[[], httpx.Response]:
            def send() -> httpx.Response:
                with httpx.Client(base_url=base_url, timeout=60) as client:
                    return client.post(
                        "/api/v1/auth/accept", json={"token": token, "password": password}
                    )

            return send

        def page_accept(token: str) -> Callable[[], httpx.Response]:
            def send() -> httpx.Response:
                with httpx.Client(base_url=base_url, timeout=60) as client:
                    form = client.get(f"/accept?token={token}")
                    fields = {"token": token, "password": password, "confirm": password}
                    return client.post("/accept", data=fields | {"csrf_token": csrf_of(form)})

            return send

        responses = _all_wait_on_one_block(
            cast,
            [api_accept(t) for t in tokens[:EACH]] + [page_accept(t) for t in tokens[EACH:]],
        )
        reader = app.state.runtime.reader()
        for n in range(2 * EACH):
            assert reader.get(f"membership/participant/Org1/new{n}") is not None

    assert all(r.status_code == 200 for r in responses[:EACH]), [r.text[:200] for r in responses]
    assert all(r.status_code == 303 for r in responses[EACH:]), [r.text[:200] for r in responses]
