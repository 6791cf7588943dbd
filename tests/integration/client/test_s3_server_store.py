"""A server whose own object store is an S3 bucket: uploads get ``s3://`` content addresses,
and a reviewer without S3 credentials still verifies them from the store — through the API,
which serves an object by its digest — while an ``s3://`` artifact registered in place needs
the reviewer's own credentials (exit 2 without them, nothing recorded)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.common.lifecycle import Cast
from tests.common.network import PASSPHRASE
from tests.common.s3_server import S3Server
from tetherai.api.app import create_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.settings import Settings

pytestmark = pytest.mark.integration

SERVER_BUCKET = "server-store"
FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def app(cast: Cast, tmp_path: Path, s3: S3Server) -> FastAPI:
    """The server of conftest.py, storing objects in SERVER_BUCKET under objects/."""
    s3.create_bucket(SERVER_BUCKET, exist_ok=True)
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 's.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
        objects_url=f"s3://{SERVER_BUCKET}/objects/",
        s3_endpoint_url=s3.endpoint_url,
        s3_access_key_id=s3.access_key_id,
        s3_secret_access_key=s3.secret_access_key,
    )
    return create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)


def test_uploads_to_an_s3_store_verify_without_credentials_in_place_objects_need_them(
    terminal: Any, cast: Cast, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TETHER_S3_ACCESS_KEY_ID", "TETHER_S3_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    alice, bob = terminal("alice"), terminal("bob")
    alice.onboard()
    bob.onboard()
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights of a model stored in S3 by the server")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    made = alice.json("version", "create", f"{cast.project}/v1", "--code-repo", "r",
                      "--commit", "c", "--model", str(model), "--submit")  # fmt: skip
    [entry] = made["artifacts"]
    assert entry["uri"] == f"s3://{SERVER_BUCKET}/objects/sha256/{digest[:2]}/{digest[2:]}"
    bob("review", "start", f"{cast.project}/v1")
    passed = bob.json("verify", f"{cast.project}/v1", "--from-store")  # no S3 credentials
    assert passed["ok"] and passed["report"]["artifacts"][0]["recomputed_sha256"] == digest
    # An object of the server's bucket registered in place, not at its content address:
    raw: Any = s3.client()
    raw.put_object(Bucket=SERVER_BUCKET, Key="shared/test.csv", Body=b"x,y\n")
    monkeypatch.setenv("TETHER_S3_ENDPOINT", s3.endpoint_url)
    monkeypatch.setenv("TETHER_S3_ACCESS_KEY_ID", s3.access_key_id)
    monkeypatch.setenv("TETHER_S3_SECRET_ACCESS_KEY", s3.secret_access_key)
    alice("version", "create", f"{cast.project}/v2", "--code-repo", "r", "--commit", "c",
          "--model", f"s3://{SERVER_BUCKET}/shared/test.csv", "--submit")  # fmt: skip
    bob("review", "start", f"{cast.project}/v2")
    monkeypatch.delenv("TETHER_S3_SECRET_ACCESS_KEY")
    half = bob("verify", f"{cast.project}/v2", "--from-store", expect=2)
    assert half.startswith("error: TETHER_S3_SECRET_ACCESS_KEY is not set, but the other half")
    monkeypatch.delenv("TETHER_S3_ACCESS_KEY_ID")
    text = bob("verify", f"{cast.project}/v2", "--from-store", expect=2)
    assert text.startswith("error: artifact 'test.csv' is in S3") and "no S3 credentials" in text
    assert cast.status("v2") == "reviewing"  # nothing was recorded
