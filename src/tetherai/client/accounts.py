"""What needs the person's password once: an API token for the CLI/SDK, registering a key.

The server signs nothing with an API token; registering a public key is enrolled on the ledger
by the person's own web key, so it needs a signed-in session (cookie + CSRF token). Both open a
session, do the one thing and sign out again; the password is never stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tetherai.client._http import new_session, raise_for_error
from tetherai.client.errors import ServerError
from tetherai.crypto.signature import PrivateKey, public_key_to_pem
from tetherai.identity.possession import prove_possession

__all__ = ["create_api_token", "register_public_key"]


@contextmanager
def _signed_in(
    server: str, username: str, password: str, transport: httpx.BaseTransport | None
) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    http = new_session(server, transport=transport)
    try:
        try:
            response = http.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
        except httpx.HTTPError as error:
            raise ServerError(
                f"cannot reach {server}: {error}",
                status=0,
                code="client.unreachable",
                hint="check the server URL and that the server is running",
            ) from error
        raise_for_error(response)
        answer: dict[str, Any] = response.json()
        http.headers["X-CSRF-Token"] = str(answer["csrf_token"])
        yield http, answer
        http.post("/api/v1/auth/logout")
    finally:
        http.close()


def create_api_token(
    server: str,
    username: str,
    password: str,
    *,
    name: str,
    transport: httpx.BaseTransport | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign in, make a personal API token, sign out. Returns (token, the user)."""
    with _signed_in(server, username, password, transport) as (http, answer):
        response = http.post("/api/v1/me/tokens", json={"name": name})
        raise_for_error(response)
        return str(response.json()["token"]), dict(answer["user"])


def register_public_key(
    server: str,
    username: str,
    password: str,
    *,
    private_key: PrivateKey,
    name: str,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Have the org CA certify your key's public part; your web key enrols it on the ledger.

    The private key never leaves this machine: it signs the proof of possession here
    (:func:`tetherai.identity.possession.prove_possession`), and only the public key and that
    signature are sent. Your other keys are untouched.

    Returns the key as ``GET /me/keys`` lists it, with ``certificate_pem`` and ``enrolled_tx``.
    """
    public_key_pem = public_key_to_pem(private_key.public_key()).decode()
    with _signed_in(server, username, password, transport) as (http, answer):
        user = answer["user"]
        proof = prove_possession(private_key, str(user["org"]), str(user["username"]))
        response = http.post(
            "/api/v1/me/keys",
            json={"name": name, "public_key_pem": public_key_pem, "proof": proof},
        )
        raise_for_error(response)
        found: dict[str, Any] = response.json()
        return found
