"""Artifacts registered by URI: S3 objects and prefixes in a real SeaweedFS that checks
signatures, and objects of the server's own store — hashed by streaming, never uploaded; bad
URIs are one error line and register nothing; ``verify --from-store`` reads S3 directly."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.common.s3_server import S3Server
from tetherai.client import Client, ClientError
from tetherai.storage.errors import ObjectNotFound

pytestmark = pytest.mark.integration

BUCKET = "team-data"
MODEL = b"\x00weights" * 5000
TRAIN = {"part-0.csv": b"x,y\n1,2\n", "sub/part-1.csv": b"x,y\n3,4\n"}


@pytest.fixture(scope="module", autouse=True)
def team_bucket(s3: S3Server) -> str:
    """The team's bucket: a model object and a training-data prefix, registered in place."""
    s3.create_bucket(BUCKET)
    raw: Any = s3.client()
    raw.put_object(Bucket=BUCKET, Key="models/v1/model.bin", Body=MODEL)
    for path, data in TRAIN.items():
        raw.put_object(Bucket=BUCKET, Key=f"data/train/{path}", Body=data)
    return BUCKET


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _in_server_store(client: Client, digest: str) -> bool:
    """Whether the server's own object store holds an object (asked through the API)."""
    answer = client.http._http.get(f"/api/v1/objects/{digest}")
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def test_s3_and_server_objects_are_registered_in_place_and_verified_from_s3(
    terminal: Any,
    person: Any,
    cast: Cast,
    s3_env: S3Server,
    server: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice, bob = terminal("alice"), terminal("bob")
    alice.onboard()
    bob.onboard()
    # An earlier upload of alice's (through the SDK) to the server's own store, named by its
    # URI: she had those bytes, so she may register them in place (possession, not knowledge).
    sdk = person("alice")
    log = b"epoch 1 loss 0.3\n"
    uploaded = sdk.http.upload(io.BytesIO(log), len(log), lambda _: None)
    assert uploaded["uri"] == f"tether-obj:sha256/{sha(log)}"
    made = alice.json(
        "version",
        "create",
        f"{cast.project}/v-s3",
        "--code-repo",
        "https://git.example/c",
        "--commit",
        "c0ffee",
        "--model",
        f"s3://{BUCKET}/models/v1/model.bin",
        "--train-data",
        f"s3://{BUCKET}/data/train/",
        "--log",
        uploaded["uri"],
        "--submit",
    )
    train, model, log_entry = made["artifacts"]  # the CLI orders them train, test, model, log
    assert (model["uri"], model["sha256"], model["size"], model["name"]) == (
        f"s3://{BUCKET}/models/v1/model.bin",
        sha(MODEL),
        len(MODEL),
        "model.bin",
    )
    assert train["uri"] == f"s3://{BUCKET}/data/train/" and train["name"] == "train"
    assert {(f["path"], f["sha256"]) for f in train["files"]} == {
        (path, sha(data)) for path, data in TRAIN.items()
    }
    assert (log_entry["uri"], log_entry["sha256"]) == (uploaded["uri"], sha(log))
    # Registered in place: the server's store never received the S3 object.
    assert not _in_server_store(sdk, sha(MODEL))
    # A document (for a factsheet or a review) named by URI is hashed in place too.
    card = sdk.document(f"s3://{BUCKET}/models/v1/model.bin", "model card")
    assert card == {"name": "model card", "sha256": sha(MODEL), "uri": model["uri"]}
    with pytest.raises(ClientError, match="a document is one object"):
        sdk.document(f"s3://{BUCKET}/data/train/")
    shown = bob.json("version", "show", f"{cast.project}/v-s3")
    assert [a["uri"] for a in shown["version"]["artifacts"]] == [
        train["uri"],
        model["uri"],
        uploaded["uri"],
    ]
    bob("review", "start", f"{cast.project}/v-s3")
    # Without S3 credentials bob cannot read the S3 artifacts: exit 2, nothing recorded.
    monkeypatch.delenv("TETHER_S3_ACCESS_KEY_ID")
    monkeypatch.delenv("TETHER_S3_SECRET_ACCESS_KEY")
    text = bob("verify", f"{cast.project}/v-s3", "--from-store", expect=2)
    assert text.startswith("error: artifact 'train' is in S3") and "TETHER_S3_" in text
    assert cast.status("v-s3") == "reviewing"
    monkeypatch.setenv("TETHER_S3_ACCESS_KEY_ID", s3_env.access_key_id)
    monkeypatch.setenv("TETHER_S3_SECRET_ACCESS_KEY", s3_env.secret_access_key)
    passed = bob.json("verify", f"{cast.project}/v-s3", "--from-store")
    assert passed["ok"] and [a["equal"] for a in passed["report"]["artifacts"]] == [True] * 3
    assert passed["tx"]["valid"]
    # One byte of one training file changed in the bucket: bob's re-hash (S3, read directly)
    # finds it, the mismatch is recorded and fails the review.
    raw: Any = s3_env.client()
    raw.put_object(Bucket=BUCKET, Key="data/train/sub/part-1.csv", Body=b"x,y\n3,5\n")
    failed = bob.json("verify", f"{cast.project}/v-s3", "--from-store", expect=1)
    checks = {a["name"]: a for a in failed["report"]["artifacts"]}
    assert checks["train"]["differing"] == ["sub/part-1.csv"] and checks["model.bin"]["equal"]
    assert failed["tx"]["result"]["transition"]["to"] == "review_failed"
    raw.put_object(Bucket=BUCKET, Key="data/train/sub/part-1.csv", Body=TRAIN["sub/part-1.csv"])


BAD = [
    # (the source, its expected exit code, the start of the error line)
    (
        f"s3://{BUCKET}/models/v1/missing.bin",
        2,
        f"error: s3://{BUCKET}/models/v1/missing.bin does not exist",
    ),
    ("s3://no-such-bucket/model.bin", 2, "error: bucket 'no-such-bucket' does not exist"),
    (f"s3://{BUCKET}/empty/", 2, f"error: no objects under s3://{BUCKET}/empty/"),
    ("tether-obj:sha256/" + "0" * 64, 2, "error: the object store has no tether-obj:sha256/"),
    ("tether-obj:sha256/abc", 2, "error: 'tether-obj:sha256/abc' is not a local object URI"),
    ("gs://bucket/model.bin", 2, "error: cannot read 'gs://bucket/model.bin': scheme 'gs'"),
]


def test_bad_uris_are_one_error_line_and_register_and_upload_nothing(
    terminal: Any,
    person: Any,
    cast: Cast,
    s3_env: S3Server,
    server: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = terminal("alice")
    alice.onboard()
    local = tmp_path / "test.csv"
    local.write_bytes(b"a local file that must not be uploaded\n")
    base = ["version", "create", f"{cast.project}/v-bad", "--code-repo", "r", "--commit", "c"]
    for source, code, start in BAD:
        text = alice(*base, "--test-data", str(local), "--model", source, expect=code)
        lines = text.strip().splitlines()
        assert lines[0].startswith(start), (source, text)
        assert len(lines) <= 2 and "Traceback" not in text  # an error line and maybe a hint
    monkeypatch.setenv("TETHER_S3_SECRET_ACCESS_KEY", "not-the-secret")
    text = alice(*base, "--model", f"s3://{BUCKET}/models/v1/model.bin", expect=3)
    assert text.startswith(f"error: the object store at {s3_env.endpoint_url} refused access")
    monkeypatch.setenv("TETHER_S3_SECRET_ACCESS_KEY", s3_env.secret_access_key)
    # Nothing was registered, and the local file given beside the bad URIs was never uploaded.
    sdk: Client = person("carol")
    assert "v-bad" not in {v["version"]["version"] for v in sdk.versions(cast.project)}
    assert not _in_server_store(sdk, sha(local.read_bytes()))
    # The SDK's run: the same URI failure raises before anything is registered.
    with (
        pytest.raises(ObjectNotFound),
        sdk.run(cast.project, "v-sdk", code_repo="r", commit="c") as run,
    ):
        run.add_artifact("model", f"s3://{BUCKET}/models/v1/missing.bin")
    assert run.result is None
