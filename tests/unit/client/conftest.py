"""A real server (ledger + API under uvicorn) and people who sign with keys made here."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tetherai.api.app import create_app
from tetherai.cli._common import run_app
from tetherai.cli.main import app as cli_app
from tetherai.client import Client, ClientConfig, save_config
from tetherai.client.accounts import create_api_token, register_public_key
from tetherai.client.config import KEY_FILE
from tetherai.crypto.signature import generate_private_key
from tetherai.identity.keys import write_private_key
from tetherai.identity.roles import Role
from tetherai.services.custody import Argon2Parameters
from tetherai.services.settings import Settings

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
KEY_PASSPHRASE = b"my own key passphrase"
ROLES = {"alice": Role.AI_ENGINEER, "bob": Role.MLOPS_ENGINEER, "carol": Role.STAKEHOLDER}


def password(name: str) -> str:
    return f"{name}-password-for-tests"


@pytest.fixture
def app(cast: Cast, sqlite_url: str) -> FastAPI:
    settings = Settings(
        home=cast.net.home.root,
        database_url=sqlite_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    return create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


@pytest.fixture
def server(app: FastAPI, cast: Cast) -> Iterator[httpx.Client]:
    with serve(app) as http:
        for name, role in ROLES.items():
            web_account(app, cast.net.home, name, role, password(name))
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
            private_key=key,
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


@pytest.fixture
def mlflow_run(tmp_path: Path) -> dict[str, Any]:
    """A run with params, a metric history and artifacts, registered as model 'digits' v1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # mlflow's SQLAlchemy use
        warnings.simplefilter("ignore", FutureWarning)
        from mlflow.tracking import MlflowClient

        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        experiment = client.create_experiment(
            "digits", artifact_location=(tmp_path / "mlruns").as_uri()
        )
        run = client.create_run(experiment, run_name="lr-seed-7")
        run_id = run.info.run_id
        client.log_param(run_id, "C", "0.05")
        for step, value in enumerate([0.8, 0.9, 0.93]):
            client.log_metric(run_id, "test_accuracy", value, step=step)
        files = tmp_path / "files"
        (files / "model").mkdir(parents=True)
        (files / "model" / "model.json").write_text('{"coef": [1, 2]}\n')
        (files / "train.log").write_text("epoch 1\nepoch 2\n")
        client.log_artifacts(run_id, str(files))
        client.set_terminated(run_id)
        client.create_registered_model("digits")
        version = client.create_model_version(
            "digits", f"{run.info.artifact_uri}/model", run_id=run_id
        )
    return {"uri": uri, "run_id": run_id, "model_version": str(version.version), "files": files}


class Terminal:
    """A person at a terminal: runs ``tether`` in this process with their own config dir, key
    passphrase and password (the exit code is checked; the output returned)."""

    def __init__(
        self,
        name: str,
        root: Path,
        url: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.name, self.url = name, url
        self.config = root / name
        self.monkeypatch, self.capsys = monkeypatch, capsys

    def _env(self) -> None:
        self.monkeypatch.setenv("TETHER_CONFIG", str(self.config))
        self.monkeypatch.setenv("TETHER_PASSPHRASE", f"{self.name} key passphrase")
        self.monkeypatch.setenv("TETHER_PASSWORD", f"{self.name}-password-for-tests")

    def __call__(self, *args: str, expect: int = 0) -> str:
        self._env()
        with pytest.raises(SystemExit) as stopped:
            run_app(cli_app, list(args))
        out, err = self.capsys.readouterr()
        assert stopped.value.code == expect, f"{args}: {out}\n{err}"
        return out + err

    def json(self, *args: str, expect: int = 0) -> Any:
        self._env()
        with pytest.raises(SystemExit) as stopped:
            run_app(cli_app, [*args, "--json"])
        out, err = self.capsys.readouterr()
        assert stopped.value.code == expect, f"{args}: {out}\n{err}"
        return json.loads(out)

    def onboard(self) -> dict[str, Any]:
        self("login", self.url, "--username", self.name)
        self("key", "create")
        found: dict[str, Any] = self.json("key", "register", "--name", "laptop")
        return found


@pytest.fixture
def terminal(
    server: httpx.Client,
    cast: Cast,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    # The CLI signs with the wall clock; the test ledger's clock is set to it.
    cast.net.clock.now = time.time_ns() // 1_000_000
    return lambda name: Terminal(
        name, tmp_path / "people", str(server.base_url), monkeypatch, capsys
    )
