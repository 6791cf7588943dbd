"""A project's records are visible only to its members and their org admins."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tetherai.identity.roles import Role

PASSWORD = "outsider passphrase"


def test_outsiders_see_nothing_of_a_project(
    app: FastAPI, client: httpx.Client, cast: Cast, browser: httpx.Client
) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "submitted")
    tx_id = cast.net.node.peer.store.tx_at(cast.net.node.peer.store.tx_count - 1).tx_id
    model = next(
        a
        for a in cast.query("model_version", "get", project=cast.project, version=v1)["version"][
            "artifacts"
        ]
        if a["name"] == "model"
    )
    web_account(app, cast.net.home, "oscar", Role.MLOPS_ENGINEER, PASSWORD)
    assert (
        browser.post(
            "/api/v1/auth/login", json={"username": "oscar", "password": PASSWORD}
        ).status_code
        == 200
    )
    org, slug = cast.project.split("/")
    for url in (
        f"/api/v1/projects/{org}/{slug}",
        f"/api/v1/projects/{org}/{slug}/versions",
        f"/api/v1/projects/{org}/{slug}/versions/v1",
        f"/api/v1/projects/{org}/{slug}/versions/v1/history",
        f"/api/v1/projects/{org}/{slug}/versions/v1/reviews",
        f"/api/v1/ledger/txs/{tx_id}",
        f"/api/v1/ledger/txs/{tx_id}/proof",
        f"/api/v1/objects/{model['sha256']}",
    ):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert "credit" not in response.text.lower() or "no project" in response.text, url
    assert browser.get("/api/v1/projects").json()["items"] == []
    assert browser.get(f"/api/v1/artifacts/{model['sha256']}/uses").json() == {
        "first_registered": None,
        "uses": [],
    }
    # A member sees it; the org admin (client) sees it too.
    assert client.get(f"/api/v1/projects/{org}/{slug}").status_code == 200
    assert client.get(f"/api/v1/ledger/txs/{tx_id}").status_code == 200
