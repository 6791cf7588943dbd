"""``/api/v1/projects``: projects, versions, reviews, lineage, history and allowed actions (reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from tetherai.api._http import cached_json
from tetherai.api.auth import current_user
from tetherai.api.runtime import Runtime, runtime
from tetherai.api.schemas import ERRORS
from tetherai.services.history import project_history, version_history

router = APIRouter(
    prefix="/api/v1", tags=["projects"], responses=ERRORS, dependencies=[Depends(current_user)]
)
Rt = Annotated[Runtime, Depends(runtime)]


def _page(items: list[Any], limit: int, cursor: str | None) -> dict[str, Any]:
    start = int(cursor or 0)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return {"items": chunk, "next": str(start + limit) if more else None}


Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,9}$")]


@router.get("/projects", summary="Projects on the channel (optionally of one org)")
def projects(
    request: Request, rt: Rt, org: str = "", limit: Limit = 50, cursor: Cursor = None
) -> Response:
    items = rt.peer.query("project", "list_projects", {"org": org})
    return cached_json(request, _page(items, limit, cursor))  # type: ignore[arg-type]


@router.get("/projects/{org}/{slug}", summary="A project with its members, factsheet and policy")
def project(request: Request, rt: Rt, org: str, slug: str) -> Response:
    return cached_json(request, rt.peer.query("project", "get", {"project": f"{org}/{slug}"}))


@router.get("/projects/{org}/{slug}/history", summary="Every change to the project, oldest first")
def history_of_project(
    request: Request, rt: Rt, org: str, slug: str, limit: Limit = 100, cursor: Cursor = None
) -> Response:
    rt.peer.query("project", "get", {"project": f"{org}/{slug}"})  # 404 for an unknown project
    entries = [e.to_json() for e in project_history(rt.reader(), f"{org}/{slug}")]
    return cached_json(request, _page(entries, limit, cursor))


@router.get("/projects/{org}/{slug}/versions", summary="A project's versions with their status")
def versions(
    request: Request, rt: Rt, org: str, slug: str, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    items = rt.peer.query("model_version", "list_versions", {"project": f"{org}/{slug}"})
    return cached_json(request, _page(items, limit, cursor))  # type: ignore[arg-type]


@router.get(
    "/projects/{org}/{slug}/versions/{version}", summary="A version: content, status, verification"
)
def version(request: Request, rt: Rt, org: str, slug: str, version: str) -> Response:
    return cached_json(
        request,
        rt.peer.query("model_version", "get", {"project": f"{org}/{slug}", "version": version}),
    )


@router.get(
    "/projects/{org}/{slug}/versions/{version}/reviews",
    summary="Comments, ratings, votes, verifications",
)
def reviews(request: Request, rt: Rt, org: str, slug: str, version: str) -> Response:
    return cached_json(
        request,
        rt.peer.query("review", "reviews", {"project": f"{org}/{slug}", "version": version}),
    )


@router.get(
    "/projects/{org}/{slug}/versions/{version}/lineage",
    summary="What it was built from, and what from it",
)
def lineage(request: Request, rt: Rt, org: str, slug: str, version: str) -> Response:
    return cached_json(
        request,
        rt.peer.query("model_version", "lineage", {"project": f"{org}/{slug}", "version": version}),
    )


@router.get(
    "/projects/{org}/{slug}/versions/{version}/history",
    summary="The version's audit trail, oldest first",
)
def history_of_version(
    request: Request,
    rt: Rt,
    org: str,
    slug: str,
    version: str,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    rt.peer.query("model_version", "get", {"project": f"{org}/{slug}", "version": version})
    entries = [e.to_json() for e in version_history(rt.reader(), f"{org}/{slug}", version)]
    return cached_json(request, _page(entries, limit, cursor))


@router.get(
    "/projects/{org}/{slug}/versions/{version}/actions",
    summary="Which actions a participant may take on the version now (and why not the others)",
)
def actions(
    request: Request,
    rt: Rt,
    org: str,
    slug: str,
    version: str,
    participant_org: Annotated[str, Query(alias="org")],
    participant: Annotated[str, Query(alias="participant")],
) -> Response:
    return cached_json(
        request,
        rt.peer.query(
            "workflow",
            "actions",
            {
                "project": f"{org}/{slug}",
                "version": version,
                "org": participant_org,
                "id": participant,
            },
        ),
    )


@router.get(
    "/artifacts/{sha256}/uses", summary="Every version, in any project, that registered this digest"
)
def uses(request: Request, rt: Rt, sha256: str) -> Response:
    return cached_json(request, rt.peer.query("model_version", "used_by", {"sha256": sha256}))
