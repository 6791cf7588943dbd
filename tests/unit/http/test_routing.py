"""Routers' routes go on the app itself (``http.routing.add_routes``), matched in order."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from tests.common.server import serve


def _router(*, response_model: object = dict[str, str], **options: object) -> APIRouter:
    router = APIRouter(**options)  # type: ignore[arg-type]

    @router.get("/things/new", response_model=response_model)
    def new() -> dict[str, str]:
        return {"page": "new"}

    @router.get("/things/{name}", response_model=response_model)
    def thing(name: str) -> dict[str, str]:
        return {"page": name}

    return router


def test_routes_answer_in_the_order_given_and_keep_their_prefix() -> None:
    from tetherai.http.routing import add_routes

    app = FastAPI()
    add_routes(app, _router(prefix="/api", response_model=None))
    with serve(app) as http:
        assert http.get("/api/things/new").json() == {"page": "new"}  # listed first, wins
        assert http.get("/api/things/x").json() == {"page": "x"}
        assert http.post("/api/things/x").status_code == 405
        assert http.get("/things/x").status_code == 404
    assert set(app.openapi()["paths"]) == {"/api/things/new", "/api/things/{name}"}


def test_pages_stay_out_of_the_api_description() -> None:
    from tetherai.http.routing import add_routes

    app = FastAPI()
    add_routes(app, _router(include_in_schema=False, response_model=None), in_schema=False)
    assert app.openapi()["paths"] == {}
    with pytest.raises(TypeError, match="include_in_schema=False"):
        add_routes(FastAPI(), _router(response_model=None), in_schema=False)


def test_a_router_holding_another_router_is_refused() -> None:
    from tetherai.http.routing import add_routes

    outer = APIRouter()
    outer.include_router(_router(response_model=None))
    with pytest.raises(TypeError, match="not a plain API route"):
        add_routes(FastAPI(), outer)


def test_a_sync_route_with_a_response_model_is_refused() -> None:
    """Its answer would be validated in a second trip to the thread pool."""
    from tetherai.http.routing import add_routes

    with pytest.raises(TypeError, match="second trip to the thread pool"):
        add_routes(FastAPI(), _router())  # its routes return dict[str, str], a response model
    router = APIRouter()

    @router.get("/sync", response_model=None, responses={200: {"model": dict[str, str]}})
    def sync() -> dict[str, str]:
        return {"page": "sync"}

    @router.get("/async")
    async def asynchronous() -> dict[str, str]:  # validated on the event loop: no trip
        return {"page": "async"}

    app = FastAPI()
    add_routes(app, router)
    with serve(app) as http:
        assert http.get("/sync").json() == {"page": "sync"}
        assert http.get("/async").json() == {"page": "async"}
