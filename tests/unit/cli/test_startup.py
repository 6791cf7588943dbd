"""The CLI starts light: ``tether --help`` and the client commands load none of the server's
dependencies. Checked by which modules a fresh interpreter holds (deterministic), not by timing
(that is ``benchmarks/cli.py``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# The server's and the extras' packages: none may load for --help or a client command.
SERVER_SIDE = {
    "boto3",
    "botocore",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "argon2",
    "psycopg",
    "jinja2",
    "babel",
    "weasyprint",
    "tensorboard",
    "mlflow",
    "numpy",
}
# What even a client command does not need before it runs: the help loads neither.
CLIENT_SIDE = {"httpx", "cryptography", "nacl", "rfc8785", "orjson"}

PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))
"""


def _loaded(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    found: list[str] = json.loads(out.strip().splitlines()[-1])
    return set(found)


def test_importing_the_cli_loads_no_command() -> None:
    loaded = _loaded("import tetherai.cli.main")
    assert not loaded & (SERVER_SIDE | CLIENT_SIDE)


def test_tether_help_loads_no_command() -> None:
    code = """
from tetherai.cli.main import app
from tetherai.cli._common import run_app
try:
    run_app(app, ["--help"])
except SystemExit:
    pass
"""
    loaded = _loaded(code)
    assert "typer" in loaded  # the probe really ran the help
    assert not loaded & (SERVER_SIDE | CLIENT_SIDE)


@pytest.mark.parametrize(
    "command",
    ["login", "whoami", "key", "project", "version", "verify", "review", "deploy", "rollback"],
)
def test_a_client_command_loads_nothing_of_the_server(command: str) -> None:
    code = f"""
from tetherai.cli.main import app
from tetherai.cli._common import run_app
try:
    run_app(app, ["{command}", "--help"])
except SystemExit:
    pass
"""
    loaded = _loaded(code)
    assert "tetherai" in loaded
    assert not loaded & SERVER_SIDE, sorted(loaded & SERVER_SIDE)


def test_the_sdk_loads_nothing_of_the_server() -> None:
    loaded = _loaded("import tetherai; tetherai.Client")
    assert "httpx" in loaded
    assert not loaded & SERVER_SIDE, sorted(loaded & SERVER_SIDE)
