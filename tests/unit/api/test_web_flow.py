"""Sign-in, invitations and signing with a key the server keeps sealed, end to end over HTTP."""

from __future__ import annotations

import httpx

from tests.common.lifecycle import Cast
from tests.common.waiting import PATIENCE
from tests.unit.api.conftest import ADMIN_PASSWORD

PASSWORD = "a long enough passphrase"


def login(http: httpx.Client, username: str, password: str) -> str:
    response = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def test_reads_need_sign_in(anonymous: httpx.Client) -> None:
    response = anonymous.get("/api/v1/ledger")
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.required"


def test_invite_accept_sign_in_and_act_with_own_key(
    client: httpx.Client, browser: httpx.Client
) -> None:
    del client  # makes the admin's web account
    with httpx.Client(base_url=browser.base_url, timeout=PATIENCE) as admin:
        csrf = login(admin, "admin", ADMIN_PASSWORD)
        no_csrf = admin.post(
            "/api/v1/admin/invitations", json={"username": "erin", "role": "ai_engineer"}
        )
        assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "auth.csrf"
        invited = admin.post(
            "/api/v1/admin/invitations",
            json={"username": "erin", "role": "ai_engineer"},
            headers={"X-CSRF-Token": csrf},
        )
        assert invited.status_code == 201, invited.text
        token = invited.json()["token"]
    with httpx.Client(base_url=browser.base_url, timeout=PATIENCE) as erin:
        weak = erin.post("/api/v1/auth/accept", json={"token": token, "password": "short"})
        assert weak.status_code == 422 and weak.json()["error"]["code"] == "auth.weak_password"
        accepted = erin.post("/api/v1/auth/accept", json={"token": token, "password": PASSWORD})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["user"]["cert_sha256"]
        csrf = login(erin, "erin", PASSWORD)
        created = erin.post(
            "/api/v1/projects", json={"name": "Erin's model"}, headers={"X-CSRF-Token": csrf}
        )
        assert created.status_code == 201, created.text
        project = created.json()["result"]["project"]
        tx = erin.get(f"/api/v1/ledger/txs/{created.json()['tx_id']}").json()
        assert tx["tx"]["creator"]["id"] == "erin"  # signed with erin's own key
        refused = erin.post(
            f"/api/v1/projects/{project}/versions/v1/verifications",
            json={"artifacts": []},
            headers={"X-CSRF-Token": csrf},
        )
        assert (
            refused.status_code == 404 and "has no version v1" in refused.json()["error"]["message"]
        )
        erin.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert erin.get("/api/v1/auth/me").status_code == 401


def test_wrong_passwords_lock_the_account(client: httpx.Client, browser: httpx.Client) -> None:
    del client
    http = browser
    codes = [
        http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": "nope nope nope"}
        ).json()["error"]["code"]
        for _ in range(5)
    ]
    assert codes[:4] == ["auth.bad_credentials"] * 4 and codes[4] == "auth.locked"
    locked = http.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert locked.status_code == 423


def test_api_tokens_read_but_do_not_sign(client: httpx.Client) -> None:
    response = client.post("/api/v1/projects", json={"name": "From a token"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.sign_locally"
    tokens = client.get("/api/v1/me/tokens").json()["items"]
    assert tokens[0]["name"] == "tests" and "token" not in tokens[0]


def test_cli_key_registered_then_signing_locally(
    client: httpx.Client, browser: httpx.Client, cast: Cast
) -> None:
    """A person registers a key they hold (proving it); txs they sign with it locally are
    accepted as theirs, and their web key keeps signing on the pages' behalf."""
    from tetherai.crypto.signature import generate_private_key, public_key_to_pem
    from tetherai.identity.possession import prove_possession
    from tetherai.ledger.transaction import Creator, Transaction, new_nonce, sign_transaction

    token = client.headers["Authorization"]
    del client.headers["Authorization"]
    csrf = login(browser, "admin", ADMIN_PASSWORD)
    local_key = generate_private_key()
    body = {
        "name": "laptop",
        "public_key_pem": public_key_to_pem(local_key.public_key()).decode(),
        "proof": prove_possession(local_key, "Org1", "admin"),
    }
    unproved = browser.post(
        "/api/v1/me/keys",
        headers={"X-CSRF-Token": csrf},
        json=body | {"proof": prove_possession(generate_private_key(), "Org1", "admin")},
    )
    assert (
        unproved.status_code == 422 and unproved.json()["error"]["code"] == "identity.no_possession"
    )
    registered = browser.post("/api/v1/me/keys", headers={"X-CSRF-Token": csrf}, json=body)
    assert registered.status_code == 201, registered.text
    cert_sha256 = registered.json()["cert_sha256"]
    again = browser.post("/api/v1/me/keys", headers={"X-CSRF-Token": csrf}, json=body)
    assert again.status_code == 409, again.text
    listed = {k["cert_sha256"]: k for k in browser.get("/api/v1/me/keys").json()["items"]}
    assert listed[cert_sha256]["name"] == "laptop" and listed[cert_sha256]["kind"] == "cli"
    # The web key still signs: registering a key disturbs no other.
    web = browser.post(
        "/api/v1/projects", json={"name": "Still from the web"}, headers={"X-CSRF-Token": csrf}
    )
    assert web.status_code == 201, web.text
    ledger_time = browser.get("/api/v1/ledger").json()["last_block_ts"]
    tx = Transaction(
        "main",
        "project",
        "create",
        {"name": "Signed on my laptop"},
        Creator("Org1", "admin", cert_sha256),
        new_nonce(),
        ledger_time,
    )
    client.headers["Authorization"] = token
    response = client.post("/api/v1/envelopes", json=sign_transaction(tx, local_key).to_json())
    assert response.status_code == 200, response.text
    assert response.json()["result"] == {"project": "Org1/signed-on-my-laptop"}
    bad = browser.post(
        "/api/v1/me/keys",
        headers={"X-CSRF-Token": csrf},
        json={"name": "x", "public_key_pem": "not a key", "proof": "eA=="},
    )
    assert bad.status_code == 422
    # A key the ledger refuses (the admin's own set-up key: enrolled once, ever) leaves
    # nothing registered here.
    setup_key = cast.net.admin.private_key
    refused = browser.post(
        "/api/v1/me/keys",
        headers={"X-CSRF-Token": csrf},
        json={
            "name": "again",
            "public_key_pem": public_key_to_pem(setup_key.public_key()).decode(),
            "proof": prove_possession(setup_key, "Org1", "admin"),
        },
    )
    assert refused.status_code == 409, refused.text
    assert "already enrolled" in refused.json()["error"]["message"]
    names = [k["name"] for k in browser.get("/api/v1/me/keys").json()["items"]]
    assert "again" not in names and "laptop" in names


def test_password_reset_gives_a_new_key_and_revokes_the_lost_one(
    client: httpx.Client, browser: httpx.Client, cast: Cast
) -> None:
    del client
    with httpx.Client(base_url=browser.base_url, timeout=PATIENCE) as admin:
        csrf = login(admin, "admin", ADMIN_PASSWORD)
        token = admin.post(
            "/api/v1/admin/invitations",
            json={"username": "erin", "role": "ai_engineer"},
            headers={"X-CSRF-Token": csrf},
        ).json()["token"]
        first = browser.post(
            "/api/v1/auth/accept", json={"token": token, "password": PASSWORD}
        ).json()
        old_cert = first["user"]["cert_sha256"]
        user_id = first["user"]["id"]
        reset = admin.post(
            f"/api/v1/admin/users/{user_id}/password-reset", headers={"X-CSRF-Token": csrf}
        )
        assert reset.status_code == 201, reset.text
        done = browser.post(
            "/api/v1/auth/reset",
            json={"token": reset.json()["token"], "password": "a brand new passphrase"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["user"]["cert_sha256"] not in (None, old_cert)
    old = cast.query("membership", "participants")
    revoked = {p["cert_sha256"]: p["revoked"] for p in old}
    assert revoked[old_cert]["reason"].startswith("password reset")
    csrf = login(browser, "erin", "a brand new passphrase")
    created = browser.post(
        "/api/v1/projects", json={"name": "After reset"}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201, created.text
