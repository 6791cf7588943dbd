"""Audit trails of a project and of a version.

A chronological table: time, tx id, who, org, action, status before → after, digests; each
row has a "prove" button (``static/proof.js``: the inclusion proof checked in the page
against the signed checkpoint). A version's trail is read from the ledger's key history
(``services.history.history_page``, a page at a time), so it is exact and current. A project's trail may
hold every tx of thousands of versions, so it is paged by the service database's projection
(index ``(project_ref, seq)``) and completed from the ledger (digests); it follows the
ledger within a moment.

Links to the offline audit bundle and report appear only when their API routes exist in
this app (``_downloads``), so the page never shows a dead link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from markupsafe import escape
from sqlalchemy import select
from starlette.routing import Match

from tetherai.http.auth import require_project_access
from tetherai.http.params import LogCursor
from tetherai.ledger.transaction import Envelope
from tetherai.services.db import HistoryProjection, ProjectionCursor
from tetherai.services.history import history_page, tx_digests, version_roots
from tetherai.web.i18n import gettext
from tetherai.web.pages import PageUser, render, runtime_of
from tetherai.web.wording import name

router = APIRouter(include_in_schema=False)  # pages: not in the API description

PAGE_SIZE = 100
_PROJECT_DOWNLOADS = (
    ("/api/v1/projects/{org}/{slug}/audit-bundle", "bundle"),
    ("/api/v1/projects/{org}/{slug}/audit-report.html", "report_html"),
    ("/api/v1/projects/{org}/{slug}/audit-report.pdf", "report_pdf"),
)
_VERSION_DOWNLOADS = tuple(
    (path.replace("{slug}/", "{slug}/versions/{version}/"), kind)
    for path, kind in _PROJECT_DOWNLOADS
)


def _route_exists(request: Request, path: str) -> bool:
    """Whether a GET of ``path`` reaches a route of this app (asked through Starlette's public
    ``BaseRoute.matches``, so routers included in any way are seen)."""
    scope = {
        "type": "http",
        "path": path,
        "root_path": "",
        "method": "GET",
        "headers": [],
        "query_string": b"",
    }
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _downloads(
    request: Request, templates: tuple[tuple[str, str], ...], **values: str
) -> list[dict[str, str]]:
    """The download links whose GET route exists in this app, filled in for this page."""
    links = []
    for template, kind in templates:
        href = template.format(**{k: quote(v, safe="") for k, v in values.items()})
        if _route_exists(request, href):
            links.append({"kind": kind, "href": href})
    return links


@router.get("/projects/{org}/{slug}/versions/{version}/audit")
def version_audit(
    request: Request,
    user: PageUser,
    org: str,
    slug: str,
    version: str,
    after: LogCursor = None,
) -> Response:
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    require_project_access(rt, user, project)
    rt.peer.query("model_version", "get", {"project": project, "version": version})  # 404 if none
    page = history_page(rt.reader(), version_roots(project, version), after=after, limit=PAGE_SIZE)
    return render(
        request,
        "audit/trail.html",
        title=escape(gettext("Audit trail of version %(version)s")) % {"version": name(version)},
        project=project,
        version=version,
        rows=[entry.to_json() for entry in page.entries],
        older=None,
        newer=None if page.next is None else f"?after={page.next}",
        downloads=_downloads(request, _VERSION_DOWNLOADS, org=org, slug=slug, version=version),
        projected=None,
        height=None,
    )


def _project_rows(
    request: Request, project: str, after: int
) -> tuple[list[dict[str, Any]], bool, int | None]:
    """A page of the project's trail, whether more follow, and the last block projected."""
    rt = runtime_of(request)
    if rt.projections is None:
        return [], False, None
    with rt.projections() as session:
        cursor = session.get(ProjectionCursor, rt.node.channel)
        found = list(
            session.scalars(
                select(HistoryProjection)
                .where(HistoryProjection.project_ref == project, HistoryProjection.seq > after)
                .order_by(HistoryProjection.seq)
                .limit(PAGE_SIZE + 1)
            )
        )
    more = len(found) > PAGE_SIZE
    store = rt.reader()
    rows = []
    for row in found[:PAGE_SIZE]:
        stored = store.tx_at(row.seq)
        args = dict(Envelope.from_bytes(stored.envelope).tx.args)
        rows.append(
            {
                "seq": row.seq,
                "tx_id": row.tx_id,
                "block": row.block,
                "ts": row.ts,
                "participant": row.participant,
                "org": row.org,
                "action": row.action,
                "version": row.version_ref.rsplit("/", 1)[1] if row.version_ref else None,
                "status_before": row.status_before,
                "status_after": row.status_after,
                "reason": (row.detail or {}).get("reason"),
                "digests": tx_digests(args, stored.result),
            }
        )
    return rows, more, None if cursor is None else cursor.last_block


@router.get("/projects/{org}/{slug}/audit")
def project_audit(
    request: Request,
    user: PageUser,
    org: str,
    slug: str,
    after: int = Query(-1, ge=-1, le=2**62),
) -> Response:
    rt = runtime_of(request)
    project = f"{org}/{slug}"
    require_project_access(rt, user, project)
    rows, more, projected = _project_rows(request, project, after)
    return render(
        request,
        "audit/trail.html",
        title=escape(gettext("Audit trail of project %(project)s")) % {"project": name(project)},
        project=project,
        version=None,
        rows=rows,
        older=None,
        newer=f"?after={rows[-1]['seq']}" if more and rows else None,
        downloads=_downloads(request, _PROJECT_DOWNLOADS, org=org, slug=slug),
        projected=projected,
        height=rt.peer.head.height,
    )
