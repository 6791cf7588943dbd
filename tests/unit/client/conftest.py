"""A real server (ledger + API under uvicorn) and people who sign with keys made here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from tests.common.lifecycle import Cast, make_cast
from tests.common.network import PASSPHRASE, make_network
from tests.common.server import serve

from tetherai.api.app import create_app
from tetherai.client import Client, ClientConfig, save_config
from tetherai.client.accounts import create_api_token, register_public_key
from tetherai.client.config import KEY_FILE
from tetherai.crypto.signature import generate_private_key, public_key_to_pem
from tetherai.identity.keys import write_private_key
from tetherai.identity.roles import Role
from tetherai.services.custody import Argon2Parameters
from tetherai.services.enrolment import web_account_for_participant
from tetherai.services.settings import Settings

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
KEY_PASSPHRASE = b"my own key passphrase"
ROLES = {"alice": Role.AI_ENGINEER, "bob": Role.MLOPS_ENGINEER, "carol": Role.STAKEHOLDER}


def password(name: str) -> str:
    return f"{name}-password-for-tests"


@pytest.fixture
def cast(tmp_path: Path) -> Iterator[Cast]:
    net = make_network(tmp_path, max_wait=0.002)
    try:
        yield make_cast(net)
    finally:
        net.close()


@pytest.fixture
def app(cast: Cast, tmp_path: Path) -> FastAPI:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 's.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    return create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


@pytest.fixture
def server(app: FastAPI, cast: Cast) -> Iterator[httpx.Client]:
    with serve(app) as http:
        rt = app.state.runtime
        for name, role in ROLES.items():
            web_account_for_participant(
                rt.auth,
                rt.custody,
                cast.net.home,
                passphrase=PASSPHRASE,
                participant_id=name,
                role=role,
                password=password(name),
            )
        yield http


@pytest.fixture
def person(server: httpx.Client, tmp_path: Path, cast: Cast) -> Iterator[Callable[[str], Client]]:
    """``person("alice")``: logged in with a token, with a key made and registered here; the
    config (0600) and key file are in ``tmp_path/<name>``."""

    def make(name: str) -> Client:
        url = str(server.base_url)
        token, user = create_api_token(url, name, password(name), name="tests")
        key = generate_private_key()
        folder = tmp_path / name
        write_private_key(folder / KEY_FILE, key, KEY_PASSPHRASE, kdf_rounds=1000)
        registered = register_public_key(
            url,
            name,
            password(name),
            public_key_pem=public_key_to_pem(key.public_key()).decode(),
            name="laptop",
        )
        config = ClientConfig(
            server=url,
            token=token,
            username=name,
            org=str(user["org"]),
            role=str(user["role"]),
            cert_sha256=str(registered["cert_sha256"]),
        )
        save_config(folder, config)
        client = Client.from_config(
            folder, passphrase=KEY_PASSPHRASE, clock=cast.net.node.orderer.clock
        )
        made.append(client)
        return client

    made: list[Client] = []
    yield make
    for client in made:
        client.close()
