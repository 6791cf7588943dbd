"""Routers' routes go on the app itself (``http.routing.add_routes``), matched in order."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from tests.common.server import serve


def _router(**options: object) -> APIRouter:
    router = APIRouter(**options)  # type: ignore[arg-type]

    @router.get("/things/new")
    def new() -> dict[str, str]:
        return {"page": "new"}

    @router.get("/things/{name}")
    def thing(name: str) -> dict[str, str]:
        return {"page": name}

    return router


def test_routes_answer_in_the_order_given_and_keep_their_prefix() -> None:
    from tetherai.http.routing import add_routes

    app = FastAPI()
    add_routes(app, _router(prefix="/api"))
    with serve(app) as http:
        assert http.get("/api/things/new").json() == {"page": "new"}  # listed first, wins
        assert http.get("/api/things/x").json() == {"page": "x"}
        assert http.post("/api/things/x").status_code == 405
        assert http.get("/things/x").status_code == 404
    assert set(app.openapi()["paths"]) == {"/api/things/new", "/api/things/{name}"}


def test_pages_stay_out_of_the_api_description() -> None:
    from tetherai.http.routing import add_routes

    app = FastAPI()
    add_routes(app, _router(include_in_schema=False), in_schema=False)
    assert app.openapi()["paths"] == {}
    with pytest.raises(TypeError, match="include_in_schema=False"):
        add_routes(FastAPI(), _router(), in_schema=False)


def test_a_router_holding_another_router_is_refused() -> None:
    from tetherai.http.routing import add_routes

    outer = APIRouter()
    outer.include_router(_router())
    with pytest.raises(TypeError, match="not a plain API route"):
        add_routes(FastAPI(), outer)
