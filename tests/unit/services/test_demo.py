"""The demo network of ``make run``: its auditor login audits the demo project, and nothing more."""

from __future__ import annotations

from pathlib import Path

from tests.common.server import serve
from tetherai.server import create_web_app
from tetherai.services.demo import build_demo, demo_password
from tetherai.services.settings import Settings

PASSPHRASE = "demo-test-passphrase"


def test_the_demo_auditor_audits_the_demo_project(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    assert build_demo(home, PASSPHRASE.encode())
    assert not build_demo(home, PASSPHRASE.encode())  # a second run reuses it
    settings = Settings.from_env({"TETHER_PASSPHRASE": PASSPHRASE}, home=home)
    with serve(create_web_app(settings)) as http:
        signed_in = http.post(
            "/api/v1/auth/login", json={"username": "dave", "password": demo_password("dave")}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["role"] == "auditor"
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        project = "/api/v1/projects/Org1/credit-scoring"
        versions = http.get(f"{project}/versions").json()["items"]
        assert [v["version"]["version"] for v in versions] == ["v1"]
        for path in ("/versions/v1/history", "/audit-bundle"):
            assert http.get(project + path).status_code == 200, path
        refused = http.post(f"{project}/versions/v1/comments", json={"text": "hi"}, headers=csrf)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "tx.auditor_cannot_write"
