"""The first web login of a network made with ``tether init``, end to end: init, then
``tether admin create-user``, then the server (as ``tether serve`` builds it) and the sign-in
page — the admin signs in and writes a tx with their own key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.common.server import serve
from tetherai.cli.main import app
from tetherai.server import create_web_app
from tetherai.services.settings import Settings

runner = CliRunner()
PASSPHRASE = "home passphrase for the first admin"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def tether(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, list(args), env={"TETHER_PASSPHRASE": PASSPHRASE, "TETHER_HOME": ""}
    )
    return result.exit_code, result.stdout, result.stderr


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def test_init_then_create_the_first_admin_then_sign_in_on_the_web(tmp_path: Path) -> None:
    home = tmp_path / "net"
    assert tether("init", "--home", str(home), "--org", "Acme", "--admin", "root")[0] == 0
    password = tmp_path / "password.txt"
    password.write_text("a long admin password for the web\n")
    password.chmod(0o600)
    code, out, err = tether(
        "admin", "create-user", "--home", str(home), "--role", "org_admin",
        "--password-file", str(password), "--display-name", "Root of Acme",
    )  # fmt: skip
    assert code == 0, err
    assert "root" in out and "sign in at /signin" in out
    # A second time: the account exists, nothing is changed.
    code, _, err = tether(
        "admin", "create-user", "--home", str(home), "--password-file", str(password)
    )
    assert code != 0 and "root" in err
    # The role must be the certificate's.
    code, _, err = tether(
        "admin", "create-user", "--home", str(home), "--role", "auditor",
        "--password-file", str(password),
    )  # fmt: skip
    assert code != 0 and "certified as org_admin" in err

    settings = Settings.from_env(dict(os.environ) | {"TETHER_PASSPHRASE": PASSPHRASE}, home=home)
    with serve(create_web_app(settings)) as anonymous:
        http = httpx.Client(base_url=anonymous.base_url, timeout=30)
        form = http.get("/signin")
        signed_in = http.post(
            "/signin",
            data={
                "username": "root",
                "password": "a long admin password for the web",
                "csrf_token": _csrf(form),
                "next": "/dashboard",
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        dashboard = http.get("/dashboard")
        assert "Root of Acme" in dashboard.text and 'href="/admin"' in dashboard.text
        # The admin signs with the key 'tether init' made: a project is created on the ledger.
        created = http.post(
            "/projects", data={"name": "First Project", "csrf_token": _csrf(dashboard)}
        )
        assert created.status_code == 303, created.text
        page = http.get(created.headers["location"])
        assert page.status_code == 200, page.text
        assert "First Project" in page.text, page.text[-3000:]
        assert 'class="tx-link"' in page.text
        http.close()


def test_create_user_without_a_home_or_password_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = tether("admin", "create-user", "--home", str(tmp_path / "none"))
    assert code != 0 and "tether init" in err
    home = tmp_path / "net"
    assert tether("init", "--home", str(home))[0] == 0
    code, _, err = tether("admin", "create-user", "--home", str(home))
    assert code == 2 and "--password-file" in err
