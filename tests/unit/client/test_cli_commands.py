"""The ``tether`` commands of the people who train and ship models, against a real server, as alice and bob at their terminals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.common.lifecycle import Cast
from tetherai.cli._common import run_app
from tetherai.cli.main import app


def test_register_verify_locally_and_from_the_store_deploy(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    alice, bob = terminal("alice"), terminal("bob")
    alice_key = alice.onboard()
    bob.onboard()
    assert (alice.config / "config.json").stat().st_mode & 0o777 == 0o600
    me = alice.json("whoami")
    assert (me["username"], me["role"], me["signing_key"]) == ("alice", "ai_engineer", True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.bin").write_bytes(b"\x00weights" * 100)
    (out / "train.csv").write_text("a,b\n1,2\n")
    project = cast.project
    for version in ("v5", "v6"):
        made = alice.json(
            "version",
            "create",
            f"{project}/{version}",
            "--code-repo",
            "https://git.example/c",
            "--commit",
            "c0ffee",
            "--model",
            str(out / "model.bin"),
            "--train-data",
            str(out / "train.csv"),
            "--metric",
            "test_accuracy=0.91",
            "--param",
            "C=1",
            "--submit",
        )
        assert made["result"]["status"] == "submitted"
    listed = alice.json("version", "list", project)
    assert {v["version"]["version"] for v in listed} >= {"v5", "v6"}
    shown = bob.json("version", "show", f"{project}/v5")
    assert shown["version"]["experiments"][0]["metrics"] == {"test_accuracy": 0.91}
    # bob: a local copy with one changed byte fails v5 (exit 1, recorded, review_failed) …
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "model.bin").write_bytes(b"\x00weights" * 99 + b"\x01weights")
    (copy / "train.csv").write_text("a,b\n1,2\n")
    bob("review", "start", f"{project}/v5")
    failed = bob.json("verify", f"{project}/v5", "--local", str(copy), expect=1)
    assert failed["ok"] is False and failed["tx"]["result"]["transition"]["to"] == "review_failed"
    assert bob.json("version", "show", f"{project}/v5")["status"]["status"] == "review_failed"
    # … and the store's copies of v6 match: pass, deploy.
    bob("review", "start", f"{project}/v6")
    passed = bob.json("verify", f"{project}/v6", "--from-store")
    assert passed["ok"] and [a["equal"] for a in passed["report"]["artifacts"]] == [True, True]
    bob("review", "pass", f"{project}/v6")
    bob("deploy", f"{project}/v6", "--endpoint", "https://models.example/credit")
    history = bob.json("version", "history", f"{project}/v6")
    assert [h["status_after"] for h in history if h["status_after"]][-1] == "deployed"
    # alice may not deploy: the contract refuses, exit 3 and the refused tx is named.
    text = alice("deploy", f"{project}/v6", "--endpoint", "https://x", expect=3)
    assert "error:" in text and "refused tx" in text
    # The ledger with the CLI's txs replays, signatures and all; alice's tx names her CLI key.
    home = str(cast.net.home.root)
    alice("ledger", "verify", "--home", home)  # exit 0: every block and signature replays
    tx = alice.json("ledger", "tx", made["tx_id"], "--home", home)
    creator = tx["tx"]["creator"] if "tx" in tx else tx["creator"]
    assert creator == {"org": "Org1", "id": "alice", "cert_sha256": alice_key["cert_sha256"]}


def test_a_wrong_key_passphrase_is_exit_2_and_nothing_is_signed(
    terminal: Any, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = terminal("alice")
    alice.onboard()
    monkeypatch.setenv("TETHER_CONFIG", str(alice.config))
    monkeypatch.setenv("TETHER_PASSPHRASE", "not the passphrase")
    with pytest.raises(SystemExit) as stopped:
        run_app(app, ["project", "create", "Never"])
    assert stopped.value.code == 2
    assert not any(p["name"] == "Never" for p in cast.query("project", "list_projects", org=""))


def test_tether_import_mlflow_model_version(
    terminal: Any, cast: Cast, mlflow_run: dict[str, Any]
) -> None:
    alice = terminal("alice")
    alice.onboard()
    found = alice.json(
        "import",
        "mlflow",
        f"{cast.project}/v-ml",
        "--model",
        "digits",
        "--version",
        mlflow_run["model_version"],
        "--tracking-uri",
        mlflow_run["uri"],
        "--submit",
    )
    assert found["run_id"] == mlflow_run["run_id"]
    assert sorted(a["name"] for a in found["artifacts"]) == ["model", "train.log"]
    shown = alice.json("version", "show", f"{cast.project}/v-ml")
    assert shown["status"]["status"] == "submitted"
    assert shown["version"]["experiments"][0]["name"] == "mlflow:lr-seed-7"
    missing = alice(
        "import",
        "mlflow",
        f"{cast.project}/v-x",
        "--run",
        "0" * 32,
        "--tracking-uri",
        mlflow_run["uri"],
        expect=2,
    )
    assert missing.startswith("error: MLflow")


def test_login_with_a_token_file_keeps_the_token_private(
    terminal: Any, server: httpx.Client, tmp_path: Path
) -> None:
    from tetherai.client.accounts import create_api_token

    token, _ = create_api_token(
        str(server.base_url), "carol", "carol-password-for-tests", name="ci"
    )
    (tmp_path / "token").write_text(token + "\n")
    carol = terminal("carol")
    found = carol.json("login", str(server.base_url), "--token-file", str(tmp_path / "token"))
    assert (found["username"], found["role"]) == ("carol", "stakeholder")
    assert token not in json.dumps(found)  # shown abbreviated, stored 0600
    stored = json.loads((carol.config / "config.json").read_text())
    assert stored["token"] == token
    bad = carol("login", str(server.base_url), "--token-file", str(tmp_path / "none"), expect=2)
    assert bad.startswith("error: cannot read")


def test_factsheet_rating_documents_and_monitoring_reports(
    terminal: Any, cast: Cast, tmp_path: Path
) -> None:
    alice, bob, carol = terminal("alice"), terminal("bob"), terminal("carol")
    for someone in (alice, bob, carol):
        someone.onboard()
    project, version = cast.project, f"{cast.project}/v-live"
    card = tmp_path / "model-card.md"
    card.write_text("# Credit model\nintended for loan pre-screening\n")
    sheet = tmp_path / "factsheet.json"
    sheet.write_text(
        json.dumps(
            {
                "purpose": "pre-screen loan applications",
                "key_contacts": [{"name": "Alice", "role": "AI engineer"}],
            }
        )
    )
    alice("project", "factsheet", project, "--set", str(sheet), "--document", str(card))
    shown = carol.json("project", "factsheet", project)
    assert shown["purpose"] == "pre-screen loan applications"
    [document] = shown["documents"]
    digest = hashlib.sha256(card.read_bytes()).hexdigest()
    assert document == {
        "name": "model-card.md",
        "sha256": digest,
        "uri": f"tether-obj:sha256/{digest}",
    }
    assert "purpose: pre-screen loan applications" in carol("project", "factsheet", project)
    # A version, rated and documented by carol, reviewed and put into production by bob.
    (tmp_path / "model.bin").write_bytes(b"weights")
    alice("version", "create", version, "--code-repo", "r", "--commit", "c", "--submit",
          "--model", str(tmp_path / "model.bin"))  # fmt: skip
    carol("review", "rate", version, "4", "--note", "clear model card")
    carol("review", "rate", version, "5")  # a second rating replaces the first
    report = tmp_path / "fairness.txt"
    report.write_text("gap 0.01\n")
    attached = carol.json("review", "document", version, str(report), "--name", "Fairness")
    assert attached["document"]["sha256"] == hashlib.sha256(b"gap 0.01\n").hexdigest()
    reviews = carol.json("review", "show", version)
    assert [(r["stars"], r["note"]) for r in reviews["rating"]] == [(5, "")]
    assert [(d["name"], d["sha256"]) for d in reviews["document"]] == [
        ("Fairness", attached["document"]["sha256"])
    ]
    bob("review", "start", version)
    bob("verify", version, "--from-store")
    bob("review", "pass", version)
    bob("deploy", version, "--endpoint", "https://models.example/credit")
    carol("version", "move", version, "qa")
    bob("version", "move", version, "production")
    done = bob.json(
        "monitor", "report", version, "--status", "data_drift", "--metric", "auc=0.81",
        "--note", "new applicant mix",
    )  # fmt: skip
    assert done["result"]["status"] == "data_drift"
    [monitoring] = carol.json("review", "show", version)["monitoring"]
    assert (monitoring["status"], monitoring["metrics"]) == ("data_drift", {"auc": 0.81})
    # Only MLOps engineers report on monitoring: alice is refused by the contract (exit 3).
    refused = alice("monitor", "report", version, "--status", "active", expect=3)
    assert refused.startswith("error:") and "refused tx" in refused
    # 'other' needs its description: the contract's refusal of the input is exit 2.
    unexplained = bob("monitor", "report", version, "--status", "other", expect=2)
    assert unexplained.startswith("error:")


def test_several_cli_keys_beside_the_web_key_each_revoked_on_its_own(
    terminal: Any, server: httpx.Client, cast: Cast, tmp_path: Path
) -> None:
    """After ``tether key register`` the person's web writes still succeed; a second machine
    registers its own key; revoking one key leaves the others signing."""
    laptop = terminal("alice")
    laptop_key = laptop.onboard()
    with httpx.Client(base_url=server.base_url, timeout=30) as web:
        signed_in = web.post(
            "/api/v1/auth/login",
            json={"username": "alice", "password": "alice-password-for-tests"},
        )
        wrote = web.post(
            "/api/v1/projects",
            json={"name": "From the web after tether key register"},
            headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        )
        assert wrote.status_code == 201, wrote.text
    desktop = terminal("alice")
    desktop.config = tmp_path / "people" / "alice-desktop"
    desktop_key = desktop.onboard()
    keys = {k["cert_sha256"]: k for k in desktop.json("key", "list")}
    assert {k["kind"] for k in keys.values()} == {"web", "cli"}
    assert keys[laptop_key["cert_sha256"]]["revoked"] is None
    listed = desktop("key", "list")
    assert "* " + desktop_key["cert_sha256"][:16] in listed  # this machine's key is marked
    web_cert = next(sha for sha, k in keys.items() if k["kind"] == "web")
    refused = desktop("key", "revoke", web_cert, expect=2)
    assert "web key" in refused
    desktop("key", "revoke", laptop_key["cert_sha256"], "--reason", "laptop lost")
    denied = laptop("project", "create", "From the lost laptop", expect=3)
    assert "revoked" in denied and "laptop lost" in denied
    made = desktop.json("project", "create", "From the desktop")
    assert made["project"] == "Org1/from-the-desktop"
    keys = {k["cert_sha256"]: k for k in desktop.json("key", "list")}
    assert keys[laptop_key["cert_sha256"]]["revoked"]["reason"] == "laptop lost"
    assert keys[desktop_key["cert_sha256"]]["revoked"] is None
