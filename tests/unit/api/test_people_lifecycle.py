"""Disable, reset and tokens mean what they say, over HTTP against a real server: a reset ends
every token and key, a disabled person's envelopes are refused whoever relays them, a token
never makes a token, and with SMTP the links go to the person's mailbox only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.common.smtp import MailServer, running_mail_server
from tests.unit.api.conftest import ADMIN_PASSWORD, FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.client.accounts import register_public_key
from tetherai.crypto.signature import PrivateKey, generate_private_key
from tetherai.identity.roles import Role
from tetherai.ledger.transaction import Creator, Transaction, new_nonce, sign_transaction
from tetherai.services.settings import Settings

PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "another long passphrase"


OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def sign_in(base: httpx.URL, username: str, password: str) -> tuple[httpx.Client, str]:
    """A signed-in person's client (closed at the end of the test)."""
    http = httpx.Client(base_url=base, timeout=30)
    OPEN.append(http)
    response = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return http, str(response.json()["user"]["id"])


def cli_key(base: httpx.URL, username: str, password: str) -> tuple[PrivateKey, str]:
    key = generate_private_key()
    registered = register_public_key(str(base), username, password, private_key=key, name="cli")
    return key, str(registered["cert_sha256"])


def envelope(http: httpx.Client, org: str, name: str, cert: str, key: PrivateKey) -> Any:
    ts = http.get("/api/v1/ledger").json()["last_block_ts"]
    tx = Transaction(
        "main",
        "notary",
        "notarize",
        {"name": f"by-{name}-{new_nonce()[:8]}", "sha256": "ab" * 32},
        Creator(org, name, cert),
        new_nonce(),
        ts,
    )
    return sign_transaction(tx, key).to_json()


def test_a_reset_ends_every_token_session_and_key_and_the_new_key_says_why(
    app: FastAPI, client: httpx.Client, cast: Cast
) -> None:
    web_account(app, cast.net.home, "carol", Role.STAKEHOLDER, PASSWORD)
    carol, carol_id = sign_in(client.base_url, "carol", PASSWORD)
    token = carol.post("/api/v1/me/tokens", json={"name": "laptop"}).json()["token"]
    key, cert = cli_key(client.base_url, "carol", PASSWORD)
    with httpx.Client(
        base_url=client.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as cli:
        assert cli.get("/api/v1/auth/me").status_code == 200
        admin, _ = sign_in(client.base_url, "admin", ADMIN_PASSWORD)
        reset = admin.post(f"/api/v1/admin/users/{carol_id}/password-reset")
        assert reset.status_code == 201, reset.text
        assert cli.get("/api/v1/auth/me").status_code == 401  # the old token is dead
        assert carol.get("/api/v1/auth/me").status_code == 401  # and the session
        old_password = client.post(
            "/api/v1/auth/login", json={"username": "carol", "password": PASSWORD}
        )
        assert old_password.status_code == 401  # and the password, until the link is used
        refused = client.post(
            "/api/v1/envelopes", json=envelope(client, "Org1", "carol", cert, key)
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "tx.revoked_certificate"
        done = client.post(
            "/api/v1/auth/reset", json={"token": reset.json()["token"], "password": NEW_PASSWORD}
        )
        assert done.status_code == 200, done.text
        assert cli.get("/api/v1/auth/me").status_code == 401  # still dead after the reset
    carol, _ = sign_in(client.base_url, "carol", NEW_PASSWORD)
    wrote = carol.put(
        f"/api/v1/projects/{cast.project}/factsheet", json={"purpose": "score credit"}
    )
    assert wrote.status_code == 200, wrote.text
    notes = carol.get("/api/v1/me/notifications").json()["items"]
    assert {n["kind"] for n in notes} == {"keys_changed"}
    assert any("password reset authorized by admin@Org1" in n["text"] for n in notes)
    keys = {k["cert_sha256"]: k for k in carol.get("/api/v1/me/keys").json()["items"]}
    assert keys[cert]["revoked"]["reason"] == "password reset"
    (web,) = [k for k in keys.values() if k["kind"] == "web" and not k["revoked"]]
    assert (web["after"], web["enrolled_by"]) == ("password reset", "admin@Org1")


def test_a_disabled_persons_envelopes_are_refused_whoever_relays_them(
    app: FastAPI, client: httpx.Client, cast: Cast
) -> None:
    web_account(app, cast.net.home, "aaron", Role.AI_ENGINEER, PASSWORD)
    key, cert = cli_key(client.base_url, "aaron", PASSWORD)
    signed = envelope(client, "Org1", "aaron", cert, key)
    admin, _ = sign_in(client.base_url, "admin", ADMIN_PASSWORD)
    people = {u["username"]: u["id"] for u in admin.get("/api/v1/admin/users").json()["items"]}
    disabled = admin.post(f"/api/v1/admin/users/{people['aaron']}/disable")
    assert disabled.status_code == 200, disabled.text
    count = cast.net.node.peer.store.tx_count
    relayed = client.post("/api/v1/envelopes", json=signed)  # posted with the admin's token
    assert relayed.status_code == 403, relayed.text
    assert relayed.json()["error"]["code"] == "tx.revoked_certificate"
    assert cast.net.node.peer.store.tx_count == count  # refused at admission: nothing stored
    # Enabling invites a new key, made and enrolled at the next sign-in; the CLI key stays dead.
    assert admin.post(f"/api/v1/admin/users/{people['aaron']}/enable").status_code == 200
    aaron, _ = sign_in(client.base_url, "aaron", PASSWORD)
    created = aaron.post("/api/v1/projects", json={"name": "Back again"})
    assert created.status_code == 201, created.text
    again = client.post("/api/v1/envelopes", json=envelope(client, "Org1", "aaron", cert, key))
    assert again.status_code == 403


def test_a_token_makes_no_token_and_lives_at_most_the_limit(
    client: httpx.Client, cast: Cast
) -> None:
    minted = client.post("/api/v1/me/tokens", json={"name": "forever", "expires_in_days": 30})
    assert minted.status_code == 403 and minted.json()["error"]["code"] == "auth.password_required"
    admin, _ = sign_in(client.base_url, "admin", ADMIN_PASSWORD)
    admin.headers.pop("Authorization", None)
    long = admin.post("/api/v1/me/tokens", json={"name": "long", "expires_in_days": 3650})
    assert long.status_code == 422 and "1 to 90 days" in long.json()["error"]["message"]
    ok = admin.post("/api/v1/me/tokens", json={"name": "ok"})
    assert ok.status_code == 201, ok.text


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mailing(cast: Cast, tmp_path: Path, mail: MailServer) -> Iterator[httpx.Client]:
    """A server that e-mails one-time links (SQLite), with the org admin's web account."""
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 'mailing.sqlite'}",
        secret_key=b"y" * 32,
        passphrase=PASSPHRASE,
        smtp=mail.settings,
        public_url="https://tether.example",
    )
    app = create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)
    with serve(app) as http:
        web_account(app, cast.net.home, "admin", Role.ORG_ADMIN, ADMIN_PASSWORD)
        yield http


def test_with_smtp_links_reach_only_the_person(mailing: httpx.Client, mail: MailServer) -> None:
    admin, _ = sign_in(mailing.base_url, "admin", ADMIN_PASSWORD)
    no_address = admin.post(
        "/api/v1/admin/invitations", json={"username": "erin", "role": "stakeholder"}
    )
    assert no_address.status_code == 409 and no_address.json()["error"]["code"] == "mail.no_address"
    invited = admin.post(
        "/api/v1/admin/invitations",
        json={"username": "erin", "role": "stakeholder", "email": "erin@example.org"},
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["token"] is None and invited.json()["sent_to"] == "e***@example.org"
    message = mail.next_message()
    assert message["To"] == "erin@example.org"
    body = message.get_body(("plain",))
    assert body is not None and "https://tether.example/accept?token=" in body.get_content()
    accepted = mailing.post(
        "/api/v1/auth/accept", json={"token": mail.link(message), "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    erin_id = accepted.json()["user"]["id"]
    reset = admin.post(f"/api/v1/admin/users/{erin_id}/password-reset")
    assert reset.status_code == 201 and reset.json()["token"] is None
    link = mail.link(mail.next_message())
    done = mailing.post("/api/v1/auth/reset", json={"token": link, "password": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    notice = mail.next_message()
    assert "key was replaced" in str(notice["Subject"])
    text = notice.get_body(("plain",))
    assert text is not None and "authorized by admin@Org1" in text.get_content()
    # The admin could not have redirected it: only the person changes their address.
    people = admin.get("/api/v1/admin/users").json()["items"]
    assert {p["username"]: p["email"] for p in people}["erin"] == "erin@example.org"
    erin, _ = sign_in(mailing.base_url, "erin", NEW_PASSWORD)
    wrong = erin.put("/api/v1/me/email", json={"email": "x@example.org", "password": "nope nope"})
    assert wrong.status_code == 401
    moved = erin.put(
        "/api/v1/me/email", json={"email": "erin@new.example", "password": NEW_PASSWORD}
    )
    assert moved.status_code == 200 and moved.json()["email"] == "erin@new.example"
    assert mail.empty()
