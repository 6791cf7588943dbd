"""Txs signed elsewhere (CLI, SDK) — the key never leaves its owner.

``POST /api/v1/envelopes`` orders a signed tx; ``POST /api/v1/simulate`` runs the same tx
unsigned against the current state first, so a client learns a refusal before it signs or
uploads anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from tetherai.api.idempotency import Idem
from tetherai.api.schemas import ERRORS, EnvelopeIn, SimulationIn, SimulationOut, TxOutcome
from tetherai.http.auth import current_user
from tetherai.http.errors import ApiError
from tetherai.http.runtime import runtime
from tetherai.ledger.transaction import Envelope, Transaction
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["txs"], responses=ERRORS)


@router.post(
    "/envelopes",
    summary="Submit a pre-signed tx and wait until its block is durable",
    response_model=TxOutcome,
)
async def submit_envelope(
    body: EnvelopeIn,
    rt: Annotated[Runtime, Depends(runtime)],
    user: Annotated[UserInfo, Depends(current_user)],
    idem: Idem,
) -> dict[str, Any] | Response:
    # Async: the wait for the block holds no worker thread (services.txs.submit_async).
    decoded = body.model_dump()  # once: the envelope and the idempotency fingerprint read it

    async def run() -> dict[str, Any]:
        envelope = Envelope.from_json(decoded)
        result = await rt.submit_async(envelope)
        return {"tx_id": result.tx_id, "valid": True, "result": result.result}

    return await idem.respond(f"{user.org}/{user.username}", decoded, run)


@router.post(
    "/simulate",
    summary="Run an unsigned tx of yours against the current state (nothing is stored)",
    description=(
        "What the contracts would make of the tx now, without a signature: 200 with its result, "
        "or the refusal it would get. The server's own checks of the files a tx names run when "
        "the signed tx is submitted (a client checks before it uploads them)."
    ),
    # Documented, not validated: a sync route's response model is checked in a second trip
    # to the thread pool (``http.routing.add_routes``).
    response_model=None,
    responses={200: {"model": SimulationOut}},
)
def simulate(
    body: SimulationIn,
    rt: Annotated[Runtime, Depends(runtime)],
    user: Annotated[UserInfo, Depends(current_user)],
) -> dict[str, Any]:
    tx = Transaction.from_json(body.tx)
    if (tx.creator.org, tx.creator.id) != (user.org, user.username):
        raise ApiError(
            403,
            "you may simulate only txs you would sign yourself",
            code="auth.forbidden",
            hint=f"set the tx's creator to {user.org}/{user.username}",
        )
    result = rt.simulate(tx)
    return {"valid": True, "result": result.result}
