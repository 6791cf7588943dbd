"""The channel page for org admins: its orgs, nodes, versions, rule and limits, and the open
proposals with who approved them; an admin approves (or withdraws their org's approval)
through the same service as the API (``services.governance``), signing with their own key;
the wait for the block holds no worker thread."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tetherai.http.params import ProposalId
from tetherai.ledger.executor import TxResult
from tetherai.services import governance
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import AdminForm, PageAdmin, attempt_write, render, runtime_of

router = APIRouter(include_in_schema=False)  # pages: not in the API description


@router.get("/admin/channel")
def channel_page(request: Request, admin: PageAdmin) -> Response:
    return render(
        request, "admin/channel.html", channel=governance.channel_view(runtime_of(request).peer)
    )


@router.post("/admin/channel/proposals/{proposal}/approve")
async def approve(request: Request, form: AdminForm, proposal: ProposalId) -> Response:
    peer = runtime_of(request).peer

    async def action() -> TxResult:
        return await form.act(await run_in_threadpool(governance.approve, peer, proposal))

    return await attempt_write(
        request,
        action,
        done="/admin/channel#proposals",
        message=_("Approved for %(org)s.") % {"org": form.user.org},
        back="/admin/channel#proposals",
    )


@router.post("/admin/channel/proposals/{proposal}/withdraw")
async def withdraw(request: Request, form: AdminForm, proposal: ProposalId) -> Response:
    peer = runtime_of(request).peer

    async def action() -> TxResult:
        return await form.act(await run_in_threadpool(governance.withdraw, peer, proposal))

    return await attempt_write(
        request,
        action,
        done="/admin/channel#proposals",
        message=_("%(org)s's approval is withdrawn.") % {"org": form.user.org},
        back="/admin/channel#proposals",
    )
