"""Every read route × every kind of caller → the expected status, and nothing of a project leaks.

Callers: the project's AI engineer, MLOps engineer, stakeholder and auditor (all members), the
org admin, a participant who is not a member, and anonymous. Routes come from the OpenAPI
document, so a new route is covered (or fails here) without editing this test.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast
from tests.common.waiting import PATIENCE
from tetherai.identity.roles import Role

PEOPLE = {
    "alice": Role.AI_ENGINEER,
    "bob": Role.MLOPS_ENGINEER,
    "carol": Role.STAKEHOLDER,
    "dora": Role.AUDITOR,
    "oscar": Role.MLOPS_ENGINEER,
}  # oscar is no member of the project
PASSWORD = "matrix long passphrase"
ADMIN_ONLY = {"/api/v1/admin/webhooks", "/api/v1/admin/users", "/api/v1/channel"}
SELF_SERVICE_OR_ADMIN = {"/api/v1/admin/activity"}
_PROJECT = "/api/v1/projects/{org}/{slug}"
# Audit bundles, reports and interop exports read like the project's other reads.
AUDIT_ROUTES = {
    f"{scope}/{leaf}"
    for scope in (_PROJECT, f"{_PROJECT}/versions/{{version}}")
    for leaf in ("audit-bundle", "audit-report.html", "audit-report.pdf")
} | {
    f"{_PROJECT}/versions/{{version}}/exports/{kind}"
    for kind in ("intoto", "model-signing", "cyclonedx")
}


def _sign_in(base: httpx.URL, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=PATIENCE)
    response = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, (username, response.text)
    http.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return http


def test_read_routes_by_caller(
    app: FastAPI, client: httpx.Client, cast: Cast, anonymous: httpx.Client
) -> None:
    from tests.unit.api.conftest import ADMIN_PASSWORD

    for name, role in PEOPLE.items():
        web_account(app, cast.net.home, name, role, PASSWORD)
    callers = {name: _sign_in(anonymous.base_url, name, PASSWORD) for name in PEOPLE}
    callers["admin"] = _sign_in(anonymous.base_url, "admin", ADMIN_PASSWORD)
    # alice, the version's author, uploads its files: the readers get them through her version.
    kinds = {"model": "model", "train": "train_dataset", "test": "test_dataset", "log": "log"}
    stored = {
        name: callers["alice"].post("/api/v1/objects", content=name.encode() * 100).json()
        for name in kinds
    }
    manifest = [
        {"kind": kinds[n], "name": n, "uri": s["uri"], "size": s["size"], "sha256": s["sha256"]}
        for n, s in stored.items()
    ]
    v1 = cast.new_version("v1", artifacts=manifest)
    cast.walk(v1, "reviewing")
    model_sha = stored["model"]["sha256"]
    tx_id = cast.net.node.peer.store.tx_at(cast.net.node.peer.store.tx_count - 1).tx_id
    org, slug = cast.project.split("/")
    values = {
        "org": org,
        "slug": slug,
        "version": v1,
        "tx_id": tx_id,
        "sha256": model_sha,
        "number": "1",
        "notification_id": "1",
        "token_id": "1",
        "webhook_id": "1",
        "user_id": "1",
    }
    spec = client.get("/openapi.json").json()
    routes = sorted(path for path, ops in spec["paths"].items() if "get" in ops)
    assert len(routes) >= 20
    assert AUDIT_ROUTES.issubset(routes)
    try:
        for path in routes:
            url = path.format(**values)
            params = (
                {"key": f"workflow/{cast.project}/{v1}"}
                if path.endswith("/state/history")
                else None
            )
            assert anonymous.get(url, params=params, headers={"Authorization": ""}).status_code in (
                401,
            ), path
            project_scoped = (
                "{org}" in path or "{tx_id}" in path or "{sha256}" in path or params is not None
            )
            for name, http in callers.items():
                response = http.get(url, params=params)
                status = response.status_code
                assert status < 500, (name, path, response.text)
                if name == "oscar" and project_scoped and not path.endswith("/uses"):
                    assert status == 404, (name, path)
                    assert "credit scoring" not in response.text.lower(), (name, path)
                elif path in ADMIN_ONLY:
                    assert status == (200 if name == "admin" else 403), (name, path)
                elif "{notification_id}" in path or "{token_id}" in path or "{webhook_id}" in path:
                    continue  # no GET on those (listed for completeness)
                elif path.endswith("/uses") and name == "oscar":
                    assert response.json() == {"first_registered": None, "uses": []}
                else:
                    assert status in (200, 304), (name, path, status, response.text[:200])
                    if status == 200 and "json" in response.headers.get("content-type", ""):
                        # every list is paged ({items, next}); "what can I do" is a bounded set
                        body = response.json()
                        assert not isinstance(body, list) or path.endswith("/actions"), path
    finally:
        for http in callers.values():
            http.close()


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/ledger", "/api/v1/projects"])
def test_a_disabled_user_cannot_sign_in_or_read(
    app: FastAPI, client: httpx.Client, cast: Cast, anonymous: httpx.Client, path: str
) -> None:
    rt = app.state.runtime
    user = web_account(app, cast.net.home, "carol", Role.STAKEHOLDER, PASSWORD)
    carol = _sign_in(anonymous.base_url, "carol", PASSWORD)
    try:
        assert carol.get(path).status_code == 200
        admin = rt.auth.get_user_by_username("admin")
        rt.auth.set_enabled(user, False, by_admin=admin)
        assert carol.get(path).status_code in (401, 403)
        again = carol.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
        assert again.status_code == 403 and again.json()["error"]["code"] == "auth.disabled"
    finally:
        carol.close()


def test_write_routes_by_caller(
    app: FastAPI, client: httpx.Client, cast: Cast, anonymous: httpx.Client
) -> None:
    """Every use-case write route: anonymous 401, API token 403 (sign locally), an auditor 403
    (no key), a non-member 404 (the project stays hidden), and never a server error."""
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    for name, role in PEOPLE.items():
        web_account(app, cast.net.home, name, role, PASSWORD)
    org, slug = cast.project.split("/")
    spec = client.get("/openapi.json").json()
    writes = sorted(
        (path, method)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch") and "{org}" in path and "{slug}" in path
    )
    assert len(writes) >= 15
    values = {"org": org, "slug": slug, "version": v1, "member_org": "Org1", "member_id": "carol"}
    callers = {name: _sign_in(anonymous.base_url, name, PASSWORD) for name in ("dora", "oscar")}
    csrf = {
        name: http.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).json()[
            "csrf_token"
        ]
        for name, http in callers.items()
    }
    try:
        for path, method in writes:
            url = path.format(**values)
            assert (
                anonymous.request(method, url, json={}, headers={"Authorization": ""}).status_code
                == 401
            ), path
            token = client.request(method, url, json={})
            assert token.status_code in (403, 422), (path, token.text)
            for name, http in callers.items():
                response = http.request(method, url, json={}, headers={"X-CSRF-Token": csrf[name]})
                assert response.status_code < 500, (name, path, response.text)
                if name == "oscar":
                    assert response.status_code in (404, 422), (name, path, response.status_code)
                    assert "only members" not in response.text, (name, path)
                else:
                    assert response.status_code in (403, 422), (name, path, response.status_code)
    finally:
        for http in callers.values():
            http.close()


def test_a_non_member_cannot_learn_a_project_exists_by_writing(
    app: FastAPI, client: httpx.Client, cast: Cast, anonymous: httpx.Client
) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    web_account(app, cast.net.home, "oscar", Role.MLOPS_ENGINEER, PASSWORD)
    oscar = _sign_in(anonymous.base_url, "oscar", PASSWORD)
    csrf = oscar.post(
        "/api/v1/auth/login", json={"username": "oscar", "password": PASSWORD}
    ).json()["csrf_token"]
    base = f"/api/v1/projects/{cast.project}/versions/{v1}"
    count = cast.net.node.peer.store.tx_count
    try:
        for url, body in (
            (f"{base}/comments", {"text": "hello"}),
            (f"{base}/transitions", {"to": "review_failed", "reason": "x"}),
            (f"{base}/verifications", {"artifacts": []}),
            (f"/api/v1/projects/{cast.project}/members", {"org": "Org1", "id": "oscar"}),
        ):
            response = oscar.post(url, json=body, headers={"X-CSRF-Token": csrf})
            assert response.status_code == 404, (url, response.text)
            assert response.json()["error"]["message"] == f"there is no project {cast.project}"
        assert cast.net.node.peer.store.tx_count == count  # nothing reached the ledger
    finally:
        oscar.close()
