"""Profile (API tokens, key fingerprint), invitations and password resets through the pages."""

from __future__ import annotations

import re

import httpx

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of, password_of
from tetherai.crypto.signature import public_key_fingerprint

TOKEN = re.compile(r'id="(?:new-token|one-time-token)">([^<]+)<')


def test_profile_shows_my_key_fingerprint(sign_in: SignIn, cast: Cast) -> None:
    page = sign_in("mlops").get("/profile")
    assert page.status_code == 200
    fingerprint = public_key_fingerprint(cast["mlops"].private_key.public_key())
    assert fingerprint in page.text
    assert "MLOps engineer" in page.text
    other = public_key_fingerprint(cast["author"].private_key.public_key())
    assert other not in page.text


def test_api_token_is_shown_once_listed_and_revoked(sign_in: SignIn) -> None:
    http = sign_in("author")
    page = http.get("/profile")
    created = http.post(
        "/profile/tokens",
        data={"name": "laptop", "expires_in_days": "30", "csrf_token": csrf_of(page)},
    )
    assert created.status_code == 201
    token = TOKEN.search(created.text)
    assert token and token.group(1).startswith("tth_")
    # The token works for the API, and the next view of the profile does not show it again.
    api = httpx.Client(
        base_url=http.base_url, headers={"Authorization": f"Bearer {token.group(1)}"}
    )
    with api:
        assert api.get("/api/v1/auth/me").json()["username"] == "alice"
        page = http.get("/profile")
        assert token.group(1) not in page.text
        assert "laptop" in page.text
        token_id = re.search(r'action="/profile/tokens/(\d+)/revoke"', page.text)
        assert token_id
        done = http.post(
            f"/profile/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf_of(page)}
        )
        assert done.status_code == 303
        assert "Token revoked." in http.get("/profile").text
        assert api.get("/api/v1/auth/me").status_code == 401
    bad = http.post("/profile/tokens", data={"name": "", "csrf_token": csrf_of(page)})
    assert bad.status_code == 422


def test_invite_then_accept_then_sign_in(
    sign_in: SignIn, anonymous: httpx.Client, cast: Cast
) -> None:
    admin = sign_in("admin")
    page = admin.get("/admin")
    assert page.status_code == 200
    invited = admin.post(
        "/admin/invitations",
        data={
            "username": "erin",
            "role": "ai_engineer",
            "display_name": "Erin",
            "csrf_token": csrf_of(page),
        },
    )
    assert invited.status_code == 201, invited.text
    token = TOKEN.search(invited.text)
    assert token
    assert f"/accept?token={token.group(1)}" in invited.text
    # The invitation is on the ledger.
    state = cast.net.node.peer.store.reader()
    assert state.get("membership/invitation/Org1/erin") is not None
    form = anonymous.get(f"/accept?token={token.group(1)}")
    assert token.group(1) in form.text
    differ = anonymous.post(
        "/accept",
        data={
            "token": token.group(1),
            "password": "erin's long password",
            "confirm": "something else",
            "csrf_token": csrf_of(form),
        },
    )
    assert differ.status_code == 422
    assert "The two passwords differ." in differ.text
    done = anonymous.post(
        "/accept",
        data={
            "token": token.group(1),
            "password": "erin's long password",
            "confirm": "erin's long password",
            "csrf_token": csrf_of(form),
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/signin"
    signin = anonymous.get("/signin")
    assert "Your account is ready" in signin.text
    again = anonymous.post(
        "/accept",
        data={
            "token": token.group(1),
            "password": "erin's long password",
            "confirm": "erin's long password",
            "csrf_token": csrf_of(form),
        },
    )
    assert again.status_code == 401  # a one-time token
    ok = anonymous.post(
        "/signin",
        data={
            "username": "erin",
            "password": "erin's long password",
            "csrf_token": csrf_of(signin),
        },
    )
    assert ok.status_code == 303
    profile = anonymous.get("/profile")
    assert "erin" in profile.text
    assert "Fingerprint" in profile.text  # a key was made and enrolled for her


def test_password_reset_by_the_admin(sign_in: SignIn, anonymous: httpx.Client, cast: Cast) -> None:
    admin = sign_in("admin")
    page = admin.get("/admin")
    target = _user_id(page.text, "bob")
    issued = admin.post(f"/admin/users/{target}/password-reset", data={"csrf_token": csrf_of(page)})
    assert issued.status_code == 201, issued.text
    token = TOKEN.search(issued.text)
    assert token
    form = anonymous.get("/reset")
    new = "bob's brand new password"
    done = anonymous.post(
        "/reset",
        data={
            "token": token.group(1),
            "password": new,
            "confirm": new,
            "csrf_token": csrf_of(form),
        },
    )
    assert done.status_code == 303
    signin = anonymous.get("/signin")
    old = anonymous.post(
        "/signin",
        data={"username": "bob", "password": password_of("mlops"), "csrf_token": csrf_of(signin)},
    )
    assert old.status_code == 401
    ok = anonymous.post(
        "/signin", data={"username": "bob", "password": new, "csrf_token": csrf_of(signin)}
    )
    assert ok.status_code == 303
    # A new key replaced the revoked one, and the ledger says after what and on whose word.
    old_fingerprint = public_key_fingerprint(cast["mlops"].private_key.public_key())
    keys = cast.query("membership", "keys", org="Org1", id="bob")
    (old,) = [k for k in keys if k["cert_sha256"] == cast["mlops"].cert_sha256]
    (new_key,) = [k for k in keys if k["revoked"] is None]
    assert old["revoked"]["reason"] == "password reset" and old["revoked"]["by"] == "admin@Org1"
    assert (new_key["via"], new_key["after"], new_key["enrolled_by"]) == (
        "invitation",
        "password reset",
        "admin@Org1",
    )
    profile = anonymous.get("/profile").text
    assert old_fingerprint[:16] in profile and "web key" in profile


def _user_id(html: str, username: str) -> str:
    """The id in the row of ``username`` on the admin page."""
    row = re.search(rf"<td>{username}</td>(.*?)</tr>", html, re.S)
    assert row, f"no row for {username}"
    found = re.search(r"/admin/users/(\d+)/", row.group(1))
    assert found
    return found.group(1)


def test_disable_and_enable(sign_in: SignIn, cast: Cast) -> None:
    admin = sign_in("admin")
    carol = sign_in("stake1")
    page = admin.get("/admin")
    roles = page.text.split('id="roles-title"')[1].split("</section>")[0]
    assert "Start the review" in roles and "Put into production" in roles  # from the rules
    target = _user_id(page.text, "carol")
    off = admin.post(f"/admin/users/{target}/disable", data={"csrf_token": csrf_of(page)})
    assert off.status_code == 303
    assert carol.get("/dashboard").status_code == 303  # her session ended
    page = admin.get("/admin")
    assert "Account disabled" in page.text
    assert "Enable carol" in page.text
    on = admin.post(f"/admin/users/{target}/enable", data={"csrf_token": csrf_of(page)})
    assert on.status_code == 303
    activity = admin.get("/admin/activity")
    assert activity.status_code == 200
    assert "user.disabled" in activity.text or "disabled" in activity.text


def test_admin_pages_are_403_for_others(sign_in: SignIn, cast: Cast) -> None:
    for who in ("author", "mlops", "auditor"):
        http = sign_in(who)
        page = http.get("/dashboard")
        assert 'href="/admin"' not in page.text
        for path in ("/admin", "/admin/activity"):
            refused = http.get(path)
            assert refused.status_code == 403
            assert "Only org admins may see the admin pages." in refused.text
        forged = http.post(
            "/admin/invitations",
            data={"username": "mallory", "role": "org_admin", "csrf_token": csrf_of(page)},
        )
        assert forged.status_code == 403
    assert cast.net.node.peer.store.reader().get("membership/invitation/Org1/mallory") is None


def test_change_my_password(sign_in: SignIn, anonymous: httpx.Client) -> None:
    http = sign_in("stake1")
    page = http.get("/profile")
    wrong = http.post(
        "/profile/password",
        data={
            "old_password": "not my password",
            "password": "carol's new password",
            "confirm": "carol's new password",
            "csrf_token": csrf_of(page),
        },
    )
    assert wrong.status_code == 401
    differ = http.post(
        "/profile/password",
        data={
            "old_password": password_of("stake1"),
            "password": "carol's new password",
            "confirm": "carol's other password",
            "csrf_token": csrf_of(page),
        },
    )
    assert differ.status_code == 422
    done = http.post(
        "/profile/password",
        data={
            "old_password": password_of("stake1"),
            "password": "carol's new password",
            "confirm": "carol's new password",
            "csrf_token": csrf_of(page),
        },
    )
    assert done.status_code == 303
    assert http.get("/dashboard").status_code == 303  # every session of hers ended
    form = anonymous.get("/signin")
    ok = anonymous.post(
        "/signin",
        data={"username": "carol", "password": "carol's new password", "csrf_token": csrf_of(form)},
    )
    assert ok.status_code == 303
    # Her key was re-sealed under the new password: she still signs (creates a project).
    page = anonymous.get("/projects")
    created = anonymous.post(
        "/projects", data={"name": "After Change", "csrf_token": csrf_of(page)}
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/projects/Org1/after-change"
