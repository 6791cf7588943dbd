"""No two routes of the whole app (API and pages) answer the same request."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute


def test_no_two_routes_of_the_app_answer_the_same_request(app: FastAPI) -> None:
    """So the order of the routers changes no answer (the API's are ordered by how often they
    are asked), except where a page's literal path must come before a parameter: the
    register page before a version's page."""
    routes = [route for route in app.router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 100

    def example(path: str) -> str:  # a request path the route answers
        return re.sub(r"\{\w+(:\w+)?\}", "x1", path)

    overlapping = set()
    for index, first in enumerate(routes):
        for second in routes[index + 1 :]:
            if (first.methods or set()) & (second.methods or set()) and (
                first.path_regex.match(example(second.path_format))
                or second.path_regex.match(example(first.path_format))
            ):
                overlapping.add((first.path_format, second.path_format))
    versions = "/projects/{org}/{slug}/versions"
    assert overlapping == {(f"{versions}/new", f"{versions}/{{version}}")}
