"""Members are notified of status changes and comments; org webhooks get HMAC-signed events."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.waiting import wait_until
from tests.unit.api.conftest import FAST_ARGON2
from tetherai.api.app import create_app
from tetherai.identity.roles import Role
from tetherai.services.settings import Settings

PASSWORD = "carols long passphrase"


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def app(cast: Cast, service_database_url: str) -> FastAPI:
    """The API, whose operator allows webhooks to this machine (the test's receiver)."""
    settings = Settings(
        home=cast.net.home.root,
        database_url=service_database_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        webhook_allow=("127.0.0.1",),
    )
    return create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


def test_members_are_notified_and_webhooks_signed(
    app: FastAPI, client: httpx.Client, cast: Cast, browser: httpx.Client
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        hook = client.post(
            "/api/v1/admin/webhooks", json={"url": f"http://127.0.0.1:{server.server_port}/hook"}
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        assert "secret" not in client.get("/api/v1/admin/webhooks").json()["items"][0]
        web_account(app, cast.net.home, "carol", Role.STAKEHOLDER, PASSWORD)
        v1 = cast.new_version("v1")
        cast.ok("author", "model_version", "submit", project=cast.project, version=v1)
        cast.ok(
            "mlops",
            "review",
            "comment",
            project=cast.project,
            version=v1,
            text="Looks reproducible.",
        )
        login = browser.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
        assert login.status_code == 200
        login_csrf = login.json()["csrf_token"]

        def texts() -> list[str]:
            return [n["text"] for n in browser.get("/api/v1/me/notifications").json()["items"]]

        wait_until(lambda: any("commented" in t for t in texts()))
        found = texts()
        assert any(f"{cast.project}/v1 moved from draft to submitted" in t for t in found)
        assert any("bob@Org1 commented" in t and "Looks reproducible." in t for t in found)
        first = browser.get("/api/v1/me/notifications").json()["items"][0]
        assert (
            browser.post(
                f"/api/v1/me/notifications/{first['id']}/read", headers={"X-CSRF-Token": "missing"}
            ).status_code
            == 403
        )  # CSRF still applies
        # Each notification carries its event as data (who, which move, the comment) …
        items = browser.get("/api/v1/me/notifications").json()["items"]
        moved = next(n for n in items if n["kind"] == "status_changed")
        assert moved["detail"] == {
            "by": cast["author"].id, "org": "Org1", "action": "model_version.submit",
            "before": "draft", "after": "submitted", "reason": None,
        }  # fmt: skip
        # … and all of them are marked read at once (those up to the newest seen).
        marked = browser.post(
            "/api/v1/me/notifications/read",
            params={"up_to": items[0]["id"]},
            headers={"X-CSRF-Token": login_csrf},
        )
        assert marked.status_code == 200 and marked.json() == {"marked": len(items)}
        assert (
            browser.get("/api/v1/me/notifications", params={"unread": True}).json()["items"] == []
        )
        wait_until(lambda: len(_Receiver.received) >= 2)
        headers, body = _Receiver.received[-1]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Tether-Signature"] == expected
        assert json.loads(body)["project"] == cast.project
        refused = browser.post("/api/v1/admin/webhooks", json={"url": "http://127.0.0.1:1/x"})
        assert refused.status_code == 403
    finally:
        server.shutdown()
        server.server_close()
