"""Audit trails of a version and of a project over HTTP."""

from __future__ import annotations

import re
import time

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRouter
from starlette.responses import PlainTextResponse
from starlette.routing import Match

from tests.common.lifecycle import Cast
from tests.common.waiting import PATIENCE
from tests.unit.web.conftest import SignIn

ROW = re.compile(r'<tr data-tx="([0-9a-f]{64})" data-action="([^"]+)">')


def rows(page: httpx.Response) -> list[tuple[str, str]]:
    return ROW.findall(page.text)


def test_version_trail_lists_every_tx_oldest_first_with_status_and_digests(
    sign_in: SignIn, cast: Cast
) -> None:
    cast.new_version("v1")
    cast.walk("v1", "reviewing")
    cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version="v1",
        artifacts=[
            {"name": "train", "sha256": "ab" * 32},
            {"name": "test", "sha256": "22" * 32},
            {"name": "model", "sha256": "33" * 32},
            {"name": "log", "sha256": "44" * 32},
        ],
    )
    page = sign_in("auditor").get(f"/projects/{cast.project}/versions/v1/audit")
    assert page.status_code == 200, page.text
    found = rows(page)
    assert [action for _, action in found] == [
        "model_version.create",
        "model_version.submit",
        "workflow.transition",
        "review.verify",
    ]
    history = cast.query("workflow", "status", project=cast.project, version="v1")
    assert found[-1][0] == history["tx_id"]  # the verify tx moved it
    text = page.text
    assert "Review failed" in text and "digest mismatch: train" in text
    assert 'data-role="mismatch"' in text and ("ab" * 6) in text
    assert 'class="prove' in text and "/static/proof.js" in text
    assert text.count('class="prove small') == len(found)
    assert 'id="prove-all"' in text  # one button proves every row


def test_project_trail_pages_through_projected_history(sign_in: SignIn, cast: Cast) -> None:
    for n in range(3):
        cast.new_version(f"v{n}")
    http = sign_in("author")
    deadline = time.monotonic() + PATIENCE
    while True:  # the projection follows the ledger within a moment
        page = http.get(f"/projects/{cast.project}/audit")
        assert page.status_code == 200
        if sum(1 for _, a in rows(page) if a == "model_version.create") == 3:
            break
        assert time.monotonic() < deadline, page.text
        time.sleep(0.1)
    actions = [a for _, a in rows(page)]
    assert actions[0] == "project.create"
    assert 'id="projection-lag"' not in page.text  # caught up: no note
    assert 'href="/projects/Org1/credit-scoring/versions/v2"' in page.text
    assert 'data-role="registered"' in page.text


def test_a_stranger_gets_not_found(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    http = sign_in("outsider")
    assert http.get(f"/projects/{cast.project}/versions/v1/audit").status_code == 404
    assert http.get(f"/projects/{cast.project}/audit").status_code == 404


def test_download_links_appear_only_when_their_routes_exist(
    sign_in: SignIn, cast: Cast, app: FastAPI
) -> None:
    cast.new_version("v1")
    http = sign_in("auditor")
    bundle = "/api/v1/projects/{org}/{slug}/versions/{version}/audit-bundle"
    scope = {
        "type": "http",
        "path": f"/api/v1/projects/{cast.project}/versions/v1/audit-bundle",
        "root_path": "",
        "method": "GET",
        "headers": [],
        "query_string": b"",
    }
    present = any(r.matches(scope)[0] == Match.FULL for r in app.router.routes)
    page = http.get(f"/projects/{cast.project}/versions/v1/audit")
    link = f'href="/api/v1/projects/{cast.project}/versions/v1/audit-bundle"'
    assert (link in page.text) == present
    if not present:  # add the route, as the audit-bundle module would, and the link appears
        extra = APIRouter()
        extra.add_api_route(bundle, lambda: PlainTextResponse("bundle"), methods=["GET"])
        app.include_router(extra)
        page = http.get(f"/projects/{cast.project}/versions/v1/audit")
        assert link in page.text
    assert 'id="audit-downloads"' in page.text
