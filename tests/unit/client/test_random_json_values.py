"""Random JSON through the SDK, the CLI and the API, then ``tether ledger verify`` exits 0.

Values reach the ledger from Python objects (the SDK signs ``1.0``; the server signs what a
request body held; the CLI parses ``--metric x=1e21``) while a replay reads them from the
signed canonical bytes (``1``). Whatever was sent, what is stored and read back is its
canonical form, and the ledger verifies.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.unit.client.conftest import password
from tetherai.client import Client
from tetherai.crypto.errors import CanonicalizationError
from tetherai.crypto.jcs import canonicalize
from tetherai.identity.roles import Role

SAFE = 2**53 - 1
SPECIAL = [1.0, -0.0, 1e21, 5e-324, 1e-07, 2.0**53, 1e20, 0.1, 1.7976931348623157e308, -1.5e-300]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
NUMBERS = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-SAFE, SAFE),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
EXAMPLE = st.tuples(JSON, st.lists(NUMBERS, min_size=1, max_size=4), TEXT)


def _experiment(value: Any, numbers: list[float], text: str) -> dict[str, Any]:
    return {
        "name": f"run {text}" if text.strip() else "run",
        "hyperparameters": {"value": value, text: numbers[0]},
        "metrics": {"first": numbers[0], "last": numbers[-1]},
        "series": {"curve": numbers},
    }


def _same(stored: Any, sent: Any) -> bool:
    """Stored is the canonical form of what was sent (``1.0`` sent, ``1`` stored)."""
    return canonicalize(stored) == canonicalize(sent)


def _people(
    app: FastAPI, cast: Cast, server: httpx.Client, terminal: Any
) -> tuple[Any, Client, httpx.Client]:
    """alice at her terminal and in a script (her own key), aaron signed in to the web API
    (the server signs with the key it keeps sealed for him)."""
    cli = terminal("alice")
    cli.onboard()
    sdk = Client.from_config(
        cli.config, passphrase=b"alice key passphrase", clock=cast.net.node.orderer.clock
    )
    web_account(app, cast.net.home, "aaron", Role.AI_ENGINEER, password("aaron"))
    web = httpx.Client(base_url=server.base_url, timeout=30)
    signed_in = web.post(
        "/api/v1/auth/login", json={"username": "aaron", "password": password("aaron")}
    )
    assert signed_in.status_code == 200, signed_in.text
    web.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
    return cli, sdk, web


def test_random_json_through_sdk_cli_and_api_leaves_a_ledger_that_verifies(
    app: FastAPI, cast: Cast, server: httpx.Client, terminal: Any
) -> None:
    project = cast.project
    org, slug = project.split("/")
    cli, sdk, web = _people(app, cast, server, terminal)
    names = (f"r{n}" for n in itertools.count())

    @settings(
        max_examples=12,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(example=EXAMPLE)
    def register(example: tuple[Any, list[float], str]) -> None:
        value, numbers, text = example
        experiment = _experiment(value, numbers, text)
        # The SDK signs its Python objects with the person's own key.
        via_sdk = next(names)
        sdk.create_version(
            project,
            via_sdk,
            code_repo="https://git.example/r",
            commit="ab" * 20,
            experiments=[experiment],
        )
        # The API: the server signs what the request body held, with the custody key.
        via_api = next(names)
        body = {
            "version": via_api,
            "code_repo": "https://git.example/r",
            "commit": "cd" * 20,
            "experiments": [experiment],
        }
        answer = web.post(f"/api/v1/projects/{org}/{slug}/versions", json=body)
        assert answer.status_code == 201, answer.text
        # The CLI: numbers as the person types them, text as a hyperparameter.
        via_cli = next(names)
        metrics = [f"--metric=m{i}={number!r}" for i, number in enumerate(numbers)]
        params = [f"--param=p={text}"] if text and "\n" not in text and "\r" not in text else []
        cli(
            "version",
            "create",
            f"{project}/{via_cli}",
            "--code-repo",
            "https://git.example/r",
            "--commit",
            "ef" * 20,
            *metrics,
            *params,
        )
        for name in (via_sdk, via_api):
            stored = sdk.version(project, name)["version"]["experiments"][0]
            assert _same(stored["hyperparameters"], experiment["hyperparameters"])
            assert _same(stored["series"], experiment["series"])
        stored = sdk.version(project, via_cli)["version"]["experiments"][0]
        assert _same(stored["metrics"], {f"m{i}": n for i, n in enumerate(numbers)})

    try:
        register()
    finally:
        sdk.close()
        web.close()
    cli("ledger", "verify", "--home", str(cast.net.home.root))  # exit 0, checked by the terminal


def test_what_canonical_json_cannot_hold_is_refused_clearly_and_nothing_is_stored(
    app: FastAPI, cast: Cast, server: httpx.Client, terminal: Any
) -> None:
    project = cast.project
    org, slug = project.split("/")
    cli, sdk, web = _people(app, cast, server, terminal)
    try:
        for value in (2**53, -(2**60), math.nan, math.inf):
            experiment = {"name": "e", "hyperparameters": {"value": value}}
            with pytest.raises(CanonicalizationError, match="hyperparameters") as refused:
                sdk.create_version(
                    project,
                    "big",
                    code_repo="https://g/r",
                    commit="ab" * 20,
                    experiments=[experiment],
                )
            assert "Traceback" not in refused.value.message
        big = b"9007199254740993"
        answer = web.post(
            f"/api/v1/projects/{org}/{slug}/versions",
            content=b'{"version": "big", "code_repo": "https://g/r", "commit": "'
            + b"ab" * 20
            + b'", "experiments": [{"name": "e", "hyperparameters": {"value": '
            + big
            + b"}}]}",
            headers={"content-type": "application/json"},
        )
    finally:
        sdk.close()
        web.close()
    assert 400 <= answer.status_code < 500, answer.text
    assert "hyperparameters" in answer.text and "Traceback" not in answer.text, answer.text
    out = cli(
        "version", "create", f"{project}/big", "--code-repo", "https://g/r",
        "--commit", "ab" * 20, "--metric", "m=nan", expect=2,
    )  # fmt: skip
    assert "error:" in out and "Traceback" not in out
    assert cast.net.node.peer.store.get(f"model_version/{project}/big") is None
