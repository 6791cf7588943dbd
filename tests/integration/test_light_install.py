"""``pip install tetherai`` without extras is the SDK and the CLI's client commands, and they work.

A fresh virtual environment gets tetherai built from this tree, nothing else asked for (the
versions from constraints.txt, as CI installs them): none of the server's packages comes along,
``tether --help`` runs, ``tetherai.Client`` imports, and the light ``tether`` logs in to a real
server (started here from the full install) and asks who it is. A server-side command says which
extra it needs, in one error line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.unit.api.conftest import FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.identity.roles import Role
from tetherai.services.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "argon2-cffi",
    "psycopg",
    "jinja2",
    "babel",
    "weasyprint",
    "boto3",
    "botocore",
    "tensorboard",
    "mlflow-skinny",
}


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` directory of a venv holding tetherai and its base dependencies only."""
    venv = tmp_path_factory.mktemp("light") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    installed = subprocess.run(
        [*pip, "install", "--quiet", "-c", str(ROOT / "constraints.txt"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv / "bin"


def test_the_light_install_holds_none_of_the_server(light: Path) -> None:
    listed = subprocess.run(
        [str(light / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    names = {item["name"].lower() for item in json.loads(listed)}
    assert {"tetherai", "httpx", "cryptography", "typer"} <= names
    assert not names & SERVER_PACKAGES, sorted(names & SERVER_PACKAGES)


def test_help_and_the_sdk_work_without_extras(light: Path) -> None:
    helped = subprocess.run(
        [str(light / "tether"), "--help"], capture_output=True, text=True, timeout=300
    )
    assert helped.returncode == 0, helped.stderr
    assert "whoami" in helped.stdout
    imported = subprocess.run(
        [str(light / "python"), "-c", "import tetherai; print(tetherai.Client.__name__)"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.stdout.strip() == "Client", imported.stderr


def test_a_server_command_names_the_extra_it_needs(light: Path, tmp_path: Path) -> None:
    served = subprocess.run(
        [str(light / "tether"), "serve", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert served.returncode == 3  # the install is what to fix, not the input
    assert "tetherai[server]" in served.stderr and "Traceback" not in served.stderr


def test_the_light_cli_talks_to_a_real_server(light: Path, cast: Cast, tmp_path: Path) -> None:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 's.sqlite'}",
        secret_key=b"l" * 32,
        passphrase=PASSPHRASE,
    )
    app = create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)
    with serve(app) as http:
        alice = web_account(app, cast.net.home, "alice", Role.AI_ENGINEER, "alice's password!")
        token = app.state.runtime.auth.issue_api_token(alice, "light").token
        (tmp_path / "token").write_text(token)
        config = tmp_path / "config"
        tether = [str(light / "tether")]
        logged = subprocess.run(
            [*tether, "login", str(http.base_url), "--token-file", str(tmp_path / "token"),
             "--config", str(config)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert logged.returncode == 0, logged.stderr
        who = subprocess.run(
            [*tether, "whoami", "--config", str(config), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["username"] == "alice"
