"""The channel's configuration and governance, for org admins: read it, propose a change,
approve or withdraw from an open proposal (each one a tx signed by the admin's own key; the routes are async, so the wait for its
block holds no worker thread)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tetherai.api.schemas import ERRORS
from tetherai.contracts.calls import Call
from tetherai.http.auth import acting_signer, current_user
from tetherai.http.errors import ApiError
from tetherai.http.params import ProposalId
from tetherai.http.runtime import runtime
from tetherai.identity.roles import Role
from tetherai.services import governance
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime
from tetherai.services.txs import Signer

__all__ = ["require_org_admin", "router"]

router = APIRouter(prefix="/api/v1", tags=["channel"], responses=ERRORS)
Rt = Annotated[Runtime, Depends(runtime)]


def require_org_admin(user: Annotated[UserInfo, Depends(current_user)]) -> UserInfo:
    if user.role != Role.ORG_ADMIN:
        raise ApiError(
            403,
            "only org admins see and change the channel's configuration",
            code="auth.forbidden",
            hint="ask an org admin of your org",
        )
    return user


Admin = Annotated[UserInfo, Depends(require_org_admin)]
AdminSigner = Annotated[Signer, Depends(acting_signer)]


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    change: Literal[
        "add_org",
        "remove_org",
        "add_peer",
        "remove_peer",
        "upgrade_contract",
        "set_policy",
        "set_limits",
    ] = Field(description="the change of the channel")
    args: dict[str, Any] = Field(description="its arguments, e.g. {contract, version}")


async def _signed(rt: Runtime, signer: Signer, call: Call) -> dict[str, Any]:
    """Sign and submit ``call``; the route is async so the wait for the block holds no thread."""
    result = await rt.act_async(signer, call.contract, call.fn, call.args)
    return {"tx_id": result.tx_id, "result": result.result}


@router.get(
    "/channel",
    summary="The channel: orgs, nodes, contract versions, rules, proposals",
    response_model=None,
)
def channel(rt: Rt, admin: Admin) -> dict[str, Any]:
    return governance.channel_view(rt.peer)


@router.post(
    "/channel/proposals",
    summary="Propose a change of the channel (your org's approval is its first)",
    status_code=201,
)
async def propose(body: ProposeIn, rt: Rt, admin: Admin, signer: AdminSigner) -> dict[str, Any]:
    call = await run_in_threadpool(governance.propose, rt.peer, body.change, body.args)
    return await _signed(rt, signer, call)


@router.post(
    "/channel/proposals/{proposal}/approve",
    summary="Approve an open proposal: sign its change (it applies if that meets the rule)",
)
async def approve(
    proposal: ProposalId, rt: Rt, admin: Admin, signer: AdminSigner
) -> dict[str, Any]:
    call = await run_in_threadpool(governance.approve, rt.peer, proposal)
    return await _signed(rt, signer, call)


@router.post(
    "/channel/proposals/{proposal}/withdraw",
    summary="Take back your org's approval of an open proposal",
)
async def withdraw(
    proposal: ProposalId, rt: Rt, admin: Admin, signer: AdminSigner
) -> dict[str, Any]:
    call = await run_in_threadpool(governance.withdraw, rt.peer, proposal)
    return await _signed(rt, signer, call)
