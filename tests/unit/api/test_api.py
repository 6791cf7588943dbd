"""The REST API on a real ledger: reads, pre-signed envelopes, errors, ETags, OpenAPI."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI

from tests.common.lifecycle import ARTIFACT_DIGESTS, Cast
from tests.common.waiting import PATIENCE


def test_ledger_summary_blocks_and_a_block(client: httpx.Client, cast: Cast) -> None:
    summary = client.get("/api/v1/ledger").json()
    assert summary["channel"] == "main" and summary["blocks"] == cast.net.node.peer.head.height
    page = client.get("/api/v1/ledger/blocks", params={"limit": 3}).json()
    assert [b["number"] for b in page["items"]] == [summary["blocks"] - 1 - i for i in range(3)]
    older = client.get("/api/v1/ledger/blocks", params={"limit": 3, "before": page["next"]}).json()
    assert older["items"][0]["number"] == int(page["next"]) - 1
    block = client.get("/api/v1/ledger/blocks/0").json()
    assert block["header"]["number"] == 0 and block["txs"][0]["valid"] is True
    missing = client.get("/api/v1/ledger/blocks/99999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ledger.not_found"


def test_reads_carry_etags_and_answer_304(client: httpx.Client) -> None:
    first = client.get("/api/v1/ledger")
    again = client.get("/api/v1/ledger", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_remembered_summary_follows_every_new_block(client: httpx.Client, cast: Cast) -> None:
    before = client.get("/api/v1/ledger")
    assert client.get("/api/v1/ledger").json() == before.json()  # answered from memory
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Summary"})
    assert client.post("/api/v1/envelopes", json=envelope.to_json()).status_code == 200
    after = client.get("/api/v1/ledger", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    summary = after.json()
    assert summary["blocks"] == cast.net.node.peer.head.height > before.json()["blocks"]
    assert summary["latest_checkpoint"]["block"] == summary["blocks"] - 1


def test_pre_signed_envelope_is_committed_and_its_proof_verifies(
    client: httpx.Client, cast: Cast
) -> None:
    from hashlib import sha256

    from tests.common.independent_proofs import verify_inclusion

    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Churn"})
    response = client.post("/api/v1/envelopes", json=envelope.to_json())
    assert response.status_code == 200, response.text
    assert response.json()["result"] == {"project": "Org1/churn"}
    tx = client.get(f"/api/v1/ledger/txs/{envelope.tx_id}").json()
    assert tx["valid"] and tx["tx"]["fn"] == "create"
    proof = client.get(f"/api/v1/ledger/txs/{envelope.tx_id}/proof").json()
    note = proof["checkpoint"].split("\n")
    size, root = int(note[1]), base64.b64decode(note[2])
    leaf = sha256(b"\x00" + proof["leaf"].encode()).digest()
    assert verify_inclusion(
        leaf, proof["index"], size, [bytes.fromhex(h) for h in proof["proof"]], root
    )
    keys = client.get("/api/v1/ledger/keys").json()
    assert keys["orderers"][0].startswith("orderer.Org1+")


def test_refused_tx_is_recorded_and_explained(client: httpx.Client, cast: Cast) -> None:
    envelope = cast.net.sign(
        cast["stake1"],
        "model_version",
        "create",
        {"project": cast.project, "version": "x", "code_repo": "r", "commit": "c"},
    )
    response = client.post("/api/v1/envelopes", json=envelope.to_json())
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "contract.not_permitted"
    assert error["message"] == (
        f"only an AI engineer of project {cast.project} can register model versions; "
        "you are a stakeholder"
    )
    assert error["details"] == {"tx_id": envelope.tx_id, "recorded": True}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"tx": {}, "sig": "AA=="}, 422, "tx.malformed"),
        ({"tx": {}}, 422, "request.invalid"),
        ({"tx": {}, "sig": "AA==", "extra": 1}, 422, "request.invalid"),
    ],
)
def test_malformed_envelopes_get_the_error_shape(
    client: httpx.Client, body: dict[str, object], status: int, code: str
) -> None:
    response = client.post("/api/v1/envelopes", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and "details" in error


def test_replayed_and_forged_envelopes_are_refused(client: httpx.Client, cast: Cast) -> None:
    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Once"})
    assert client.post("/api/v1/envelopes", json=envelope.to_json()).status_code == 200
    again = client.post("/api/v1/envelopes", json=envelope.to_json())
    assert again.status_code == 409 and again.json()["error"]["code"] == "tx.replayed"
    forged = envelope.to_json() | {"sig": base64.b64encode(b"\x01" * 64).decode()}
    forged["tx"] = dict(forged["tx"]) | {"nonce": "cd" * 16}  # type: ignore[arg-type]
    refused = client.post("/api/v1/envelopes", json=forged)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "tx.bad_signature"


def test_project_and_version_reads(client: httpx.Client, cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    org, slug = cast.project.split("/")
    assert client.get("/api/v1/projects").json()["items"][0]["ref"] == cast.project
    got = client.get(f"/api/v1/projects/{org}/{slug}/versions/v1").json()
    assert got["status"]["status"] == "reviewing"
    assert (
        client.get(f"/api/v1/projects/{org}/{slug}/versions").json()["items"][0]["version"][
            "version"
        ]
        == "v1"
    )
    history = client.get(f"/api/v1/projects/{org}/{slug}/versions/v1/history").json()["items"]
    assert [h["status_after"] for h in history] == ["draft", "submitted", "reviewing"]
    actions = client.get(
        f"/api/v1/projects/{org}/{slug}/versions/v1/actions",
        params={"org": "Org1", "participant": "bob"},
    ).json()
    assert {a["action"] for a in actions if a["allowed"]} >= {"verify", "fail_review"}
    uses = client.get(f"/api/v1/artifacts/{ARTIFACT_DIGESTS['model']}/uses").json()
    assert uses["first_registered"]["version"] == f"{cast.project}/v1"  # indexed when submitted
    missing = client.get(f"/api/v1/projects/{org}/nope")
    assert (
        missing.status_code == 404
        and missing.json()["error"]["message"] == "there is no project Org1/nope"
    )


def test_openapi_describes_routes_and_errors(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/envelopes" in paths and "/api/v1/ledger/txs/{tx_id}/proof" in paths
    responses = paths["/api/v1/envelopes"]["post"]["responses"]
    assert {"403", "409", "422", "503"} <= set(responses)
    assert "ErrorBody" in spec["components"]["schemas"]


def test_unknown_route_has_the_error_shape(client: httpx.Client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "request.not_found"


def test_projections_follow_the_ledger_while_serving(
    app: FastAPI, client: httpx.Client, cast: Cast
) -> None:
    import time

    from sqlalchemy import select

    from tetherai.services.db import (
        ProjectProjection,
        make_engine,
        make_session_factory,
        transaction,
    )

    envelope = cast.net.sign(cast["author"], "project", "create", {"name": "Followed"})
    assert client.post("/api/v1/envelopes", json=envelope.to_json()).status_code == 200
    engine = make_engine(app.state.runtime.settings.database_url)
    try:
        deadline = time.monotonic() + PATIENCE
        refs: list[str] = []
        while time.monotonic() < deadline and "Org1/followed" not in refs:
            with transaction(make_session_factory(engine, for_writes=False)) as session:
                refs = list(session.scalars(select(ProjectProjection.ref)))
            time.sleep(0.05)
        assert "Org1/followed" in refs
    finally:
        engine.dispose()


def test_key_history_and_verification_routes(client: httpx.Client, cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    history = client.get(
        "/api/v1/ledger/state/history", params={"key": f"workflow/{cast.project}/v1"}
    ).json()
    assert [h["value"]["status"] for h in history["history"]] == ["draft", "submitted", "reviewing"]
    assert (
        client.get("/api/v1/ledger/state/history", params={"key": "secret/thing"}).status_code
        == 404
    )
    assert client.get("/api/v1/ledger/verify").json() is None
    report = client.post("/api/v1/ledger/verify").json()
    assert report["ok"] is True and report["txs"] == cast.net.node.peer.store.tx_count
    assert client.get("/api/v1/ledger/verify").json()["root"] == report["root"]
