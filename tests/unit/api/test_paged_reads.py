"""A version's history, the project's history and a version's comments through the API: the
usual ``limit``/``cursor`` parameters and ``next``, counts of everything, clear refusals of a
bad cursor, the same answer to a stranger with a cursor as without."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.unit.services.test_history_reads import comment
from tetherai.identity.roles import Role

PASSWORD = "outsider passphrase"


def test_version_history_pages_with_a_cursor(client: httpx.Client, cast: Cast) -> None:
    version = cast.new_version()
    comment(cast, version, 4)
    base = f"/api/v1/projects/{cast.project}/versions/{version}/history"
    whole = client.get(base, params={"limit": 500}).json()
    assert whole["total"] == 5 and whole["next"] is None and len(whole["items"]) == 5
    seen = []
    cursor = None
    while True:
        page = client.get(base, params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == 5
        seen += body["items"]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == whole["items"]  # oldest first, every entry once


def test_project_history_pages_with_a_cursor(client: httpx.Client, cast: Cast) -> None:
    base = f"/api/v1/projects/{cast.project}/history"
    whole = client.get(base).json()
    first = client.get(base, params={"limit": 1}).json()
    assert first["items"] == whole["items"][:1]
    assert first["total"] == whole["total"] == len(whole["items"])
    second = client.get(base, params={"limit": 1, "cursor": first["next"]}).json()
    assert second["items"] == whole["items"][1:2]


def test_reviews_give_the_newest_comments_and_a_cursor_to_older_ones(
    client: httpx.Client, cast: Cast
) -> None:
    version = cast.new_version()
    comment(cast, version, 5)
    cast.ok("mlops", "review", "rate", project=cast.project, version=version, stars=3)
    base = f"/api/v1/projects/{cast.project}/versions/{version}/reviews"
    first = client.get(base, params={"limit": 2}).json()
    assert [c["text"] for c in first["comment"]] == ["c4", "c3"]
    assert first["counts"] == {"comment": 5, "rating": 1}
    assert [r["stars"] for r in first["rating"]] == [3]
    older = client.get(base, params={"limit": 2, "cursor": first["next"]}).json()
    assert [c["text"] for c in older["comment"]] == ["c2", "c1"]
    assert older["counts"]["comment"] == 5
    last = client.get(base, params={"limit": 2, "cursor": older["next"]}).json()
    assert [c["text"] for c in last["comment"]] == ["c0"] and last["next"] is None
    assert len(client.get(base).json()["comment"]) == 5  # 50 by default


@pytest.mark.parametrize("bad", ["soon", "-1", "1.5", str(2**63), ""])
def test_a_bad_cursor_is_refused_with_a_message(client: httpx.Client, cast: Cast, bad: str) -> None:
    version = cast.new_version()
    for path in (
        f"/api/v1/projects/{cast.project}/versions/{version}/reviews",
        f"/api/v1/projects/{cast.project}/versions/{version}/history",
        f"/api/v1/projects/{cast.project}/history",
    ):
        answer = client.get(path, params={"cursor": bad})
        assert answer.status_code == 422, (path, bad)
        error = answer.json()["error"]
        assert error["code"] == "request.invalid"
        assert "cursor" in error["message"]


def test_a_stranger_with_a_cursor_gets_what_a_missing_project_gives(
    app: FastAPI, anonymous: httpx.Client, browser: httpx.Client, cast: Cast
) -> None:
    version = cast.new_version()
    comment(cast, version, 2)
    web_account(app, cast.net.home, "oscar", Role.MLOPS_ENGINEER, PASSWORD)
    signed_in = browser.post("/api/v1/auth/login", json={"username": "oscar", "password": PASSWORD})
    assert signed_in.status_code == 200
    org, slug = cast.project.split("/")
    for suffix, params in (
        (f"/versions/{version}/reviews", {"cursor": "5", "limit": "1"}),
        (f"/versions/{version}/history", {"cursor": "0", "limit": "1"}),
        ("/history", {"cursor": "0"}),
    ):
        real = browser.get(f"/api/v1/projects/{org}/{slug}{suffix}", params=params)
        missing = browser.get(f"/api/v1/projects/{org}/no-such-project{suffix}", params=params)
        assert real.status_code == missing.status_code == 404
        assert real.json()["error"]["code"] == missing.json()["error"]["code"]
        assert real.text.replace(slug, "<slug>") == missing.text.replace(
            "no-such-project", "<slug>"
        )


def test_openapi_describes_the_paging_parameters(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/projects/{org}/{slug}/versions/{version}/reviews",
        "/api/v1/projects/{org}/{slug}/versions/{version}/history",
        "/api/v1/projects/{org}/{slug}/history",
    ):
        parameters = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert {"limit", "cursor"} <= set(parameters), path
        cursor = parameters["cursor"]
        assert cursor["in"] == "query" and not cursor.get("required")
        assert "next" in cursor["description"]
