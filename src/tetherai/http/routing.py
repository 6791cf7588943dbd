"""How the API's and the pages' routers are put on the app: their routes on the app itself.

FastAPI 0.165's ``include_router`` keeps each included router as a layer of its own, and every
request walks those layers: each route of each router before the one that matches (counting
their versions as it goes), then the matching router's routes once more. With ~130 routes in
~20 routers that cost 100–330 µs of CPU per request before any route ran. Routes put on the
app's own router are matched in one pass over plain routes instead. Their paths, tags and
error responses already come from their routers (``APIRouter(prefix=..., tags=...)``), and
nothing is added at inclusion, so the routes, the OpenAPI document and every answer are the
same.

A sync route (``def``) may not have a response model: FastAPI runs the route in the thread
pool and then validates what it returned in a second trip there, and under load each trip
waits its turn behind every other request (the proof route took twice as long as its peers).
Such a route documents its answer with ``responses={200: {"model": ...}}`` and
``response_model=None``, or returns a ``Response``.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

__all__ = ["add_routes"]


def add_routes(app: FastAPI, *routers: APIRouter, in_schema: bool = True) -> None:
    """Put every route of ``routers`` on ``app``'s own router, in order. ``in_schema=False``:
    none of them may be in the API's description (pages are made so:
    ``APIRouter(include_in_schema=False)``).

    Raises:
        TypeError: a router holds something other than plain routes (an included router, a
            mount), which would need what ``include_router`` does; a route would be in the
            description that must not be; or a sync route has a response model.
    """
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"{route!r} is not a plain API route")
            if route.include_in_schema and not in_schema:
                raise TypeError(f"{route.path} must be made with include_in_schema=False")
            if route.response_field is not None and not inspect.iscoroutinefunction(route.endpoint):
                raise TypeError(
                    f"{route.path}: a sync route's response model costs a second trip to the "
                    "thread pool; set response_model=None (document it with responses=)"
                )
            app.router.routes.append(route)
