"""The dashboard: my open work, recent activity in my projects, the ledger's health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tetherai.http.params import RowId
from tetherai.services import ledger_views
from tetherai.services.access import viewer_of
from tetherai.services.auth import UserInfo
from tetherai.services.overview import open_versions, recent_activity
from tetherai.services.query_memo import StateView, remembered_reading
from tetherai.services.runtime import Runtime, may_verify_ledger
from tetherai.web.i18n import gettext as _
from tetherai.web.i18n import ngettext
from tetherai.web.pages import Form, PageUser, attempt, redirect, render, runtime_of
from tetherai.web.routes.projects import projections, readable

router = APIRouter(include_in_schema=False)  # pages: not in the API description

# Actions that are always open to members (comments, ratings, documents, monitoring reports,
# rollbacks of a live version) are not "waiting for me"; transitions, verifications and votes are.
_NOT_WAITING = frozenset({"comment", "rate", "attach_document", "monitor", "rollback"})
NOTIFICATIONS = 10
"""Unread notifications shown (newest first)."""
UNREAD_COUNTED = 100
"""Unread notifications counted: from this many on, the page says "99+"."""
OPEN_WORK_SCAN = 200
"""How many of the most recently changed open versions are asked about (the dashboard's bound)."""
OPEN_WORK_SHOWN = 25
"""Of the versions waiting for me, how many the page lists (the most recently changed)."""


def open_work(rt: Runtime, user: UserInfo, visible: set[str]) -> tuple[list[dict[str, Any]], bool]:
    """Versions on which the contracts' ``actions`` query says I may act now, and whether
    only the most recently changed open versions were asked about (the bound was reached)."""
    work = []
    rows = open_versions(projections(rt), visible, limit=OPEN_WORK_SCAN)
    # Answers are remembered while what they read is unchanged; the person, project, policy
    # and member records are read once for all the versions.
    view = StateView(rt.reader())
    for row in rows:
        actions = remembered_reading(
            rt.peer,
            view,
            "workflow",
            "actions",
            {"project": row.project, "version": row.version, "org": user.org, "id": user.username},
            _waiting,
        )
        if actions:
            work.append({"row": row, "actions": actions})
    return work, len(rows) >= OPEN_WORK_SCAN


def _waiting(found: object) -> list[str]:
    """Of an ``actions`` answer, the actions open to the person that wait for them."""
    return [
        str(a["action"])
        for a in (found if isinstance(found, list) else [])
        if isinstance(a, dict) and a.get("allowed") and a.get("action") not in _NOT_WAITING
    ]


@router.get("/dashboard")
def dashboard(request: Request, user: PageUser) -> Response:
    rt = runtime_of(request)
    visible = readable(rt, user)
    work, bounded = open_work(rt, user, visible)  # all of it counted, the newest listed
    notifications, unread = rt.notifications.unread(
        user.id, visible, limit=NOTIFICATIONS, count_up_to=UNREAD_COUNTED
    )
    return render(
        request,
        "dashboard.html",
        work=work[:OPEN_WORK_SHOWN],
        work_total=len(work),
        work_bounded=bounded,
        work_scan=OPEN_WORK_SCAN,
        activity=recent_activity(projections(rt), visible, limit=15),
        ledger=rt.cached_ledger_summary() or rt.ledger_summary(),
        verification=ledger_views.verification_view(
            rt.last_verification, rt.reader(), viewer_of(user)
        ),
        can_verify=may_verify_ledger(user),
        notifications=notifications,
        unread=unread,
        unread_counted=UNREAD_COUNTED,
    )


@router.post("/dashboard/notifications/{notification_id}/read")
def mark_read(request: Request, form: Form, notification_id: RowId) -> Response:
    runtime_of(request).notifications.mark_read(form.user.id, notification_id)
    return redirect(request, "/dashboard#notifications")


@router.post("/dashboard/notifications/read")
def mark_all_read(request: Request, form: Form) -> Response:
    """Every unread notification up to the newest the page showed (not one that came since)."""
    up_to = form.get("up_to")
    marked = runtime_of(request).notifications.mark_all_read(
        form.user.id, up_to=int(up_to) if up_to.isdigit() and len(up_to) < 19 else None
    )
    return redirect(
        request,
        "/dashboard#notifications",
        flash=ngettext(
            "%(num)d notification marked as read.", "%(num)d notifications marked as read.", marked
        )
        % {"num": marked},
    )


@router.post("/dashboard/verify")
def verify_ledger(request: Request, form: Form) -> Response:
    """Replay the whole ledger now (the same verification and role check as the API's)."""
    rt = runtime_of(request)
    return attempt(
        request,
        lambda: rt.verify_ledger(form.user),
        done="/dashboard#ledger",
        message=_("The ledger was verified; the result is below."),
        back="/dashboard",
    )
