"""The dashboard: my open work, recent activity in my projects, ledger health."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tetherai.web.pages import PageUser, render

router = APIRouter()


@router.get("/dashboard")
def dashboard(request: Request, user: PageUser) -> Response:
    return render(request, "dashboard.html")
