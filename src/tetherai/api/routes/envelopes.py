"""``POST /api/v1/envelopes``: submit a tx signed elsewhere (CLI, SDK) — the key never leaves its owner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from tetherai.api.auth import current_user
from tetherai.api.idempotency import Idem
from tetherai.api.runtime import Runtime, runtime
from tetherai.api.schemas import ERRORS, EnvelopeIn, TxOutcome
from tetherai.ledger.transaction import Envelope
from tetherai.services.auth import UserInfo

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
    async def run() -> dict[str, Any]:
        envelope = Envelope.from_json(body.model_dump())
        result = await rt.submit_async(envelope)
        return {"tx_id": result.tx_id, "valid": True, "result": result.result}

    return await idem.respond(f"{user.org}/{user.username}", body.model_dump(), run)
