"""The layout, sign-in and sign-out through the pages."""

from __future__ import annotations

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of


def test_root_sends_a_stranger_to_sign_in(anonymous: httpx.Client) -> None:
    assert anonymous.get("/").headers["location"] == "/signin"
    page = anonymous.get("/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/dashboard"


def test_sign_in_then_out(sign_in: SignIn) -> None:
    http = sign_in("mlops")
    page = http.get("/dashboard")
    assert page.status_code == 200
    assert "Mlops Person" in page.text
    assert 'href="/admin"' not in page.text  # not an admin
    assert "Signed in." in page.text
    out = http.post("/signout", data={"csrf_token": csrf_of(page)})
    assert out.status_code == 303
    assert http.get("/dashboard").status_code == 303


def test_wrong_password_is_refused_with_a_message(anonymous: httpx.Client) -> None:
    form = anonymous.get("/signin")
    page = anonymous.post(
        "/signin", data={"username": "bob", "password": "wrong", "csrf_token": csrf_of(form)}
    )
    assert page.status_code == 401
    assert "The username or password is wrong." in page.text


def test_sign_in_without_the_form_token_is_refused(anonymous: httpx.Client) -> None:
    page = anonymous.post("/signin", data={"username": "bob", "password": "password of mlops!"})
    assert page.status_code == 403
    assert "security token" in page.text


@pytest.mark.parametrize("who", ["admin", "author", "mlops", "stake1", "auditor", "outsider"])
def test_every_page_renders_for_each_role(sign_in: SignIn, cast: Cast, who: str) -> None:
    http = sign_in(who)
    for path in ("/dashboard", "/projects", "/profile"):
        page = http.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert '<main id="main"' in page.text
        assert ('href="/admin"' in page.text) is (who == "admin")
    project = http.get(f"/projects/{cast.project}")
    assert project.status_code == (404 if who == "outsider" else 200)
    assert http.get("/admin").status_code == (200 if who == "admin" else 403)
    assert http.get("/no-such-page").status_code == 404


def test_a_session_from_the_api_sign_in_is_asked_to_sign_in_on_the_pages(
    anonymous: httpx.Client,
) -> None:
    api = anonymous.post(
        "/api/v1/auth/login", json={"username": "bob", "password": "password of mlops!"}
    )
    assert api.status_code == 200
    page = anonymous.get("/dashboard")  # no CSRF cookie for forms: sign in on the page
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin")


def test_pages_are_not_cached_framed_or_leaked_by_referrer(anonymous: httpx.Client) -> None:
    page = anonymous.get("/accept", params={"token": "secret-token"})
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-frame-options"] == "DENY"


def test_a_missing_page_keeps_the_signed_in_layout(sign_in: SignIn) -> None:
    page = sign_in("mlops").get("/projects/Org1/credit-scoring/nothing/here")
    assert page.status_code == 404
    assert "There is no such page." in page.text
    assert 'href="/profile"' in page.text  # still shown as signed in
