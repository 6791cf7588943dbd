"""The SDK against a real server: local signing, runs, uploads, verification, errors, config."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.common.lifecycle import Cast
from tetherai.client import Client, ClientConfig, ConfigError, ServerError, load_config, save_config
from tetherai.client.verify import verify_from_store, verify_local, verify_rerun
from tetherai.contracts.errors import InvalidArgument
from tetherai.crypto.signature import verify
from tetherai.ledger.transaction import Envelope

Person = Callable[[str], Client]


def _files(folder: Path, **contents: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in contents.items():
        paths[name] = folder / f"{name}.txt"
        paths[name].write_text(text)
    return paths


def _register(alice: Client, cast: Cast, folder: Path, version: str = "v9", **extra: Any) -> dict:
    files = _files(folder, train="1,2\n3,4\n", model="weights 0.5\n")
    with alice.run(
        cast.project, version, code_repo="https://git.example/x", commit="abc", **extra
    ) as run:
        run.log_param("C", 0.5)
        run.log_metric("loss", 0.9, step=1)
        run.log_metric("loss", 0.4, step=2)
        run.log_metric("test_accuracy", 0.97)
        run.add_artifact("train_dataset", files["train"])
        run.add_artifact("model", files["model"])
    assert run.result is not None
    return run.result


def test_a_run_registers_a_version_signed_locally_with_the_registered_key(
    person: Person, cast: Cast, tmp_path: Path
) -> None:
    alice = person("alice")
    result = _register(alice, cast, tmp_path / "out", submit=True)
    assert result["valid"] and result["result"]["status"] == "submitted"
    found = alice.version(cast.project, "v9")
    body = found["version"]
    assert [a["name"] for a in body["artifacts"]] == ["train.txt", "model.txt"]
    assert body["artifacts"][0]["sha256"] == __import__("hashlib").sha256(b"1,2\n3,4\n").hexdigest()
    experiment = body["experiments"][0]
    assert experiment["hyperparameters"] == {"C": 0.5}
    assert experiment["metrics"] == {"loss": 0.4, "test_accuracy": 0.97}
    assert experiment["series"] == {"loss": [0.9, 0.4]}
    # The tx on the ledger names the CLI key's certificate, and its signature verifies with the
    # public key registered for it (the server never saw the private key).
    tx = alice.http.get(f"/ledger/txs/{result['tx_id']}")
    creator = tx["tx"]["creator"] if "tx" in tx else tx["creator"]
    assert creator["cert_sha256"] == alice.cert_sha256


def test_an_envelope_signed_here_verifies_with_the_registered_public_key(
    person: Person, cast: Cast
) -> None:
    alice = person("alice")
    envelope = alice.sign(
        "review", "comment", {"project": cast.project, "version": "v1", "text": "hi"}
    )
    # The registered key's public part is on the server only as a certificate; check the
    # signature against the public key of the key file this client loaded.
    public = alice._signing_key().public_key()
    verify(public, envelope.sig, envelope.tx_bytes)
    parsed = Envelope.from_json(json.loads(json.dumps(envelope.to_json())))
    assert parsed.tx_id == envelope.tx_id
    assert base64.b64decode(envelope.to_json()["sig"]) == envelope.sig  # type: ignore[arg-type]
    # …and the server holds that same public key, certified (GET /me/keys lists its digest).
    listed = alice.http.pages("/me/keys")
    assert [k["cert_sha256"] for k in listed if k["kind"] == "cli"] == [alice.cert_sha256]


def test_a_run_that_raises_registers_nothing(person: Person, cast: Cast, tmp_path: Path) -> None:
    alice = person("alice")
    files = _files(tmp_path, model="m")

    def train() -> None:
        with alice.run(cast.project, "v-crash", code_repo="r", commit="c") as run:
            run.add_artifact("model", files["model"])
            raise RuntimeError("training diverged")

    with pytest.raises(RuntimeError):
        train()
    with pytest.raises(ServerError) as refused:
        alice.version(cast.project, "v-crash")
    assert refused.value.status == 404


def test_an_abbreviated_commit_is_refused_before_training_starts(
    person: Person, cast: Cast
) -> None:
    alice = person("alice")
    with pytest.raises(InvalidArgument, match="abbreviated git commit id") as refused:
        alice.run(cast.project, "v-short", code_repo="r", commit="4f2a9c1")
    assert "git rev-parse HEAD" in refused.value.hint
    with pytest.raises(InvalidArgument):
        alice.create_version(cast.project, "v-short", code_repo="r", commit="4f2a9c1e8b7")
    full = alice.create_version(cast.project, "v-full", code_repo="r", commit="4F2A9C1E" * 5)
    assert full["valid"]


def test_a_contract_refusal_is_a_server_error_and_nothing_is_signed(
    person: Person, cast: Cast
) -> None:
    carol = person("carol")  # a stakeholder may not register versions
    height = cast.net.node.peer.head.height
    with pytest.raises(ServerError) as refused:
        carol.create_version(cast.project, "v-nope", code_repo="r", commit="c")
    assert refused.value.status == 403 and refused.value.code == "contract.not_permitted"
    assert "tx_id" not in refused.value.details  # checked before signing: no tx exists
    assert not refused.value.is_input_error
    assert cast.net.node.peer.head.height == height


def test_verification_from_store_local_and_rerun(
    person: Person, cast: Cast, tmp_path: Path
) -> None:
    alice, bob = person("alice"), person("bob")
    _register(alice, cast, tmp_path / "out", submit=True)
    manifest = bob.manifest(cast.project, "v9")
    assert verify_from_store(bob.http, manifest).ok
    assert verify_local(manifest, tmp_path / "out").ok
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "train.txt").write_text("1,2\n3,5\n")
    (tmp_path / "copy" / "model.txt").write_text("weights 0.5\n")
    local = verify_local(manifest, tmp_path / "copy")
    assert [c.name for c in local.mismatches] == ["train.txt"]
    script = tmp_path / "make.py"
    script.write_text(
        "import os, pathlib\n"
        "out = pathlib.Path(os.environ['TETHER_OUT'])\n"
        "(out / 'model.txt').write_text('weights 0.5\\n')\n"
    )
    import sys

    rerun = verify_rerun(manifest, f'"{sys.executable}" "{script}" --out {{out}}')
    assert rerun.report.ok and [c.name for c in rerun.report.artifacts] == ["model.txt"]
    bob.transition(cast.project, "v9", "reviewing")
    recorded = bob.record_verification(
        cast.project,
        "v9",
        verify_from_store(bob.http, manifest),
        method="rerun",
        reproduction=rerun.report,
    )
    assert recorded["result"]["ok"] is True


def test_a_tampered_object_in_the_store_is_a_recorded_mismatch(
    person: Person, cast: Cast, tmp_path: Path, app: object
) -> None:
    alice, bob = person("alice"), person("bob")
    _register(alice, cast, tmp_path / "out", submit=True)
    manifest = bob.manifest(cast.project, "v9")
    model = next(a for a in manifest if a["name"] == "model.txt")
    located = app.state.runtime.artifacts.store.path_of(model["sha256"])  # type: ignore[attr-defined]
    os.chmod(located, 0o644)
    located.write_bytes(b"weights 0.6\n")
    report = verify_from_store(bob.http, manifest)
    assert [c.name for c in report.mismatches] == ["model.txt"]
    assert report.mismatches[0].recomputed_sha256 is None
    bob.transition(cast.project, "v9", "reviewing")
    recorded = bob.record_verification(cast.project, "v9", report, method="store")
    assert recorded["result"]["ok"] is False
    assert bob.version(cast.project, "v9")["status"]["status"] == "review_failed"


def test_the_config_is_0600_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    path = save_config(tmp_path / "c", ClientConfig(server="http://x", token="tth_secret"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_config(tmp_path / "c").token == "tth_secret"
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="group or others"):
        load_config(tmp_path / "c")


def test_writes_without_a_registered_key_fail_before_the_network(tmp_path: Path) -> None:
    client = Client("http://127.0.0.1:9", "tth_x", org="Org1", username="alice")
    with pytest.raises(ConfigError, match="no registered key"):
        client.create_project("P")
    with pytest.raises(ServerError) as unreachable:
        client.projects()
    assert unreachable.value.status == 0
    assert isinstance(unreachable.value.__cause__, httpx.HTTPError)


def test_import_tetherai_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, tetherai; print('httpx' in sys.modules, 'tetherai.client' in sys.modules); tetherai.Client; print('tetherai.client' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False", "True"]


def test_a_directory_artifact_is_uploaded_with_its_tree_and_verified(
    person: Person, cast: Cast, tmp_path: Path
) -> None:
    alice, bob = person("alice"), person("bob")
    model = tmp_path / "out" / "model"
    (model / "weights").mkdir(parents=True)
    (model / "config.json").write_text('{"layers": 2}\n')
    (model / "weights" / "w.bin").write_bytes(b"\x01\x02" * 1000)
    with alice.run(cast.project, "v-dir", code_repo="r", commit="c", submit=True) as run:
        run.add_artifact("model", model)
    (entry,) = alice.manifest(cast.project, "v-dir")
    assert [f["path"] for f in entry["files"]] == ["config.json", "weights/w.bin"]
    assert entry["size"] == 2000 + len('{"layers": 2}\n')
    manifest = bob.manifest(cast.project, "v-dir")
    # The folder's files are objects the server serves through the version that lists them.
    assert not verify_from_store(bob.http, manifest).ok
    assert verify_from_store(bob.http, manifest, version=f"{cast.project}/v-dir").ok
    assert verify_local(manifest, tmp_path / "out").ok
    (model / "weights" / "w.bin").write_bytes(b"\x01\x03" * 1000)
    (check,) = verify_local(manifest, tmp_path / "out").artifacts
    assert not check.equal and check.differing == ("weights/w.bin",)


def test_reviews_follow_the_pages_of_comments(person: Person, cast: Cast) -> None:
    version = cast.new_version()
    for number in range(5):
        cast.ok(
            "stake1", "review", "comment", project=cast.project, version=version, text=f"c{number}"
        )
    found = person("alice").reviews(cast.project, version, page=2)
    assert [c["text"] for c in found["comment"]] == ["c4", "c3", "c2", "c1", "c0"]
    assert found["next"] is None and found["counts"]["comment"] == 5
