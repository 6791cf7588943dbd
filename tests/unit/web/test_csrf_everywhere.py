"""Every form-handling page route refuses a post without its CSRF token — found by walking the
app's routes, so a new form route is covered (or fails here) without editing this test."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _form_routes(app: FastAPI) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts else [route]:
            methods = getattr(context, "methods", None) or set()
            path = str(getattr(context, "path_format", None) or getattr(context, "path", ""))
            if methods & UNSAFE and not path.startswith("/api/"):
                found.extend((method, path) for method in sorted(methods & UNSAFE))
    return sorted(set(found))


def test_no_form_route_accepts_a_post_without_its_token(
    app: FastAPI, sign_in: SignIn, cast: Cast
) -> None:
    routes = _form_routes(app)
    assert len(routes) >= 20, routes
    org, slug = cast.project.split("/")
    values = {"org": org, "slug": slug, "version": "v1", "user_id": "1", "token_id": "1"}
    admin = sign_in("admin")
    height = cast.net.node.peer.head.height
    for method, path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)
        for data in ({}, {"csrf_token": "forged"}):
            answer = admin.request(method, url, data=data)
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "security token is missing or does not match" in answer.text, path
    assert cast.net.node.peer.head.height == height  # nothing reached the ledger
