"""No secret reaches the server's log: run ``tether serve`` as a real process, logging text
(the default) or JSON lines (``--log-json``), go through sign-in (right and wrong passwords), an
invitation and its one-time link, a password reset link and an API token, then search the whole
log for each secret. In JSON, every line of the log is one JSON object."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.common.network import PASSPHRASE, make_network
from tests.common.server import free_port
from tests.common.waiting import PATIENCE
from tetherai.api.log_redaction import redact

TETHER = Path(sys.executable).with_name("tether")
ADMIN_PASSWORD = "the admin's long password"


def test_redact_rewrites_only_secret_parameters() -> None:
    assert redact("/accept?token=abc&next=/x") == "/accept?token=[redacted]&next=/x"
    assert redact("/x?lang=zh&Password=p1") == "/x?lang=zh&Password=[redacted]"
    assert redact("/api/v1/ledger?limit=5") == "/api/v1/ledger?limit=5"


@pytest.mark.integration
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_server_log_holds_no_secret(tmp_path: Path, log_format: str) -> None:
    net = make_network(tmp_path)
    net.close()
    home = net.home.root
    port, log = free_port(), tmp_path / "server.log"
    from tests.integration.test_server_crash import _api_token

    net.home.ensure_server_secret()
    token = _api_token(home, f"sqlite:///{home / 'service.sqlite'}")
    env = os.environ | {"TETHER_PASSPHRASE": PASSPHRASE.decode(), "TETHER_PORT": str(port)}
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(TETHER), "serve", "--home", str(home)]
            + (["--log-json"] if log_format == "json" else []),
            env=env,
            stdout=sink,
            stderr=sink,
        )
    secrets: list[str] = [token, PASSPHRASE.decode(), "crash test admin password"]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as http:
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    if http.get("/api/v1/ledger").status_code == 401:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.05)
            wrong = "a wrong password guessed"
            secrets.append(wrong)
            assert (
                http.post(
                    "/api/v1/auth/login", json={"username": "admin", "password": wrong}
                ).status_code
                == 401
            )
            login = http.post(
                "/api/v1/auth/login",
                json={"username": "admin", "password": "crash test admin password"},
            )
            assert login.status_code == 200, login.text
            csrf = login.json()["csrf_token"]
            secrets += [csrf, *http.cookies.values()]
            headers = {"X-CSRF-Token": csrf}
            invited = http.post(
                "/api/v1/admin/invitations",
                json={"username": "erin", "role": "ai_engineer"},
                headers=headers,
            )
            assert invited.status_code == 201, invited.text
            invitation = invited.json()["token"]
            secrets.append(invitation)
            with httpx.Client(base_url=http.base_url, timeout=PATIENCE) as erin:
                assert erin.get("/accept", params={"token": invitation}).status_code == 200
                erin_password = "erin's own long password"
                secrets.append(erin_password)
                accepted = erin.post(
                    "/api/v1/auth/accept", json={"token": invitation, "password": erin_password}
                )
                assert accepted.status_code == 200, accepted.text
            made = http.post("/api/v1/me/tokens", json={"name": "ci"}, headers=headers)
            assert made.status_code in (200, 201), made.text
            secrets.append(made.json()["token"])
            users = http.get("/api/v1/admin/users").json()["items"]
            user_id = next(u["id"] for u in users if u["username"] == "erin")
            reset = http.post(f"/api/v1/admin/users/{user_id}/password-reset", headers=headers)
            assert reset.status_code in (200, 201), reset.text
            reset_token = reset.json()["token"]
            secrets.append(reset_token)
            assert http.get("/reset", params={"token": reset_token}).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    if log_format == "json":
        documents = [json.loads(line) for line in text.splitlines() if line]
        links = [d for d in documents if d.get("path", "").startswith("/accept?")]
        assert [d["path"] for d in links] == ["/accept?token=[redacted]"]
        assert any(d["logger"] == "tetherai.api.app" for d in documents)  # the server's own
    else:
        assert "GET /accept?token=[redacted]" in text  # the access log is on, and redacted
        assert "tetherai.api.app: serving the network home" in text
    leaked = [secret for secret in secrets if secret and secret in text]
    assert not leaked, f"{len(leaked)} secret(s) in the server log"
