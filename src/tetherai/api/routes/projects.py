"""``/api/v1/projects``: projects, versions, reviews, lineage, history and allowed actions (reads).

Every route checks that the caller may read the project (``services.access``); a project they
may not read answers as if it did not exist. Answers that reach into other projects (lineage,
reuse provenance, where a digest is used) show only versions the caller may read.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from tetherai.api._http import (
    Cursor,
    Encoded,
    Limit,
    VersionCursor,
    cached_json,
    encoded_response,
    offset_page,
)
from tetherai.api.schemas import ERRORS
from tetherai.crypto.jcs import JSONValue
from tetherai.http.auth import current_user, require_project_access
from tetherai.http.params import LogCursor
from tetherai.http.runtime import runtime
from tetherai.services.access import (
    Visibility,
    filter_lineage,
    filter_uses,
    filter_version,
    readable_projects,
    same_for_every_reader,
    viewer_of,
)
from tetherai.services.auth import UserInfo
from tetherai.services.history import HistoryPage, history_page, project_roots, version_roots
from tetherai.services.query_memo import StateView, remembered_query
from tetherai.services.reviews import COMMENTS_PAGE, reviews_page
from tetherai.services.runtime import Runtime

router = APIRouter(
    prefix="/api/v1", tags=["projects"], responses=ERRORS, dependencies=[Depends(current_user)]
)
Rt = Annotated[Runtime, Depends(runtime)]
Me = Annotated[UserInfo, Depends(current_user)]


def _visibility(rt: Runtime, user: UserInfo) -> Visibility:
    return Visibility(rt.reader(), viewer_of(user))


def _project(rt: Runtime, user: UserInfo, org: str, slug: str) -> str:
    ref = f"{org}/{slug}"
    require_project_access(rt, user, ref)
    return ref


def _version(rt: Runtime, user: UserInfo, org: str, slug: str, version: str) -> str:
    """The project's ref once the caller may read it and it has ``version`` (else 404)."""
    ref = _project(rt, user, org, slug)
    rt.peer.query("model_version", "get", {"project": ref, "version": version})
    return ref


def _history_json(page: HistoryPage) -> dict[str, JSONValue]:
    return {
        "items": [entry.to_json() for entry in page.entries],
        "next": None if page.next is None else str(page.next),
        "total": page.total,
    }


@router.get("/projects", summary="Projects I may read (optionally of one org)")
def projects(
    request: Request, rt: Rt, user: Me, org: str = "", limit: Limit = 50, cursor: Cursor = None
) -> Response:
    visible = readable_projects(rt.reader(), viewer_of(user))
    found = rt.peer.query("project", "list_projects", {"org": org})
    items = (
        [p for p in found if isinstance(p, dict) and p.get("ref") in visible]
        if isinstance(found, list)
        else []
    )
    return cached_json(request, offset_page(items, limit, cursor))


@router.get("/projects/{org}/{slug}", summary="A project with its members, factsheet and policy")
def project(request: Request, rt: Rt, user: Me, org: str, slug: str) -> Response:
    return cached_json(
        request, rt.peer.query("project", "get", {"project": _project(rt, user, org, slug)})
    )


@router.get(
    "/projects/{org}/{slug}/history",
    summary="Every change to the project, oldest first (``total`` entries in all)",
)
def history_of_project(
    request: Request,
    rt: Rt,
    user: Me,
    org: str,
    slug: str,
    limit: Limit = 50,
    cursor: LogCursor = None,
) -> Response:
    ref = _project(rt, user, org, slug)
    page = history_page(rt.reader(), project_roots(ref), after=cursor, limit=limit)
    return cached_json(request, _history_json(page))


@router.get("/projects/{org}/{slug}/versions", summary="A project's versions with their status")
def versions(
    request: Request,
    rt: Rt,
    user: Me,
    org: str,
    slug: str,
    limit: Limit = 50,
    cursor: VersionCursor = None,
) -> Response:
    # One more than the page, to tell whether another follows; only these are read (the
    # cursor is the last version of the previous page: the list is in name order).
    args: dict[str, JSONValue] = {
        "project": _project(rt, user, org, slug),
        "after": cursor or "",
        "limit": limit + 1,
    }
    # Remembered while no commit writes a version or status of the page (or one before it).
    found = remembered_query(
        rt.peer, StateView(rt.reader()), "model_version", "list_versions", args
    )
    items = found if isinstance(found, list) else []
    page = items[:limit]
    shared = _SHARED_PAGES.get(id(found))
    if shared is not None and shared[0] is found:
        return encoded_response(request, shared[1])
    body = {
        "items": [filter_version(item, _visibility(rt, user)) for item in page],
        "next": _name_of(page[-1]) if len(items) > limit else None,
    }
    if not all(same_for_every_reader(item) for item in page):
        return cached_json(request, body)
    # Nothing in it to hide from anyone: encoded once for every reader while remembered.
    encoded = Encoded.of(body)
    with _SHARED_LOCK:
        if len(_SHARED_PAGES) >= _SHARED_KEPT:
            _SHARED_PAGES.clear()
        _SHARED_PAGES[id(found)] = (found, encoded)
    return encoded_response(request, encoded)


# Encoded pages of the versions list, by the remembered answer they were made from (kept
# with it, so an id is not reused while its entry lives); a new answer gets a new entry.
_SHARED_PAGES: dict[int, tuple[JSONValue, Encoded]] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_KEPT = 64


def _name_of(item: JSONValue) -> str:
    """The version name of a ``list_versions`` item (the next page's cursor)."""
    record = item.get("version") if isinstance(item, dict) else None
    return str(record.get("version")) if isinstance(record, dict) else ""


@router.get(
    "/projects/{org}/{slug}/versions/{version}", summary="A version: content, status, verification"
)
def version(request: Request, rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    args = {"project": _project(rt, user, org, slug), "version": version}
    found = rt.peer.query("model_version", "get", args)
    return cached_json(request, filter_version(found, _visibility(rt, user)))


@router.get(
    "/projects/{org}/{slug}/versions/{version}/reviews",
    summary="Comments (the newest ``limit``, newest first; ``next`` pages to older ones), "
    "ratings, votes, documents, monitoring reports, verification; ``counts`` of each kind",
)
def reviews(
    request: Request,
    rt: Rt,
    user: Me,
    org: str,
    slug: str,
    version: str,
    limit: Limit = COMMENTS_PAGE,
    cursor: LogCursor = None,
) -> Response:
    ref = _version(rt, user, org, slug, version)
    page = reviews_page(rt.reader(), ref, version, before=cursor, limit=limit)
    return cached_json(request, page.to_json())


@router.get(
    "/projects/{org}/{slug}/versions/{version}/lineage",
    summary="What it was built from, and what from it",
)
def lineage(request: Request, rt: Rt, user: Me, org: str, slug: str, version: str) -> Response:
    args = {"project": _project(rt, user, org, slug), "version": version}
    found = rt.peer.query("model_version", "lineage", args)
    return cached_json(request, filter_lineage(found, _visibility(rt, user)))


@router.get(
    "/projects/{org}/{slug}/versions/{version}/history",
    summary="The version's audit trail, oldest first (``total`` entries in all)",
)
def history_of_version(
    request: Request,
    rt: Rt,
    user: Me,
    org: str,
    slug: str,
    version: str,
    limit: Limit = 50,
    cursor: LogCursor = None,
) -> Response:
    ref = _version(rt, user, org, slug, version)
    page = history_page(rt.reader(), version_roots(ref, version), after=cursor, limit=limit)
    return cached_json(request, _history_json(page))


@router.get(
    "/projects/{org}/{slug}/versions/{version}/actions",
    summary="Which actions a participant (default: me) may take on the version now, and why not others",
)
def actions(
    request: Request,
    rt: Rt,
    user: Me,
    org: str,
    slug: str,
    version: str,
    participant_org: Annotated[str | None, Query(alias="org")] = None,
    participant: Annotated[str | None, Query(alias="participant")] = None,
) -> Response:
    args = {
        "project": _project(rt, user, org, slug),
        "version": version,
        "org": participant_org or user.org,
        "id": participant or user.username,
    }
    return cached_json(request, rt.peer.query("workflow", "actions", args))


@router.get("/artifacts/{sha256}/uses", summary="Versions I may read that registered this digest")
def uses(request: Request, rt: Rt, user: Me, sha256: str) -> Response:
    found = rt.peer.query("model_version", "used_by", {"sha256": sha256})
    return cached_json(request, filter_uses(found, _visibility(rt, user)))
