"""Artifacts over HTTP: upload hashed while streaming, verified download, re-hash and record."""

from __future__ import annotations

import hashlib

import httpx
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast

PASSWORD = "bobs long passphrase"


def test_upload_then_download_checked(client: httpx.Client) -> None:
    data = b"model weights " * 100_000
    uploaded = client.post(
        "/api/v1/objects", content=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    assert body["uri"] == f"tether-obj:sha256/{body['sha256']}"
    downloaded = client.get(f"/api/v1/objects/{body['sha256']}")
    assert downloaded.status_code == 200 and downloaded.content == data
    assert downloaded.headers["x-content-sha256"] == body["sha256"]
    missing = client.get(f"/api/v1/objects/{'0' * 64}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "storage.not_found"
    assert "/tmp" not in missing.text  # no server path in an error
    bad = client.get("/api/v1/objects/not-a-digest")
    assert bad.status_code == 422


def test_a_tampered_object_is_not_served_whole(app: FastAPI, client: httpx.Client) -> None:
    data = b"x" * 3_000_000
    sha = client.post("/api/v1/objects", content=data).json()["sha256"]
    path = app.state.runtime.artifacts.store.path_of(sha)
    path.chmod(0o640)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    try:
        response = client.get(f"/api/v1/objects/{sha}")
        delivered = response.content
    except httpx.HTTPError:
        delivered = b""
    assert delivered != bytes(
        raw
    )  # the connection is cut before the whole tampered file is delivered


def test_mlops_rehashes_a_version_from_the_store_and_records_it(
    app: FastAPI, client: httpx.Client, cast: Cast, browser: httpx.Client
) -> None:
    from tetherai.identity.roles import Role

    files = {"model": b"the model", "train": b"train rows", "test": b"test rows", "log": b"epoch 1"}
    # alice uploads the files she registers: the version's readers get them through her.
    web_account(app, cast.net.home, "alice", Role.AI_ENGINEER, PASSWORD)
    alice = browser.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    headers = {"X-CSRF-Token": alice.json()["csrf_token"]}
    stored = {
        name: browser.post("/api/v1/objects", content=data, headers=headers).json()
        for name, data in files.items()
    }
    kinds = {"model": "model", "train": "train_dataset", "test": "test_dataset", "log": "log"}
    manifest = [
        {"kind": kinds[n], "name": n, "uri": s["uri"], "size": s["size"], "sha256": s["sha256"]}
        for n, s in stored.items()
    ]
    cast.new_version("v9", artifacts=manifest)
    cast.walk("v9", "reviewing")
    rt = app.state.runtime
    web_account(app, cast.net.home, "bob", Role.MLOPS_ENGINEER, PASSWORD)
    csrf = browser.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}
    ).json()["csrf_token"]
    url = f"/api/v1/projects/{cast.project}/versions/v9/rehash"
    checked = browser.post(url, headers={"X-CSRF-Token": csrf})
    assert checked.status_code == 200, checked.text
    assert all(a["equal"] for a in checked.json()["report"]["artifacts"])
    assert "verification" not in checked.json()  # only asked, not recorded
    got = cast.query("model_version", "get", project=cast.project, version="v9")
    assert got["verification"] is None
    # Tamper with the model in the store: recording the verification fails the review by itself.
    path = rt.artifacts.store.path_of(stored["model"]["sha256"])
    path.chmod(0o640)
    path.write_bytes(b"a different model")
    recorded = browser.post(url, params={"record": "true"}, headers={"X-CSRF-Token": csrf})
    assert recorded.status_code == 200, recorded.text
    result = recorded.json()["verification"]["result"]
    assert result["ok"] is False and [m["name"] for m in result["mismatches"]] == ["model"]
    assert cast.status("v9") == "review_failed"


def test_recorded_rehashes_wait_for_their_block_on_one_worker_thread(
    cast: Cast, sqlite_url: str
) -> None:
    """Two MLOps engineers re-hash and record at once on a server with a single worker thread:
    the hashing takes the thread in turn, the waits for the (held) block take none, so both
    reach the orderer; then both verifications are recorded in order."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.common.network import PASSPHRASE
    from tests.common.orderers import gate
    from tests.common.server import serve
    from tests.common.waiting import PATIENCE, wait_until
    from tests.unit.api.conftest import FAST_ARGON2
    from tetherai.api.app import create_app
    from tetherai.identity.roles import Role
    from tetherai.services.settings import Settings

    settings = Settings(
        home=cast.net.home.root,
        database_url=sqlite_url,
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    app = create_app(settings, node=cast.net.node, argon2=FAST_ARGON2)
    with serve(app, worker_threads=1) as http:
        web_account(app, cast.net.home, "alice", Role.AI_ENGINEER, PASSWORD)
        alice = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        stored = http.post(
            "/api/v1/objects",
            content=b"the model",
            headers={"X-CSRF-Token": alice.json()["csrf_token"]},
        ).json()
        entry = {"kind": "model", "name": "model", "uri": stored["uri"]}
        entry |= {"size": stored["size"], "sha256": stored["sha256"]}
        for version in ("v8", "v9"):
            cast.new_version(version, artifacts=[entry])
            cast.walk(version, "reviewing")
        sessions = []
        for name in ("bob", "bella"):  # the project's two MLOps engineers
            web_account(app, cast.net.home, name, Role.MLOPS_ENGINEER, PASSWORD)
            with httpx.Client(base_url=http.base_url) as login:
                signed_in = login.post(
                    "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
                )
                cookies = "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items())
                sessions.append({"Cookie": cookies, "X-CSRF-Token": signed_in.json()["csrf_token"]})
        orderer = gate(cast.net)

        def record(version: str, headers: dict[str, str]) -> httpx.Response:
            with httpx.Client(base_url=http.base_url, timeout=PATIENCE, headers=headers) as client:
                url = f"/api/v1/projects/{cast.project}/versions/{version}/rehash"
                return client.post(url, params={"record": "true"})

        with ThreadPoolExecutor(2) as pool:
            answers = [
                pool.submit(record, v, h) for v, h in zip(("v8", "v9"), sessions, strict=True)
            ]
            wait_until(
                lambda: orderer.in_flight == 2,
                message=lambda: f"{orderer.in_flight} of 2 verifications reached the orderer",
            )
            assert not any(answer.done() for answer in answers)
            orderer.gate.set()
            responses = [answer.result(timeout=PATIENCE) for answer in answers]
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert all(r.json()["verification"]["result"]["ok"] for r in responses)
    for version in ("v8", "v9"):
        got = cast.query("model_version", "get", project=cast.project, version=version)
        assert got["verification"] is not None
