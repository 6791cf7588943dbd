"""The channel page for org admins: its orgs, nodes, versions, rule and limits, and the open
proposals with who approved them; an admin approves (or withdraws their org's approval)
through the same service as the API (``services.governance``), signing with their own key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tetherai.http.params import ProposalId
from tetherai.services import governance
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import AdminForm, PageAdmin, attempt, render, runtime_of

router = APIRouter()


@router.get("/admin/channel")
def channel_page(request: Request, admin: PageAdmin) -> Response:
    return render(
        request, "admin/channel.html", channel=governance.channel_view(runtime_of(request).peer)
    )


@router.post("/admin/channel/proposals/{proposal}/approve")
def approve(request: Request, form: AdminForm, proposal: ProposalId) -> Response:
    rt = runtime_of(request)
    return attempt(
        request,
        lambda: governance.approve(rt.act, rt.peer, form.signer(), proposal),
        done="/admin/channel#proposals",
        message=_("Approved for %(org)s.") % {"org": form.user.org},
        back="/admin/channel#proposals",
    )


@router.post("/admin/channel/proposals/{proposal}/withdraw")
def withdraw(request: Request, form: AdminForm, proposal: ProposalId) -> Response:
    rt = runtime_of(request)
    return attempt(
        request,
        lambda: governance.withdraw(rt.act, rt.peer, form.signer(), proposal),
        done="/admin/channel#proposals",
        message=_("%(org)s's approval is withdrawn.") % {"org": form.user.org},
        back="/admin/channel#proposals",
    )
