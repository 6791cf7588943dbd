"""Auditors are first-class: invited through the API and through the admin page, each enrols
their own key on the ledger, a project adds them as members, they read everything of it (API
and pages) and nothing of another project, and every write route refuses them."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.common.lifecycle import ARTIFACT_DIGESTS, Cast, manifest
from tests.unit.web.conftest import SignIn, csrf_of
from tetherai.crypto.signature import generate_private_key, public_key_to_pem
from tetherai.identity.possession import prove_possession
from tetherai.ledger.transaction import Creator, Transaction, new_nonce, sign_transaction

PASSWORD = "an auditor's long passphrase"
TOKEN = re.compile(r'id="one-time-token">([^<]+)<')
# Writes an auditor may make: their own account (sign-in, tokens, e-mail, notifications), and
# the replay of the whole ledger (a read, run on request).
SELF_SERVICE = {
    "/api/v1/auth/accept",
    "/api/v1/auth/login",
    "/api/v1/auth/logout",
    "/api/v1/auth/reset",
    "/api/v1/me/email",
    "/api/v1/me/notifications/{notification_id}/read",
    "/api/v1/me/notifications/read",
    "/api/v1/me/tokens",
    "/api/v1/me/tokens/{token_id}",
    "/api/v1/ledger/verify",
}


def api_csrf(http: httpx.Client) -> dict[str, str]:
    """The header an API write needs, from a session opened on the pages."""
    return {"X-CSRF-Token": http.cookies["tether_csrf"]}


def page_sign_in(base: httpx.URL, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=30)
    form = http.get("/signin")
    done = http.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": csrf_of(form)},
    )
    assert done.status_code == 303, done.text
    return http


def test_auditors_invited_both_ways_read_their_project_and_write_nothing(
    app: FastAPI, sign_in: SignIn, anonymous: httpx.Client, cast: Cast
) -> None:
    admin = sign_in("admin")
    # On the admin page …
    page = admin.get("/admin")
    shown = admin.post(
        "/admin/invitations",
        data={"username": "dana", "role": "auditor", "csrf_token": csrf_of(page)},
    )
    assert shown.status_code == 201, shown.text
    token = TOKEN.search(shown.text)
    assert token
    form = anonymous.get("/accept")
    accepted = anonymous.post(
        "/accept",
        data={
            "token": token.group(1),
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_of(form),
        },
    )
    assert accepted.status_code == 303, accepted.text
    # … and through the API.
    invited = admin.post(
        "/api/v1/admin/invitations",
        json={"username": "ivan", "role": "auditor"},
        headers=api_csrf(admin),
    )
    assert invited.status_code == 201, invited.text
    done = anonymous.post(
        "/api/v1/auth/accept", json={"token": invited.json()["token"], "password": PASSWORD}
    )
    assert done.status_code == 200 and done.json()["enrolled_tx"], done.text
    for name in ("dana", "ivan"):
        record = cast.query("membership", "participant", org="Org1", id=name)
        assert (record["role"], record["via"], record["enrolled_by"]) == (
            "auditor",
            "invitation",
            "admin@Org1",
        )
    # The author adds them: one on the project page, one through the API.
    author = sign_in("author")
    project_page = author.get(f"/projects/{cast.project}")
    added = author.post(
        f"/projects/{cast.project}/members",
        data={"member": "Org1/dana", "csrf_token": csrf_of(project_page)},
    )
    assert added.status_code == 303, added.text
    added = author.post(
        f"/api/v1/projects/{cast.project}/members",
        json={"org": "Org1", "id": "ivan"},
        headers=api_csrf(author),
    )
    assert added.status_code == 200 and added.json()["result"]["role"] == "auditor", added.text
    kinds = {"model": "model", "train": "train_dataset", "test": "test_dataset", "log": "log"}
    stored = {
        name: admin.post(
            "/api/v1/objects", content=name.encode() * 100, headers=api_csrf(admin)
        ).json()
        for name in kinds
    }
    artifacts = [
        {"kind": kinds[n], "name": n, "uri": s["uri"], "size": s["size"], "sha256": s["sha256"]}
        for n, s in stored.items()
    ]
    version = cast.new_version("v1", artifacts=artifacts)
    cast.walk(version, "reviewing")
    store = cast.net.node.peer.store
    tx_id = store.tx_at(store.tx_count - 1).tx_id  # the audited project's last tx
    other = cast.ok("author", "project", "create", name="Not Audited")["project"]
    other_tx = store.tx_at(store.tx_count - 1).tx_id
    dana = page_sign_in(anonymous.base_url, "dana", PASSWORD)
    ivan = page_sign_in(anonymous.base_url, "ivan", PASSWORD)
    try:
        _reads_everything_of_the_project(dana, cast, version, tx_id, other, other_tx)
        _every_write_is_refused(app, dana, cast, version, "dana")
        # Invited through the API, the same: reads the project, and the ledger refuses a write.
        assert ivan.get(f"/projects/{cast.project}/versions/{version}").status_code == 200
        comment = ivan.post(
            f"/api/v1/projects/{cast.project}/versions/{version}/comments",
            json={"text": "x"},
            headers=api_csrf(ivan),
        )
        assert comment.status_code == 403
        assert comment.json()["error"]["code"] == "tx.auditor_cannot_write"
    finally:
        dana.close()
        ivan.close()


def _reads_everything_of_the_project(
    http: httpx.Client, cast: Cast, version: str, tx_id: str, other: str, other_tx: str
) -> None:
    org, slug = cast.project.split("/")
    spec = http.get("/openapi.json").json()
    scoped = sorted(p for p, ops in spec["paths"].items() if "get" in ops and "{slug}" in p)
    assert len(scoped) >= 15
    values = {"org": org, "slug": slug, "version": version, "tx_id": tx_id}
    for path in scoped:
        params = {"key": f"workflow/{cast.project}/{version}"} if path.endswith("/history") else {}
        response = http.get(path.format(**values), params=params)
        assert response.status_code in (200, 304), (path, response.text[:300])
        hidden = http.get(path.format(**(values | {"slug": other.split("/")[1]})), params=params)
        assert hidden.status_code == 404, (path, hidden.status_code)
    pages = [
        f"/projects/{cast.project}",
        f"/projects/{cast.project}/versions/{version}",
        f"/projects/{cast.project}/audit",
        f"/projects/{cast.project}/versions/{version}/audit",
        f"/ledger/txs/{tx_id}",
        "/projects",
        "/dashboard",
    ]
    for url in pages:
        response = http.get(url)
        assert response.status_code == 200, (url, response.text[:300])
    assert "Credit Scoring" in http.get("/projects").text
    assert "Not Audited" not in http.get("/projects").text
    assert http.get(f"/projects/{other}").status_code == 404
    # The other project's creation is not the auditor's to see, on the page or through the API.
    assert http.get(f"/ledger/txs/{other_tx}").status_code == 404
    assert http.get(f"/api/v1/ledger/txs/{other_tx}").status_code == 404
    assert http.get(f"/api/v1/projects/{cast.project}/versions/{version}/audit-bundle").json()


def _every_write_is_refused(
    app: FastAPI, http: httpx.Client, cast: Cast, version: str, name: str
) -> None:
    rt = app.state.runtime
    me = rt.auth.get_user_by_username(name)
    someone = rt.auth.get_user_by_username("alice")
    key = rt.custody.unseal_key(me.id, PASSWORD)  # the auditor's own web key, as they hold it
    new_key = generate_private_key()
    tx = Transaction(
        "main",
        "notary",
        "notarize",
        {"name": f"by-{name}", "sha256": "ab" * 32},
        Creator("Org1", name, str(me.cert_sha256)),
        new_nonce(),
        cast.net.clock(),
    )
    verification = [{"name": n, "sha256": d} for n, d in ARTIFACT_DIGESTS.items()]
    bodies: dict[tuple[str, str], Any] = {
        ("post", "/api/v1/admin/invitations"): {"username": "zed", "role": "ai_engineer"},
        ("post", "/api/v1/admin/users/{user_id}/disable"): None,
        ("post", "/api/v1/admin/users/{user_id}/enable"): None,
        ("post", "/api/v1/admin/users/{user_id}/password-reset"): None,
        ("post", "/api/v1/admin/webhooks"): {"url": "https://hooks.example/x"},
        ("delete", "/api/v1/admin/webhooks/{webhook_id}"): None,
        ("post", "/api/v1/channel/proposals"): {"change": "remove_org", "args": {"org": "Org1"}},
        ("post", "/api/v1/channel/proposals/{proposal}/approve"): None,
        ("post", "/api/v1/channel/proposals/{proposal}/withdraw"): None,
        ("post", "/api/v1/envelopes"): sign_transaction(tx, key).to_json(),
        ("post", "/api/v1/simulate"): {"tx": tx.to_json()},
        ("post", "/api/v1/me/keys"): {
            "name": "laptop",
            "public_key_pem": public_key_to_pem(new_key.public_key()).decode(),
            "proof": prove_possession(new_key, "Org1", name),
        },
        ("post", "/api/v1/me/keys/{cert_sha256}/revoke"): {"reason": "mine"},
        ("post", "/api/v1/objects"): b"auditors upload nothing",
        ("post", "/api/v1/projects"): {"name": "Auditor's own"},
        ("patch", "/api/v1/projects/{org}/{slug}"): {"details": "changed"},
        ("put", "/api/v1/projects/{org}/{slug}/factsheet"): {"purpose": "mine"},
        ("post", "/api/v1/projects/{org}/{slug}/members"): {"org": "Org1", "id": "oscar"},
        ("post", "/api/v1/projects/{org}/{slug}/members/{member_org}/{member_id}/remove"): {
            "reason": "x"
        },
        ("put", "/api/v1/projects/{org}/{slug}/policy"): {},
        ("post", "/api/v1/projects/{org}/{slug}/rollback"): {"version": version, "reason": "x"},
        ("post", "/api/v1/projects/{org}/{slug}/versions"): {
            "version": "by-auditor",
            "code_repo": "https://git.example/x",
            "commit": "ab" * 20,
            "artifacts": manifest(),
        },
        ("patch", "/api/v1/projects/{org}/{slug}/versions/{version}"): {"comment": "x"},
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/comments"): {"text": "x"},
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/documents"): {
            "name": "audit.pdf",
            "sha256": "cd" * 32,
        },
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/monitoring"): {
            "status": "active"
        },
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/ratings"): {"stars": 1},
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/rehash?record=true"): None,
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/submit"): None,
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/transitions"): {
            "to": "review_failed",
            "reason": "x",
        },
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/verifications"): {
            "artifacts": verification
        },
        ("post", "/api/v1/projects/{org}/{slug}/versions/{version}/votes"): {
            "to": "review_passed",
            "approve": True,
        },
    }
    spec = http.get("/openapi.json").json()
    writes = {
        (method, path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete") and path not in SELF_SERVICE
    }
    assert writes == {(m, p.partition("?")[0]) for m, p in bodies}, "a write route is untested"
    org, slug = cast.project.split("/")
    values = {
        "org": org,
        "slug": slug,
        "version": version,
        "user_id": someone.id,
        "webhook_id": 1,
        "member_org": "Org1",
        "member_id": "carol",
        "cert_sha256": me.cert_sha256,
        "proposal": "ab" * 32,
    }
    count = cast.net.node.peer.store.tx_count
    for (method, path), body in bodies.items():
        url = path.format(**values)
        kwargs: dict[str, Any] = {"headers": api_csrf(http)}
        if isinstance(body, bytes):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        response = http.request(method, url, **kwargs)
        assert response.status_code in (403, 409), (path, response.status_code, response.text)
    assert cast.net.node.peer.store.tx_count == count  # nothing reached the ledger
    # The pages' forms refuse them too (the same checks, and the ledger's own rule).
    page = http.get(f"/projects/{cast.project}")
    csrf = csrf_of(page)
    for url, data in [
        ("/projects", {"name": "Auditor's page project"}),
        (f"/projects/{cast.project}/edit", {"name": "x", "details": "x"}),
        (f"/projects/{cast.project}/members", {"member": "Org1/oscar"}),
        (f"/projects/{cast.project}/factsheet", {"purpose": "x"}),
        (
            f"/projects/{cast.project}/versions/{version}/actions",
            {"action": "comment", "text": "x"},
        ),
    ]:
        response = http.post(url, data=data | {"csrf_token": csrf})
        assert response.status_code in (403, 404, 409), (url, response.status_code)
    assert cast.net.node.peer.store.tx_count == count
